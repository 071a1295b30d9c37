/** gRPC status codes by number (grpc/doc/statuscodes.md): the names the edge panel shows. */
const GRPC_STATUS_NAMES = [
  'OK',
  'CANCELLED',
  'UNKNOWN',
  'INVALID_ARGUMENT',
  'DEADLINE_EXCEEDED',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED',
  'FAILED_PRECONDITION',
  'ABORTED',
  'OUT_OF_RANGE',
  'UNIMPLEMENTED',
  'INTERNAL',
  'UNAVAILABLE',
  'DATA_LOSS',
  'UNAUTHENTICATED',
] as const;

export interface GrpcStatusCount {
  code: number;
  /** "OK", "UNAVAILABLE", ...; "CODE 42" for a number outside the table. */
  name: string;
  count: number;
}

/** The graph API's `grpc` map ({"0": 120, "14": 2}) as rows by code; empty for an edge without gRPC calls. */
export function grpcStatusCounts(grpc: Record<string, number> | undefined): GrpcStatusCount[] {
  if (!grpc) return [];
  return Object.entries(grpc)
    .map(([code, count]) => ({ code: Number(code), name: GRPC_STATUS_NAMES[Number(code)] ?? `CODE ${code}`, count }))
    .filter((r) => r.count > 0)
    .sort((a, b) => a.code - b.code);
}

/** Share of gRPC calls that ended OK (null without calls); the success rate counts only server-side errors against it. */
export function grpcOkShare(rows: readonly GrpcStatusCount[]): number | null {
  const total = rows.reduce((n, r) => n + r.count, 0);
  return total === 0 ? null : (rows.find((r) => r.code === 0)?.count ?? 0) / total;
}

/** "OK 120 · UNAVAILABLE 2": one line for a label, a tooltip or a table cell. */
export function fmtGrpcStatuses(rows: readonly GrpcStatusCount[]): string {
  return rows.map((r) => `${r.name} ${r.count}`).join(' · ');
}

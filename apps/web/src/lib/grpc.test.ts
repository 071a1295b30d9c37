import { describe, expect, it } from 'vitest';
import { fmtGrpcStatuses, grpcOkShare, grpcStatusCounts } from './grpc';

describe('gRPC status counts', () => {
  it('names each code of the graph API map, in code order, leaving out zeros', () => {
    const rows = grpcStatusCounts({ '14': 2, '0': 120, '4': 0, '99': 1 });
    expect(rows).toEqual([
      { code: 0, name: 'OK', count: 120 },
      { code: 14, name: 'UNAVAILABLE', count: 2 },
      { code: 99, name: 'CODE 99', count: 1 },
    ]);
    expect(fmtGrpcStatuses(rows)).toBe('OK 120 · UNAVAILABLE 2 · CODE 99 1');
    expect(grpcOkShare(rows)).toBeCloseTo(120 / 123);
  });

  it('has nothing for an edge without gRPC calls', () => {
    expect(grpcStatusCounts(undefined)).toEqual([]);
    expect(grpcOkShare([])).toBeNull();
  });
});

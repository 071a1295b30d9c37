import type { Span } from '@trellis/shared';

// Optional export of spans to an OpenTelemetry collector over OTLP/HTTP (JSON encoding).

function attribute(key: string, value: string | number | boolean) {
  if (typeof value === 'string') return { key, value: { stringValue: value } };
  if (typeof value === 'boolean') return { key, value: { boolValue: value } };
  return Number.isInteger(value) ? { key, value: { intValue: String(value) } } : { key, value: { doubleValue: value } };
}

const nanos = (ms: number) => (BigInt(Math.round(ms * 1000)) * 1000n).toString();

/** The OTLP ExportTraceServiceRequest body for spans, one resource per service. */
export function toOtlp(spans: readonly Span[]) {
  const byService = new Map<string, Span[]>();
  for (const s of spans) byService.set(s.service, [...(byService.get(s.service) ?? []), s]);
  return {
    resourceSpans: [...byService].map(([service, list]) => ({
      resource: { attributes: [attribute('service.name', service)] },
      scopeSpans: [
        {
          scope: { name: 'trellis-proxy' },
          spans: list.map((s) => ({
            traceId: s.traceId,
            spanId: s.spanId,
            ...(s.parentSpanId ? { parentSpanId: s.parentSpanId } : {}),
            name: s.name,
            kind: s.kind === 'server' ? 2 : 3,
            startTimeUnixNano: nanos(s.startMs),
            endTimeUnixNano: nanos(s.startMs + s.durationMs),
            attributes: [attribute('http.response.status_code', s.status), ...Object.entries(s.attributes).map(([k, v]) => attribute(k, v))],
            status: { code: s.error ? 2 : 1 },
          })),
        },
      ],
    })),
  };
}

/** Sends batches of spans to `${endpoint}/v1/traces`; failures are counted, never thrown at the caller. */
export class OtlpExporter {
  private pending: Span[] = [];
  private readonly timer: NodeJS.Timeout;
  failures = 0;
  exported = 0;

  constructor(private readonly endpoint: string) {
    this.timer = setInterval(() => void this.flush(), 1000);
    this.timer.unref();
  }

  add(spans: readonly Span[]): void {
    if (this.pending.length < 50_000) this.pending.push(...spans);
  }

  async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    const batch = this.pending.splice(0, 5000);
    try {
      const res = await fetch(`${this.endpoint.replace(/\/$/, '')}/v1/traces`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(toOtlp(batch)),
        signal: AbortSignal.timeout(5000),
      });
      if (!res.ok) this.failures++;
      else this.exported += batch.length;
    } catch {
      this.failures++;
    }
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }
}

import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Telemetry } from './telemetry/index.ts';

/** The control plane's own Prometheus metrics, served at /metrics. */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'trellis_cp_' });
  return {
    registry,
    /** Exposes what telemetry has taken in, read at scrape time. */
    observeTelemetry(telemetry: Telemetry) {
      const counters: [string, string, () => number][] = [
        ['trellis_cp_metric_deltas_total', 'Edge deltas received from proxies and folded into the windows', () => telemetry.deltasReceived],
        ['trellis_cp_metric_deltas_dropped_total', 'Edge deltas dropped because their report came more than 10 s after it was sent (the control plane is behind)', () => telemetry.deltasDropped],
        ['trellis_cp_spans_received_total', 'Spans received from proxies', () => telemetry.spansReceived],
        ['trellis_cp_spans_written_total', 'Spans written to the database', () => telemetry.spans.written],
        ['trellis_cp_spans_dropped_total', 'Spans dropped (write queue full or write failed)', () => telemetry.spans.dropped],
      ];
      for (const [name, help, read] of counters) {
        new Counter({
          name,
          help,
          registers: [registry],
          collect() {
            this.reset();
            this.inc(read());
          },
        });
      }
      new Histogram({
        name: 'trellis_cp_metric_report_lag_seconds',
        help: 'Time from a proxy sending a metrics report to the control plane folding it in (clock skew removed)',
        buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
        registers: [registry],
        collect() {
          for (const ms of telemetry.reportLags.splice(0)) this.observe(ms / 1000);
        },
      });
      new Gauge({ name: 'trellis_cp_metric_series', help: 'Metric series held in memory', registers: [registry], collect() { this.set(telemetry.windows.size); } });
    },
    connected: new Gauge({ name: 'trellis_cp_connected_proxies', help: 'Proxies connected to the stream', registers: [registry] }),
    subscriptions: new Gauge({ name: 'trellis_cp_api_subscriptions', help: 'Live API subscriptions open now (dashboards, trellis tap)', labelNames: ['procedure'], registers: [registry] }),
    pushes: new Counter({ name: 'trellis_cp_snapshot_pushes_total', help: 'Snapshots sent to proxies', registers: [registry] }),
    acks: new Counter({ name: 'trellis_cp_snapshot_acks_total', help: 'Snapshots proxies accepted', registers: [registry] }),
    nacks: new Counter({ name: 'trellis_cp_snapshot_nacks_total', help: 'Snapshots proxies refused', registers: [registry] }),
    pushToAck: new Histogram({
      name: 'trellis_cp_push_to_ack_seconds',
      help: 'Time from sending a snapshot to its ACK',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    connectionsShed: new Counter({
      name: 'trellis_cp_connections_shed_total',
      help: 'TLS connections closed unserved because too many handshakes were in progress (a hello storm); their proxies retry',
      registers: [registry],
    }),
    streamRefusals: new Counter({
      name: 'trellis_cp_stream_refusals_total',
      help: 'Proxies turned away from the stream before getting anything, by reason',
      labelNames: ['reason'],
      registers: [registry],
    }),
    certificatesIssued: new Counter({
      name: 'trellis_cp_certificates_issued_total',
      help: 'Workload certificates the mesh CA signed',
      registers: [registry],
    }),
    telemetryRefused: new Counter({
      name: 'trellis_cp_telemetry_refused_total',
      help: 'Edge deltas and spans refused because they were not the reporting proxy\'s own, by kind',
      labelNames: ['kind'],
      registers: [registry],
    }),
    applies: new Counter({
      name: 'trellis_cp_resource_writes_total',
      help: 'Resource writes by outcome',
      labelNames: ['action', 'outcome'],
      registers: [registry],
    }),
  };
}

export type ControlPlaneMetrics = ReturnType<typeof createMetrics>;

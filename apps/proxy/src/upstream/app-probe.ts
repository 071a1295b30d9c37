import { EventEmitter } from 'node:events';
import http from 'node:http';
import net from 'node:net';
import { ticks, type Ticker } from '../ticks.ts';

/** How a sidecar checks its app: can it connect (tcp), does an HTTP path answer below 500 (http), or not at all. */
export type AppProbeSpec = { kind: 'tcp' } | { kind: 'http'; path: string } | { kind: 'none' };

export interface AppProbeOptions {
  port: number;
  spec: AppProbeSpec;
  intervalMs: number;
  /** Failures in a row before the app counts as not ready (one success makes it ready again). */
  failureThreshold: number;
}

/** Parses --app-probe: "tcp", "none", or "http:/path". */
export function parseAppProbe(text: string): AppProbeSpec | undefined {
  if (text === 'tcp' || text === 'none') return { kind: text };
  if (text.startsWith('http:/')) return { kind: 'http', path: text.slice(5) };
  return undefined;
}

/**
 * The sidecar's readiness probe of its own app. An app that stops answering (crashed, hung, not started
 * yet) is reported to the control plane, which takes its endpoint away from every caller; without this a
 * dead app behind a live sidecar keeps getting a share of the traffic. Event 'change' (ready, reason).
 */
export class AppProbe extends EventEmitter {
  /** Not ready until the app first answers (always ready when probing is off). */
  ready: boolean;
  reason: string | undefined = 'not probed yet';
  private failures = 0;
  private stopTicks: (() => void) | undefined;
  private checking = false;
  private stopped = false;

  constructor(
    private readonly options: AppProbeOptions,
    /** The process's shared ticks: a node agent's probes wake it once per interval, not once per workload. */
    private readonly ticker: Ticker = ticks,
  ) {
    super();
    this.ready = options.spec.kind === 'none';
    if (this.ready) this.reason = undefined;
  }

  start(): void {
    if (this.options.spec.kind === 'none' || this.stopTicks) return;
    void this.tick();
    // A probe still waiting for its answer is not doubled.
    this.stopTicks = this.ticker.every(this.options.intervalMs, () => {
      if (!this.checking) void this.tick();
    });
  }

  stop(): void {
    this.stopped = true;
    this.stopTicks?.();
  }

  private async tick(): Promise<void> {
    this.checking = true;
    const problem = await this.check().catch((err: Error) => err.message);
    this.checking = false;
    if (this.stopped) return;
    if (problem === undefined) {
      this.failures = 0;
      this.set(true, undefined);
    } else if (++this.failures >= this.options.failureThreshold) {
      this.set(false, problem);
    }
  }

  private set(ready: boolean, reason: string | undefined): void {
    if (ready === this.ready) return;
    this.ready = ready;
    this.reason = reason;
    this.emit('change', ready, reason);
  }

  /** Undefined when the app answered; else what went wrong. */
  private check(): Promise<string | undefined> {
    const { port, spec, intervalMs } = this.options;
    const timeout = Math.max(100, Math.min(1000, intervalMs));
    return new Promise((resolve) => {
      if (spec.kind === 'http') {
        const req = http.get({ host: '127.0.0.1', port, path: spec.path, agent: false, timeout }, (res) => {
          res.resume();
          resolve((res.statusCode ?? 500) < 500 ? undefined : `GET ${spec.path} answered ${res.statusCode ?? 0}`);
        });
        req.on('timeout', () => req.destroy(new Error(`GET ${spec.path}: no answer within ${timeout} ms`)));
        req.on('error', (err) => resolve(`GET ${spec.path}: ${err.message}`));
        return;
      }
      const socket = net.connect({ host: '127.0.0.1', port, timeout });
      socket.once('connect', () => {
        socket.destroy();
        resolve(undefined);
      });
      socket.once('timeout', () => {
        socket.destroy();
        resolve(`no connection to 127.0.0.1:${port} within ${timeout} ms`);
      });
      socket.once('error', (err) => resolve(`127.0.0.1:${port}: ${err.message}`));
    });
  }
}

import net from 'node:net';
import tls from 'node:tls';
import { describe, expect, it } from 'vitest';
import { DATABASES, type TestDatabase } from './support/databases.ts';
import { TEST_BOOTSTRAP_TOKEN, startTestControlPlane } from './support/control-plane.ts';
import { sleep } from './support/stream.ts';

const [[, createDatabase]] = DATABASES as [[string, () => Promise<TestDatabase>]];

/** The first bytes a TLS client sends (its ClientHello), caught by a listener that never answers. */
async function clientHello(): Promise<Buffer> {
  return new Promise((resolve) => {
    const catcher = net.createServer((s) =>
      s.once('data', (d: Buffer) => {
        resolve(d);
        s.destroy();
        catcher.close();
      }),
    );
    catcher.listen(0, '127.0.0.1', () => tls.connect({ port: (catcher.address() as net.AddressInfo).port, host: '127.0.0.1', rejectUnauthorized: false }).on('error', () => {}));
  });
}

/** Whether a TLS connection to the port completes its handshake. */
function handshake(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = tls.connect({ port, host: '127.0.0.1', rejectUnauthorized: false });
    s.once('secureConnect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
    s.once('close', () => resolve(false));
  });
}

// A hello storm: beyond a number of TLS handshakes in progress, new connections are closed at once
// (their proxies back off and retry) instead of every handshake slowing down until all time out.
describe('TLS handshakes in progress are bounded', () => {
  it('closes a connection beyond the bound at once, counts and logs it, and serves again when handshakes finish or time out', async () => {
    const db = await createDatabase();
    const logs: string[] = [];
    const env = await startTestControlPlane({ ...db.options, maxHandshakes: 2, handshakeTimeoutMs: 1500, log: (line) => logs.push(line) });
    const hello = await clientHello();
    const stalled: net.Socket[] = [];
    try {
      // Two handshakes that never finish: each sends its ClientHello and then nothing.
      for (let i = 0; i < 2; i++) {
        const s = net.connect(env.cp.port, '127.0.0.1', () => s.write(hello));
        s.on('error', () => {});
        stalled.push(s);
      }
      await sleep(300);
      const started = performance.now();
      expect(await handshake(env.cp.port)).toBe(false);
      expect(performance.now() - started).toBeLessThan(1000);
      const metrics = await (await fetch(`http://127.0.0.1:${env.cp.port}/metrics`, { headers: { authorization: `Bearer ${TEST_BOOTSTRAP_TOKEN}` } })).text();
      expect(metrics).toMatch(/^trellis_cp_connections_shed_total 1$/m);
      expect(logs.filter((l) => l.startsWith('too many proxies connecting at once'))).toEqual([expect.stringContaining('closed 1 TLS connections beyond 2 handshakes in progress')]);

      // Clients that stall do not hold the slots past the handshake timeout, though they keep their sockets open.
      await sleep(1500);
      expect(await handshake(env.cp.port)).toBe(true);

      // Handshakes that end (the client gives up) free their slots at once.
      const more = [0, 1].map(() => {
        const s = net.connect(env.cp.port, '127.0.0.1', () => s.write(hello));
        s.on('error', () => {});
        stalled.push(s);
        return s;
      });
      await sleep(300);
      expect(await handshake(env.cp.port)).toBe(false);
      for (const s of more) s.destroy();
      await sleep(300);
      expect(await handshake(env.cp.port)).toBe(true);
    } finally {
      for (const s of stalled) s.destroy();
      await env.cp.close();
      await db.cleanup();
    }
  });
});

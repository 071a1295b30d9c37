import net from 'node:net';
import { expect, test } from 'vitest';
import { startProxy } from './support/proxy.ts';
import { endpoint, service, snapshot } from './support/snapshot.ts';
import { startUpstream } from './support/upstream.ts';

const TOTAL = 64 * 1024 * 1024;
const CHUNK = Buffer.alloc(64 * 1024, 'x');

test('a client that stops reading pauses the upstream instead of filling the proxy memory', async () => {
  let sent = 0;
  // Streams 64 MiB as fast as the connection takes it, honouring its own backpressure.
  const upstream = await startUpstream((_req, res) => {
    res.writeHead(200, { 'content-length': String(TOTAL) });
    const pump = () => {
      while (sent < TOTAL) {
        sent += CHUNK.length;
        if (!res.write(CHUNK)) return void res.once('drain', pump);
      }
      res.end();
    };
    pump();
  });
  const proxy = await startProxy({ config: snapshot({ outbound: [service({ name: 'big', endpoints: [endpoint(upstream.port)] })] }) });
  try {
    const socket = net.connect(Number(new URL(proxy.outbound).port), '127.0.0.1');
    socket.pause();
    socket.write('GET /big HTTP/1.1\r\nHost: big\r\n\r\n');
    await new Promise((r) => setTimeout(r, 1500));
    // Kernel socket buffers on three connections hold some megabytes; nothing like the 64 MiB.
    expect(sent).toBeLessThan(24 * 1024 * 1024);
    const rss = Number(/trellis_proxy_process_resident_memory_bytes (\d+)/.exec(await (await fetch(`${proxy.admin}/metrics`)).text())?.[1]);
    expect(rss).toBeLessThan(200 * 1024 * 1024);

    // Reading again, the whole body arrives.
    let received = 0;
    const done = new Promise<void>((resolve) => {
      socket.on('data', (d: Buffer) => {
        received += d.length;
        if (received >= TOTAL) resolve();
      });
    });
    socket.resume();
    await done;
    expect(sent).toBe(TOTAL);
    socket.destroy();
  } finally {
    await proxy.stop();
    await upstream.close();
  }
});

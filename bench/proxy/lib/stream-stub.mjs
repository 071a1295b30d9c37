// A stand-in for the control plane's proxy stream, so the Trellis proxy runs as it does in a mesh:
// connected, which turns span recording on (a standalone proxy only propagates trace context) and
// keeps the stream client loaded. It speaks the real protocol (packages/shared/src/stream.ts): answers
// hello with the bench snapshot, pings with pongs, and counts the spans and metric reports it is sent
// without parsing them (it shares the load generator's core, so it must stay cheap).
import http from 'node:http';
import { WebSocketServer } from 'ws';

const STREAM_PATH = '/v1/stream';

/** Starts the stub on a free port; `snapshot` is what every proxy that says hello gets. */
export async function startStreamStub(snapshot) {
  const counts = { hellos: 0, acks: 0, nacks: [], spanMessages: 0, spans: 0, metricReports: 0 };
  const server = http.createServer((_req, res) => res.writeHead(404).end());
  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req, socket, head) => {
    if (!req.url?.startsWith(STREAM_PATH)) return socket.destroy();
    wss.handleUpgrade(req, socket, head, (ws) => {
      ws.on('message', (data) => {
        const text = data.toString();
        // Only the small messages are parsed; span batches are counted by their span ids.
        if (text.startsWith('{"type":"spans"')) {
          counts.spanMessages++;
          counts.spans += text.split('"spanId"').length - 1;
          return;
        }
        if (text.startsWith('{"type":"metrics"')) {
          counts.metricReports++;
          return;
        }
        const message = JSON.parse(text);
        if (message.type === 'hello') {
          counts.hellos++;
          ws.send(JSON.stringify({ type: 'snapshot', snapshot }));
        } else if (message.type === 'ping') ws.send(JSON.stringify({ type: 'pong', at: message.at }));
        else if (message.type === 'ack') counts.acks++;
        else if (message.type === 'nack') counts.nacks.push(message.reason);
      });
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    counts,
    close: () => {
      for (const ws of wss.clients) ws.terminate();
      server.close();
    },
  };
}

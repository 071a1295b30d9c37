// The receiving end of the floor's --mesh stream (lib/floor-mesh.mjs): a TLS WebSocket server that counts
// span batches and metric reports without parsing them, as the stand-in control plane does for Trellis's.
import https from 'node:https';
import { WebSocketServer } from 'ws';

/**
 * Counts a span batch or a metric report into `counts` ({ spanMessages, spans, metricReports }) by its
 * opening and its span ids, without parsing it (the sink shares the load generator's core); false for
 * any other message.
 */
export function countTelemetry(text, counts) {
  if (text.startsWith('{"type":"spans"')) {
    counts.spanMessages++;
    counts.spans += text.split('"spanId"').length - 1;
    return true;
  }
  if (text.startsWith('{"type":"metrics"')) {
    counts.metricReports++;
    return true;
  }
  return false;
}

/** Serves on 127.0.0.1 with `serving` ({ key, cert }); returns its wss URL, the counts, and close(). */
export async function startSpanSink(serving) {
  const counts = { spanMessages: 0, spans: 0, metricReports: 0 };
  const server = https.createServer({ key: serving.key, cert: serving.cert, minVersion: 'TLSv1.3' });
  const wss = new WebSocketServer({ server, perMessageDeflate: false });
  wss.on('connection', (ws) => {
    ws.on('message', (data) => countTelemetry(data.toString(), counts));
    ws.on('error', () => ws.terminate());
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `wss://127.0.0.1:${server.address().port}/`,
    counts,
    close: () => {
      for (const ws of wss.clients) ws.terminate();
      server.close();
    },
  };
}

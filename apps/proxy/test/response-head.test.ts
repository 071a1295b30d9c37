import { expect, test } from 'vitest';
import { forwardedResponseHeaders } from '../src/upstream/response-head.ts';

// The forwarded headers of an upstream answer, from undici's raw head (upstream/response-head.ts).

/** A raw head as undici's parser hands it out: each name and value a view into the one read it came in. */
function rawHead(lines: Array<[string, string]>): Buffer[] {
  const text = `HTTP/1.1 200 OK\r\n${lines.map(([n, v]) => `${n}: ${v}\r\n`).join('')}\r\nbody`;
  const chunk = Buffer.from(text, 'latin1');
  const raw: Buffer[] = [];
  let at = text.indexOf('\r\n') + 2;
  for (const [name, value] of lines) {
    raw.push(chunk.subarray(at, at + name.length));
    at += name.length + 2;
    raw.push(chunk.subarray(at, at + Buffer.byteLength(value, 'latin1')));
    at += Buffer.byteLength(value, 'latin1') + 2;
  }
  return raw;
}

const LINES: Array<[string, string]> = [
  ['Server', 'nginx'],
  ['Set-Cookie', 'a=1'],
  ['Connection', 'keep-alive, X-Private'],
  ['X-Private', 'dropped: listed in Connection'],
  ['Set-Cookie', 'b=2; Path=/very/long/path/over/thirteen/characters'],
  ['X-Trellis-Reason', 'rate-limited'],
  ['Content-Type', 'text/plain; charset=caf\u00e9'],
  ['Content-Length', '4'],
];

const EXPECTED = {
  server: 'nginx',
  'set-cookie': ['a=1', 'b=2; Path=/very/long/path/over/thirteen/characters'],
  'content-type': 'text/plain; charset=caf\u00e9',
  'content-length': '4',
};

test('values, repeats in order, hop-by-hop and Connection-listed names removed, x-trellis-* only from a proxy', () => {
  expect(forwardedResponseHeaders(rawHead(LINES), true)).toEqual(EXPECTED);
  expect(forwardedResponseHeaders(rawHead(LINES), false)).toEqual({ ...EXPECTED, 'x-trellis-reason': 'rate-limited' });
});

test('a raw head of strings makes the same headers', () => {
  const strings = rawHead(LINES).map((b) => b.toString('latin1'));
  expect(forwardedResponseHeaders(strings, true)).toEqual(EXPECTED);
});

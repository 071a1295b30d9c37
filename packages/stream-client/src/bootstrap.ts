import https from 'node:https';
import tls from 'node:tls';
import { TRUST_BUNDLE_PATH, parseJoinToken, trustBundle, type ProxyCredential } from '@trellis/shared';
import { rootPin } from '@trellis/shared/node';

/**
 * The first trust in a control plane: its published roots, fetched without verifying its certificate,
 * of which only the one matching the join token's pin is kept. A server that does not hold the pinned
 * root gets nothing from this proxy (not even the token).
 */
export async function pinnedRoots(origin: URL, credential: ProxyCredential | undefined): Promise<string[]> {
  const pin = credential?.kind === 'join-token' ? parseJoinToken(credential.token)?.pin : undefined;
  if (!pin) throw new Error('no trusted root for the control plane yet, and no join token to find one with (give the proxy --token-file or TRELLIS_TOKEN)');
  const roots = await fetchBundle(origin);
  const match = roots.filter((r) => rootPin(r) === pin);
  if (match.length === 0) {
    throw new Error(
      `the control plane at ${origin.host} does not hold the root this join token pins (${pin}): it is another control plane, or its CA was replaced; create a new token there`,
    );
  }
  return match;
}

let unverified: tls.SecureContext | undefined;
/** One TLS context for every bundle fetch: building one per connection (with the default roots) cost more than the handshake. */
const unverifiedContext = () => (unverified ??= tls.createSecureContext({ minVersion: 'TLSv1.2' }));

async function fetchBundle(origin: URL): Promise<string[]> {
  const url = new URL(TRUST_BUNDLE_PATH, origin);
  url.protocol = 'https:';
  // Unverified on purpose: nothing is trusted from this answer but a root whose key matches the pin.
  const body = await new Promise<string>((resolve, reject) => {
    // https passes secureContext on to tls.connect; its typing leaves it out.
    const options = { rejectUnauthorized: false, secureContext: unverifiedContext(), timeout: 5000 } as https.RequestOptions;
    const req = https.get(url, options, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        text += chunk;
        if (text.length > 256 * 1024) req.destroy(new Error('trust bundle too large'));
      });
      res.on('end', () => (res.statusCode === 200 ? resolve(text) : reject(new Error(`${url.href} answered ${res.statusCode ?? 0}`))));
    });
    req.on('timeout', () => req.destroy(new Error(`${url.href} did not answer within 5 s`)));
    req.on('error', reject);
  });
  return trustBundle.parse(JSON.parse(body)).roots;
}

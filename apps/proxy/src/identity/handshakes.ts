/** TLS handshakes of one side of a workload (its inbound listener, or its calls to other proxies), for /metrics. */
export class HandshakeCounters {
  ok = 0;
  readonly failed = new Map<string, number>();

  fail(reason: string): void {
    this.failed.set(reason, (this.failed.get(reason) ?? 0) + 1);
  }
}

/** A short, bounded reason for a failed handshake (the metric's label). */
export function handshakeFailure(err: NodeJS.ErrnoException): string {
  const text = `${err.code ?? ''} ${err.message}`;
  if (err.code === 'ERR_TLS_PEER_IDENTITY') return 'identity-mismatch';
  if (/PEER_DID_NOT_RETURN_A_CERTIFICATE|CERTIFICATE_REQUIRED/.test(text)) return 'no-client-certificate';
  if (/EXPIRED|has expired/i.test(text)) return 'expired-certificate';
  if (/CERTIFICATE_VERIFY_FAILED|UNKNOWN_CA|UNABLE_TO_|SELF_SIGNED|BAD_CERTIFICATE|unable to verify/i.test(text)) return 'untrusted-certificate';
  if (/HANDSHAKE_TIMEOUT|timed? ?out/i.test(text)) return 'timeout';
  if (/VERSION|UNSUPPORTED_PROTOCOL/.test(text)) return 'protocol-version';
  return 'other';
}

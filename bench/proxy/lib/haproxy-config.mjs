// HAProxy as reverse proxy: one thread (like Node's one JS thread), connections to the upstream kept
// and shared (`http-reuse always`), no logging. No chroot/user, so it runs as any user.

/** The generated haproxy.cfg. */
export function haproxyConfig({ port, upstreamPort }) {
  return `global
  nbthread 1
  # Within a default 20k fd limit (haproxy needs about two fds per connection).
  maxconn 4096
  tune.bufsize 16384

defaults
  mode http
  option http-keep-alive
  http-reuse always
  timeout connect 5s
  timeout client 60s
  timeout server 60s
  timeout http-keep-alive 60s

frontend bench
  bind 127.0.0.1:${port}
  default_backend app

backend app
  server app1 127.0.0.1:${upstreamPort} maxconn 1000
`;
}

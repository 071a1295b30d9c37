// nginx configs for the upstream and for nginx-as-reverse-proxy. Everything nginx writes (pid, logs,
// temp files) lives in the run's temp dir, so it runs as any user; access logs are off for every target.

/** The upstream's fixed response: 64 bytes, so header handling, not body copying, dominates. */
export const UPSTREAM_BODY = 'trellis bench upstream: a fixed small body of sixty-four bytes.\n';

function common(dir) {
  return `
daemon off;
master_process on;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 4096; multi_accept on; }
`;
}

function httpCommon(dir) {
  return `
  access_log off;
  client_body_temp_path ${dir}/client_body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  keepalive_requests 1000000;
  keepalive_timeout 120s;
`;
}

/** The upstream app: one nginx worker answering from memory. */
export function upstreamConfig({ dir, port }) {
  return `worker_processes 1;
${common(dir)}
http {
${httpCommon(dir)}
  default_type text/plain;
  server {
    listen 127.0.0.1:${port} reuseport;
    location / { return 200 "${UPSTREAM_BODY.replace(/\n/g, '\\n')}"; }
    # Lets the bench check what a proxy forwarded (trace context, request id); never used under load.
    location = /_bench/headers {
      return 200 "traceparent=$http_traceparent\\nx-request-id=$http_x_request_id\\nhost=$http_host\\n";
    }
  }
}
`;
}

/** nginx as reverse proxy: one worker (see docs/BENCHMARKS.md), a keep-alive pool to the upstream. */
export function proxyConfig({ dir, port, upstreamPort }) {
  return `worker_processes 1;
${common(dir)}
http {
${httpCommon(dir)}
  upstream app {
    server 127.0.0.1:${upstreamPort};
    keepalive 64;
    keepalive_requests 1000000;
    keepalive_timeout 120s;
  }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://app;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
    }
  }
}
`;
}

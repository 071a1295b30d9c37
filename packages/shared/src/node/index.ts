// Helpers for the Node processes (proxy and control plane) only: the dashboard never imports this entry.
export * from './tls.ts';
export * from './young-generation.ts';

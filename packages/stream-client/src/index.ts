export { StreamClient, type StreamClientOptions, type StreamState } from './client.ts';
export { tokenCredentials, type StreamCredentials } from './credentials.ts';
export { backoffDelay } from './backoff.ts';
export { loadSnapshot, saveSnapshot } from './disk-cache.ts';
export { SnapshotMemo } from './snapshot-memo.ts';

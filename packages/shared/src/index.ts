export * from './resources/index.ts';
export * from './duration.ts';
export * from './errors.ts';
export * from './input-bounds.ts';
export * from './regex.ts';
export * from './snapshot.ts';
export * from './stream.ts';
export * from './telemetry.ts';

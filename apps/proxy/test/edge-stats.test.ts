import { describe, expect, it } from 'vitest';
import { EdgeStats, type EdgeOutcome } from '../src/telemetry/edges.ts';

const outcome = (o: Partial<EdgeOutcome> = {}): EdgeOutcome => ({ retries: 0, rateLimited: false, cacheHit: false, ejections: 0, mtls: true, attempts: 1, failedAttempts: 0, ...o });

describe('an edge counts what its callers got', () => {
  it('counts a gRPC call that failed on the server (HTTP 200 on the wire) as the 5xx it stands for', () => {
    const edge = new EdgeStats('reviews.default', 'ratings.default', '/trellis.demo.Ratings/GetRating', 'v1', 'outbound');
    for (let i = 0; i < 98; i++) edge.record(200, 3, outcome({ grpcStatus: 0 }));
    edge.record(200, 3, outcome({ grpcStatus: 14 })); // UNAVAILABLE
    edge.record(200, 3, outcome({ grpcStatus: 5 })); // NOT_FOUND: the caller's error, as a 404 would be
    const delta = edge.takeDelta();
    expect(delta?.codes).toEqual({ '2xx': 99, '3xx': 0, '4xx': 0, '5xx': 1 });
    expect(delta?.grpc).toEqual({ '0': 98, '14': 1, '5': 1 });
    // The exact HTTP status stays what went over the wire (the Prometheus `status` label).
    expect(edge.codes.get(200)).toBe(100);
  });

  it('counts plain HTTP by its status class', () => {
    const edge = new EdgeStats('cart.default', 'payments.default', 'default', undefined, 'outbound');
    edge.record(200, 1, outcome());
    edge.record(503, 1, outcome({ failedAttempts: 1 }));
    edge.record(404, 1, outcome());
    expect(edge.takeDelta()?.codes).toEqual({ '2xx': 1, '3xx': 0, '4xx': 1, '5xx': 1 });
  });
});

import { expect, test } from 'vitest';
import { render, type Family, type Sample } from '../src/telemetry/exposition.ts';

// The hand-written Prometheus text format that replaced prom-client: what scrapers and the tests read.

test('families render with HELP, TYPE, escaped label values and histogram suffixes', () => {
  const families: Family[] = [
    {
      name: 'trellis_requests_total',
      help: 'Requests by edge.\nSecond line with a \\ backslash.',
      type: 'counter',
      collect: () => [{ labels: { route: 'a "quoted"\nroute\\x', code: 200 }, value: 3 }],
    },
    {
      name: 'trellis_request_duration_seconds',
      help: 'Request duration.',
      type: 'histogram',
      collect: (): Sample[] => [
        { suffix: '_bucket', labels: { route: 'r', le: 0.5 }, value: 1 },
        { suffix: '_bucket', labels: { route: 'r', le: '+Inf' }, value: 2 },
        { suffix: '_sum', labels: { route: 'r' }, value: 0.75 },
        { suffix: '_count', labels: { route: 'r' }, value: 2 },
      ],
    },
    { name: 'trellis_up', help: 'Plain gauge.', type: 'gauge', merge: 'max', collect: () => [{ value: Infinity }, { labels: {}, value: NaN }] },
    { name: 'trellis_empty', help: 'No series yet.', type: 'counter', collect: () => [] },
  ];
  expect(render(families)).toBe(
    [
      '# HELP trellis_requests_total Requests by edge.\\nSecond line with a \\\\ backslash.',
      '# TYPE trellis_requests_total counter',
      'trellis_requests_total{route="a \\"quoted\\"\\nroute\\\\x",code="200"} 3',
      '# HELP trellis_request_duration_seconds Request duration.',
      '# TYPE trellis_request_duration_seconds histogram',
      'trellis_request_duration_seconds_bucket{route="r",le="0.5"} 1',
      'trellis_request_duration_seconds_bucket{route="r",le="+Inf"} 2',
      'trellis_request_duration_seconds_sum{route="r"} 0.75',
      'trellis_request_duration_seconds_count{route="r"} 2',
      '# HELP trellis_up Plain gauge.',
      '# TYPE trellis_up gauge',
      'trellis_up +Inf',
      'trellis_up NaN',
      '# HELP trellis_empty No series yet.',
      '# TYPE trellis_empty counter',
      '',
    ].join('\n'),
  );
});

/**
 * Prometheus text exposition (format 0.0.4), written by hand. The proxy computes every value at scrape
 * time from its own counters, so all it needs from a metrics library is this formatting; prom-client
 * added ~9 MB of RSS and a 10 ms event-loop-delay timer (100 wake-ups a second) for it.
 */
export const CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export type Labels = Readonly<Record<string, string | number>>;

export interface Sample {
  labels?: Labels;
  value: number;
  /** For histograms: `_bucket`, `_sum` or `_count`, appended to the family name. */
  suffix?: '_bucket' | '_sum' | '_count';
}

/**
 * How one series read from several processes (--workers) becomes the proxy's: counters and histograms
 * add up; each gauge says which (memory adds up, a version or a certificate's expiry is the one furthest
 * behind, the lag the worst).
 */
export type MergeRule = 'sum' | 'min' | 'max';

/** One metric family: its samples are computed when it is scraped. */
export type Family = {
  name: string;
  help: string;
  collect(): Iterable<Sample>;
} & ({ type: 'counter' | 'histogram' } | { type: 'gauge'; merge: MergeRule });

const escapeHelp = (text: string): string => text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');

function escapeLabel(value: string | number): string {
  if (typeof value === 'number') return String(value);
  // Most values need no escaping; skip the three replaces for them.
  return /[\\"\n]/.test(value) ? value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n') : value;
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}

function formatLabels(labels: Labels | undefined): string {
  if (!labels) return '';
  let out = '';
  for (const name in labels) {
    const value = labels[name];
    if (value === undefined) continue;
    out += `${out ? ',' : ''}${name}="${escapeLabel(value)}"`;
  }
  return out ? `{${out}}` : '';
}

/** The text of every family, HELP and TYPE first, one sample per line. */
export function render(families: Iterable<Family>): string {
  let out = '';
  for (const family of families) {
    out += `# HELP ${family.name} ${escapeHelp(family.help)}\n# TYPE ${family.name} ${family.type}\n`;
    for (const sample of family.collect()) {
      out += `${family.name}${sample.suffix ?? ''}${formatLabels(sample.labels)} ${formatValue(sample.value)}\n`;
    }
  }
  return out;
}

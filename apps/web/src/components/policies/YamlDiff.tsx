import { isResourceKind, resourceSchemas } from '@trellis/shared';
import type { ReactNode } from 'react';
import YAML from 'yaml';
import { lineDiff } from '@/lib/line-diff';
import { orderBySchema } from '@/lib/schema-order';

const asYaml = (value: unknown): string => {
  if (value === undefined || value === null) return '';
  const kind = (value as { kind?: unknown }).kind;
  return YAML.stringify(isResourceKind(kind) ? orderBySchema(value, resourceSchemas[kind]) : value);
};

/** One YAML line with its key and value coloured (the editor's colours). */
function YamlLine({ text }: { text: string }): ReactNode {
  const m = /^(\s*(?:- )?)([^:#'"\s][^:#]*?)(:)(\s.*|$)/.exec(text);
  if (!m) return <span className={/^\s*- /.test(text) ? 'y-value' : undefined}>{text}</span>;
  const [, indent, key, colon, rest] = m;
  return (
    <>
      {indent}
      <span className="y-key">{key}</span>
      {colon}
      <span className="y-value">{rest}</span>
    </>
  );
}

/**
 * Before and after as YAML, line by line: removed lines red with "-", added ones green with "+", the rest
 * for context. With nothing before, the whole new resource (all "+").
 */
export function YamlDiff({ before, after, testId = 'yaml-diff' }: { before: unknown; after: unknown; testId?: string }) {
  const lines = lineDiff(asYaml(before), asYaml(after));
  return (
    <pre className="yaml-diff" data-testid={testId} aria-label="Changes as YAML">
      {lines.map((l, i) => (
        <div key={i} className={`yd-line yd-${l.op}`} data-op={l.op}>
          <span className="yd-mark" aria-hidden>
            {l.op === 'add' ? '+' : l.op === 'remove' ? '-' : ' '}
          </span>
          <span className="sr-only">{l.op === 'add' ? 'added: ' : l.op === 'remove' ? 'removed: ' : ''}</span>
          <YamlLine text={l.text} />
        </div>
      ))}
    </pre>
  );
}

import YAML from 'yaml';
import type { Change } from '@/lib/diff';

/** A value as a person reads it: scalars as they are, lists and objects as short YAML. */
function Value({ value }: { value: unknown }) {
  if (value === undefined || value === null) return <span className="muted">(none)</span>;
  if (typeof value !== 'object') return <>{String(value as string | number | boolean)}</>;
  return <pre className="diff-yaml">{YAML.stringify(value).trimEnd()}</pre>;
}

/** The fields that change, one row each: path, value before (struck out) and after. */
export function DiffView({ changes, testId = 'diff' }: { changes: readonly Change[]; testId?: string }) {
  if (changes.length === 0) return <div className="hint">No changes.</div>;
  return (
    <table className="diff" data-testid={testId}>
      <tbody>
        {changes.map((c) => (
          <tr key={c.path} data-testid="diff-row" data-path={c.path}>
            <td className="path">{c.path || 'the whole resource'}</td>
            <td className={c.before === undefined || c.before === null ? 'none' : 'before'}>
              <Value value={c.before} />
            </td>
            <td className={c.after === undefined || c.after === null ? 'none' : 'after'}>
              <Value value={c.after} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

import type { Change } from '@/lib/diff';

const show = (v: unknown) => (v === undefined ? '—' : typeof v === 'string' ? v : JSON.stringify(v));

export function DiffView({ changes, testId = 'diff' }: { changes: readonly Change[]; testId?: string }) {
  if (changes.length === 0) return <div className="hint">No changes.</div>;
  return (
    <table className="diff" data-testid={testId}>
      <tbody>
        {changes.map((c) => (
          <tr key={c.path} data-testid="diff-row" data-path={c.path}>
            <td className="path">{c.path || '(whole resource)'}</td>
            <td className={c.before === undefined || c.before === null ? '' : 'before'}>{show(c.before)}</td>
            <td className={c.after === undefined || c.after === null ? '' : 'after'}>{show(c.after)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

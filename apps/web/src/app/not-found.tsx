import Link from 'next/link';

export default function NotFound() {
  return (
    <div className="page">
      <div className="state state-empty" data-testid="not-found">
        <h1 className="state-title">This page does not exist</h1>
        <div className="state-body">
          The address may be mistyped, or what it pointed to was deleted. Go to the <Link href="/graph">service graph</Link>, or pick a page from the menu.
        </div>
      </div>
    </div>
  );
}

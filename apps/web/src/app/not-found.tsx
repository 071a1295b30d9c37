import Link from 'next/link';

export default function NotFound() {
  return (
    <div className="state state-empty page-pad">
      <div className="state-title">Nothing here</div>
      <div className="state-body">
        This page does not exist. Go to the <Link href="/graph">service graph</Link>.
      </div>
    </div>
  );
}

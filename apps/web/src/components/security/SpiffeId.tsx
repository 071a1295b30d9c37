import { Fragment } from 'react';

/** A SPIFFE ID that wraps at its slashes (never inside "default" or a service name) when the column is narrow. */
export function SpiffeId({ id, testId }: { id: string; testId?: string }) {
  const parts = id.split('/');
  return (
    <span className="mono identity" data-testid={testId} data-identity={id}>
      {parts.map((p, i) => (
        <Fragment key={i}>
          {p}
          {i < parts.length - 1 ? (
            <>
              /<wbr />
            </>
          ) : null}
        </Fragment>
      ))}
    </span>
  );
}

'use client';

import { useEffect, useRef, useState } from 'react';
import YAML from 'yaml';

/**
 * The same draft as YAML, editable: valid YAML updates the form at once, invalid YAML is reported
 * here and leaves the form as it was.
 */
export function YamlEditor({ value, onChange }: { value: Record<string, unknown>; onChange: (next: Record<string, unknown>) => void }) {
  const [text, setText] = useState(() => YAML.stringify(value));
  const [parseError, setParseError] = useState<string | null>(null);
  const emitted = useRef(JSON.stringify(value));

  useEffect(() => {
    const json = JSON.stringify(value);
    if (json !== emitted.current) {
      emitted.current = json;
      setText(YAML.stringify(value));
      setParseError(null);
    }
  }, [value]);

  return (
    <div className="field">
      <textarea
        className="yaml"
        spellCheck={false}
        aria-label="Policy as YAML"
        value={text}
        data-testid="yaml-editor"
        onChange={(e) => {
          setText(e.target.value);
          try {
            const parsed: unknown = YAML.parse(e.target.value);
            if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('the document must be a mapping (apiVersion, kind, metadata, spec)');
            setParseError(null);
            emitted.current = JSON.stringify(parsed);
            onChange(parsed as Record<string, unknown>);
          } catch (err) {
            setParseError((err as Error).message);
          }
        }}
      />
      {parseError ? (
        <div className="error" role="alert" data-testid="yaml-error">
          YAML: {parseError}
        </div>
      ) : (
        <div className="help">
          The same resource <span className="mono">trellis apply -f</span> takes. Edits here update the form.
        </div>
      )}
    </div>
  );
}

'use client';

import { defaultKeymap, history, historyKeymap, indentWithTab } from '@codemirror/commands';
import { yaml as yamlLanguage } from '@codemirror/lang-yaml';
import { HighlightStyle, syntaxHighlighting } from '@codemirror/language';
import { lintGutter, linter, type Diagnostic } from '@codemirror/lint';
import { EditorState } from '@codemirror/state';
import { EditorView, keymap, lineNumbers } from '@codemirror/view';
import { tags } from '@lezer/highlight';
import { formatIssues, resourceSchemas, type ResourceKind } from '@trellis/shared';
import { useEffect, useRef, useState } from 'react';
import YAML, { isNode } from 'yaml';
import { orderBySchema } from '@/lib/schema-order';

const highlight = HighlightStyle.define([
  { tag: tags.definition(tags.propertyName), color: '#1d4ed8' },
  { tag: tags.propertyName, color: '#1d4ed8' },
  { tag: [tags.string, tags.special(tags.string)], color: '#047857' },
  { tag: [tags.number, tags.bool, tags.null], color: '#b45309' },
  { tag: tags.comment, color: '#6b7280', fontStyle: 'italic' },
  { tag: [tags.meta, tags.punctuation, tags.separator], color: '#6b7280' },
]);

/** The draft as YAML, keys in the order the kind's schema declares them. */
export function toYaml(kind: ResourceKind, value: unknown): string {
  return YAML.stringify(orderBySchema(value, resourceSchemas[kind]));
}

/** What is wrong with the text, each at its place: YAML syntax first, then the kind's zod schema. */
export function yamlProblems(kind: ResourceKind, text: string): { diagnostics: Diagnostic[]; parsed?: Record<string, unknown>; syntaxError?: string } {
  const doc = YAML.parseDocument(text, { prettyErrors: false });
  if (doc.errors.length > 0) {
    const diagnostics = doc.errors.map((e) => ({ from: Math.min(e.pos[0], text.length), to: Math.min(Math.max(e.pos[1], e.pos[0] + 1), text.length), severity: 'error' as const, message: e.message.split('\n')[0] ?? e.message }));
    return { diagnostics, syntaxError: diagnostics[0]?.message ?? 'invalid YAML' };
  }
  const parsed: unknown = doc.toJS();
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    return { diagnostics: [{ from: 0, to: text.length, severity: 'error', message: 'the document must be a mapping (apiVersion, kind, metadata, spec)' }], syntaxError: 'the document must be a mapping (apiVersion, kind, metadata, spec)' };
  }
  const result = resourceSchemas[kind].safeParse(parsed);
  const diagnostics: Diagnostic[] = [];
  if (!result.success) {
    const messages = formatIssues(result.error.issues);
    result.error.issues.forEach((issue, i) => {
      // The deepest node the path reaches: the field itself, or the mapping it is missing from.
      let path = [...issue.path] as (string | number)[];
      if (issue.code === 'unrecognized_keys' && issue.keys[0]) path = [...path, issue.keys[0]];
      let node: unknown = undefined;
      while (path.length > 0 && !isNode((node = doc.getIn(path, true)))) path = path.slice(0, -1);
      const range = isNode(node) ? node.range : undefined;
      const from = range ? range[0] : 0;
      const to = range ? Math.max(range[1], from + 1) : Math.min(text.length, 1);
      const m = messages[i];
      diagnostics.push({ from: Math.min(from, text.length), to: Math.min(to, text.length), severity: 'error', message: m ? (m.path ? `${m.path}: ${m.message}` : m.message) : issue.message });
    });
  }
  return { diagnostics, parsed: parsed as Record<string, unknown> };
}

/**
 * The same draft as YAML in a code editor (CodeMirror 6): highlighted, checked against the kind's own zod
 * schema as you type with each problem at its line, keys in the schema's order. Valid YAML updates the
 * form at once; YAML that does not parse leaves the form as it was and says so (`onSyntaxError`).
 */
export function YamlEditor({
  kind,
  value,
  onChange,
  onSyntaxError,
  readOnly = false,
}: {
  kind: ResourceKind;
  value: Record<string, unknown>;
  onChange: (next: Record<string, unknown>) => void;
  onSyntaxError: (message: string | null) => void;
  readOnly?: boolean;
}) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const emitted = useRef(JSON.stringify(value));
  const callbacks = useRef({ onChange, onSyntaxError });
  const [problems, setProblems] = useState<{ syntax?: string; count: number }>({ count: 0 });

  useEffect(() => {
    callbacks.current = { onChange, onSyntaxError };
  });

  useEffect(() => {
    if (!host.current) return;
    const emit = (parsed: Record<string, unknown> | undefined) => {
      if (!parsed) return;
      const json = JSON.stringify(parsed);
      if (json !== emitted.current) {
        emitted.current = json;
        callbacks.current.onChange(parsed);
      }
    };
    const check = linter((v) => {
      const { diagnostics, parsed, syntaxError } = yamlProblems(kind, v.state.doc.toString());
      setProblems({ syntax: syntaxError, count: diagnostics.length });
      callbacks.current.onSyntaxError(syntaxError ?? null);
      emit(parsed);
      return diagnostics;
    }, { delay: 150 });
    // The form gets every edit at once, not when the linter next runs: someone who types and switches to
    // the form (which unmounts this editor) within the linter's delay would otherwise lose the edit.
    const sync = EditorView.updateListener.of((update) => {
      if (update.docChanged) emit(yamlProblems(kind, update.state.doc.toString()).parsed);
    });
    const editor = new EditorView({
      parent: host.current,
      state: EditorState.create({
        doc: toYaml(kind, JSON.parse(emitted.current)),
        extensions: [
          lineNumbers(),
          history(),
          keymap.of([...defaultKeymap, ...historyKeymap, indentWithTab]),
          yamlLanguage(),
          syntaxHighlighting(highlight),
          check,
          sync,
          lintGutter(),
          EditorView.lineWrapping,
          EditorState.readOnly.of(readOnly),
          EditorView.editable.of(!readOnly),
          EditorView.contentAttributes.of({ 'data-testid': 'yaml-editor', 'aria-label': 'Policy as YAML' }),
        ],
      }),
    });
    view.current = editor;
    return () => {
      editor.destroy();
      view.current = null;
      callbacks.current.onSyntaxError(null);
    };
  }, [kind, readOnly]);

  // A change made in the form replaces the text (an edit made here has already been emitted, so it does not).
  useEffect(() => {
    const json = JSON.stringify(value);
    const editor = view.current;
    if (json === emitted.current || !editor) return;
    emitted.current = json;
    editor.dispatch({ changes: { from: 0, to: editor.state.doc.length, insert: toYaml(kind, value) } });
  }, [value, kind]);

  return (
    <div className="field">
      <div ref={host} className="yaml-editor" />
      {problems.syntax ? (
        <div className="error" role="alert" data-testid="yaml-error">
          YAML does not parse: {problems.syntax}. The form keeps its last valid state until this is fixed.
        </div>
      ) : problems.count > 0 ? (
        <div className="error" role="alert" data-testid="yaml-problems">
          {problems.count === 1 ? '1 problem' : `${problems.count} problems`}, marked at {problems.count === 1 ? 'its line' : 'their lines'}.
        </div>
      ) : (
        <div className="help">
          The same resource <span className="mono">trellis apply -f</span> takes. Edits here update the form.
        </div>
      )}
    </div>
  );
}

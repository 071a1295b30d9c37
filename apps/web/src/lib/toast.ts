import { useSyncExternalStore } from 'react';

export interface Toast {
  id: number;
  message: string;
  tone: 'info' | 'error';
  /** Where the thing the toast is about can be seen ("revision 4" -> its place in History). */
  link?: { href: string; label: string };
  /** Accepted, but worth a look: e.g. a policy whose target names no known service. */
  warnings?: readonly string[];
}

type ToastExtras = Pick<Toast, 'link' | 'warnings'>;

let toasts: Toast[] = [];
let nextId = 1;
const listeners = new Set<() => void>();
const emit = () => listeners.forEach((l) => l());

/** A short confirmation ("Saved revision 4") in the corner; errors that belong to a field go to the field instead. */
export function toast(message: string, tone: Toast['tone'] = 'info', extras: ToastExtras = {}): void {
  const id = nextId++;
  toasts = [...toasts, { id, message, tone, ...extras }].slice(-4);
  emit();
  setTimeout(() => {
    toasts = toasts.filter((t) => t.id !== id);
    emit();
    // Long enough to follow the link or read a warning.
  }, tone === 'error' || extras.warnings?.length ? 10_000 : extras.link ? 6000 : 3500);
}

export function useToasts(): Toast[] {
  return useSyncExternalStore(
    (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    () => toasts,
    () => toasts,
  );
}

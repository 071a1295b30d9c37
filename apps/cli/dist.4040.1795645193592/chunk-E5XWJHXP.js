import { createRequire as __trellisRequire } from 'node:module'; const require = __trellisRequire(import.meta.url);

// apps/cli/src/output.ts
import { stringify } from "yaml";
function table(headers, rows) {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join("   ").trimEnd();
  return [line(headers), ...rows.map(line)].join("\n") + "\n";
}
function toYaml(value) {
  return stringify(value, { lineWidth: 0 });
}
function age(iso, now = Date.now()) {
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1e3));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.round(s / 60)}m`;
  if (s < 172800) return `${Math.round(s / 3600)}h`;
  return `${Math.round(s / 86400)}d`;
}

export {
  table,
  toYaml,
  age
};
//# sourceMappingURL=chunk-E5XWJHXP.js.map

#!/usr/bin/env node
// Where a node agent's V8 heap goes per workload: reads two heap snapshots of the same agent build at
// different workload counts (bench/node-agent/run.mjs --heap-snapshots DIR writes agent-n<N>.heapsnapshot),
// sums self size and count by constructor in each, and prints the difference divided by the difference
// in workloads, largest first: what one more workload costs in the heap, and in what objects.
//
//   node bench/node-agent/heap-by-constructor.mjs DIR/agent-n30.heapsnapshot DIR/agent-n100.heapsnapshot [--top 30]
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '30' } } });
if (positionals.length !== 2) {
  console.error('usage: node bench/node-agent/heap-by-constructor.mjs A.heapsnapshot B.heapsnapshot [--top N]  (file names carry -n<workloads>)');
  process.exit(2);
}

/** Self size and count per group: objects and native objects by constructor, the rest by type. */
function summarize(file) {
  const snap = JSON.parse(readFileSync(file, 'utf8'));
  const fields = snap.snapshot.meta.node_fields;
  const types = snap.snapshot.meta.node_types[0];
  const width = fields.length;
  const [iType, iName, iSize] = ['type', 'name', 'self_size'].map((f) => fields.indexOf(f));
  const groups = new Map();
  let total = 0;
  for (let i = 0; i < snap.nodes.length; i += width) {
    const type = types[snap.nodes[i + iType]];
    const size = snap.nodes[i + iSize];
    const name = snap.strings[snap.nodes[i + iName]];
    const key = type === 'object' || type === 'native' || type === 'closure' ? `${type === 'object' ? '' : `(${type}) `}${name}` : `(${type})`;
    const g = groups.get(key) ?? { size: 0, count: 0 };
    g.size += size;
    g.count++;
    groups.set(key, g);
    total += size;
  }
  return { groups, total };
}

const workloadsOf = (file) => Number(/-n(\d+)/.exec(file)?.[1] ?? NaN);
const [fa, fb] = positionals;
const [na, nb] = [workloadsOf(fa), workloadsOf(fb)];
if (!(nb > na)) {
  console.error('the file names must say the workload counts (-n30, -n100), the second larger');
  process.exit(2);
}
const a = summarize(fa);
const b = summarize(fb);
const dn = nb - na;
const rows = [];
for (const key of new Set([...a.groups.keys(), ...b.groups.keys()])) {
  const ga = a.groups.get(key) ?? { size: 0, count: 0 };
  const gb = b.groups.get(key) ?? { size: 0, count: 0 };
  rows.push({ key, bytes: (gb.size - ga.size) / dn, count: (gb.count - ga.count) / dn });
}
rows.sort((x, y) => y.bytes - x.bytes);
const kb = (n) => (n / 1024).toFixed(1);
console.log(`heap self size: ${kb(a.total)} KB at N=${na}, ${kb(b.total)} KB at N=${nb}: ${kb((b.total - a.total) / dn)} KB per added workload`);
console.log('| per added workload | KB | objects |');
console.log('|---|---:|---:|');
for (const r of rows.slice(0, Number(values.top))) console.log(`| ${r.key.slice(0, 70).replace(/\|/g, '\\|')} | ${kb(r.bytes)} | ${r.count.toFixed(1)} |`);

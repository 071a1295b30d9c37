import { readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { StreamClient, tokenCredentials } from '@trellis/stream-client';
import { RESOURCE_KINDS } from '@trellis/shared';
import { retryPolicyYaml } from './support/manifests.ts';
import { repoRoot, controlPlaneForSuite, trellis } from './support/run.ts';
import { joinToken } from './support/mesh.ts';

describe('trellis resource commands against a real control plane', () => {
  const cp = controlPlaneForSuite();
  const { server } = cp;

  it('applies every example (one per kind) and lists them back', async () => {
    const files = (await readdir(path.join(repoRoot, 'examples'))).filter((f) => f.endsWith('.yaml'));
    // All of them in one apply, as `cat examples/*.yaml | trellis apply -f -` would: every document is
    // still validated and created on its own line (one process, not one per file; `-f FILE` is covered below).
    const texts = await Promise.all(files.map(async (f) => ({ f, text: await readFile(path.join(repoRoot, 'examples', f), 'utf8') })));
    const r = await trellis(['apply', '-f', '-', ...server()], { stdin: texts.map(({ text }) => text).join('---\n') });
    const documents = texts.map(({ f, text }) => ({ f, count: text.match(/^kind: /gm)?.length ?? 0 }));
    expect(r.code, `${r.stderr}\n(documents in order: ${documents.map(({ f, count }) => `${f} ${count}`).join(', ')})`).toBe(0);
    const created = r.stdout.trim().split('\n');
    expect(created.length).toBe(documents.reduce((n, { count }) => n + count, 0));
    for (const line of created) expect(line).toMatch(/^[a-z]+\/[\w.-]+ created \(revision 1\)$/);
    for (const kind of RESOURCE_KINDS) {
      const got = await trellis(['get', kind, '-A', '-o', 'json', ...server()]);
      expect(got.code, got.stderr).toBe(0);
      expect((JSON.parse(got.stdout) as unknown[]).length, `an example of ${kind}`).toBeGreaterThan(0);
    }
  });

  it('refuses a file with an invalid document, naming file, document and field, and applies none of it', async () => {
    const file = path.join(cp.dir, 'mixed.yaml');
    await writeFile(file, `${retryPolicyYaml(3, 'first-ok')}---\n${retryPolicyYaml(11, 'second-bad')}---\n${retryPolicyYaml(2, 'third-ok')}`);
    const r = await trellis(['apply', '-f', file, ...server()]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(`${file}: document 2: spec.attempts: must be at most 10`);
    expect(r.stderr).toContain('nothing was applied');
    const list = await trellis(['get', 'retrypolicy', '-o', 'json', ...server()]);
    const names = (JSON.parse(list.stdout) as { metadata: { name: string } }[]).map((x) => x.metadata.name);
    expect(names).not.toContain('first-ok');
    expect(names).not.toContain('third-ok');
  });

  it('applies many documents in one transaction: a conflict on a later one leaves the earlier ones unwritten', async () => {
    const taken = await trellis(['apply', '-f', '-', ...server()], { stdin: retryPolicyYaml(2, 'already-there') });
    expect(taken.code, taken.stderr).toBe(0);
    const stale = retryPolicyYaml(5, 'already-there').replace('  name: already-there\n', '  name: already-there\n  resourceVersion: "99"\n');
    const r = await trellis(['apply', '-f', '-', ...server()], { stdin: `${retryPolicyYaml(3, 'before-the-conflict')}---\n${stale}` });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('conflict: RetryPolicy default/already-there was changed by someone else');
    expect(r.stderr).toContain('nothing was applied');
    const missing = await trellis(['get', 'retrypolicy', 'before-the-conflict', ...server()]);
    expect(missing.stderr).toContain('not found');
    const kept = await trellis(['get', 'retrypolicy', 'already-there', '-o', 'json', ...server()]);
    expect((JSON.parse(kept.stdout) as { spec: { attempts: number } }).spec.attempts).toBe(2);
  });

  it('finds the control plane through TRELLIS_SERVER and applies from stdin', async () => {
    const env = { TRELLIS_SERVER: cp.url };
    const r = await trellis(['apply', '-f', '-'], { stdin: `${retryPolicyYaml(4, 'from-stdin')}---\n${retryPolicyYaml(3, 'from-stdin-2')}`, env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('retrypolicy/from-stdin created (revision 1)\nretrypolicy/from-stdin-2 created (revision 1)\n');
    const got = await trellis(['get', 'retrypolicy', 'from-stdin', '-o', 'json'], { env });
    expect((JSON.parse(got.stdout) as { spec: { attempts: number } }).spec.attempts).toBe(4);
  });

  it('refuses YAML that does not parse, with the line, and applies nothing (stdin)', async () => {
    const r = await trellis(['apply', '-f', '-', ...server()], { stdin: `${retryPolicyYaml(3, 'yaml-ok')}---\nkind: [unclosed\n` });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/<stdin>: document 2 \(line \d+\): YAML:/);
    const get = await trellis(['get', 'retrypolicy', 'yaml-ok', ...server()]);
    expect(get.code).not.toBe(0);
    expect(get.stderr).toContain('not found');
  });

  it('shows history, rolls back to a revision, and deletes', async () => {
    const file = path.join(cp.dir, 'history.yaml');
    for (const attempts of [2, 4, 6]) {
      await writeFile(file, retryPolicyYaml(attempts, 'hist'));
      expect((await trellis(['apply', '-f', file, '--note', `attempts ${attempts}`, ...server()])).code).toBe(0);
    }
    const history = await trellis(['history', 'RetryPolicy', 'hist', ...server()]);
    expect(history.stdout.split('\n')[0]).toMatch(/^REVISION\s+ACTION\s+AUTHOR\s+TIME\s+NOTE/);
    expect(history.stdout).toMatch(/3\s+UPDATE.*attempts 6/);
    const rollback = await trellis(['rollback', 'RetryPolicy', 'hist', '--to', '1', ...server()]);
    expect(rollback.stdout).toContain('rolled back to revision 1 (now revision 4)');
    const got = await trellis(['get', 'RetryPolicy', 'hist', ...server()]);
    expect(got.stdout).toContain('attempts: 2');
    expect((await trellis(['delete', 'RetryPolicy', 'hist', ...server()])).stdout).toContain('retrypolicy/hist deleted');
    expect((await trellis(['get', 'RetryPolicy', 'hist', ...server()])).code).not.toBe(0);
  });

  it('prints a command\'s usage for --help (no "Unknown option"), and exits 0', async () => {
    for (const args of [['get', '--help'], ['apply', '-h'], ['tap', '--help'], ['rollback', '--help']]) {
      const r = await trellis(args);
      expect(r.code, args.join(' ')).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^usage: trellis ${args[0] ?? ''} `));
      expect(r.stderr).not.toContain('Unknown option');
    }
  });

  it('warns (and still applies) when a policy targets a service nobody knows, also with --dry-run', async () => {
    expect((await trellis(['apply', '-f', path.join('examples', 'service.yaml'), ...server()])).code).toBe(0);
    const file = path.join(cp.dir, 'typo.yaml');
    await writeFile(file, retryPolicyYaml(2, 'typo-retry').replace('name: payments', 'name: paymentz'));
    // payments is known (declared in examples/service.yaml), so the typo gets a suggestion.
    const dry = await trellis(['apply', '-f', file, '--dry-run', ...server()]);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain('retrypolicy/typo-retry created (dry run)');
    expect(dry.stderr).toMatch(/warning: retrypolicy\/typo-retry: spec.targetRef: no service "paymentz" is known in namespace default .*Did you mean "payments"\?/);
    const real = await trellis(['apply', '-f', file, ...server()]);
    expect(real.code, real.stderr).toBe(0);
    expect(real.stderr).toContain('no service "paymentz" is known');
    const fine = path.join(cp.dir, 'fine.yaml');
    await writeFile(fine, retryPolicyYaml(2, 'fine-retry'));
    const known = await trellis(['apply', '-f', fine, '--dry-run', ...server()]);
    expect(known.code, known.stderr).toBe(0);
    expect(known.stderr).not.toContain('warning');
    await trellis(['delete', 'retrypolicy', 'typo-retry', ...server()]);
  });

  it('lists every known service with get services (declared or not), and tap refuses a service nobody knows', async () => {
    expect((await trellis(['apply', '-f', path.join('examples', 'service.yaml'), ...server()])).code).toBe(0);
    const client = new StreamClient({
      controlPlane: cp.url,
      identity: { service: 'undeclared', instance: 'undeclared-1', proxyVersion: 'test', endpoint: { address: '127.0.0.1', port: 9 } },
      apply: () => {},
      credentials: tokenCredentials(await joinToken(cp.url, 'undeclared')),
    });
    await client.start();
    try {
      while (!client.snapshot) await new Promise((r) => setTimeout(r, 20));
      const declared = (JSON.parse((await trellis(['get', 'service', '-o', 'json', ...server()])).stdout) as unknown[]).length;
      const r = await trellis(['get', 'services', ...server()]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/^NAMESPACE\s+NAME\s+DECLARED\s+ENDPOINTS\s+PROXIES\s+VERSIONS\s+MTLS/);
      expect(r.stdout).toMatch(/default\s+undeclared\s+no\s+1\s+1\/1 in sync/);
      expect(r.stdout).toMatch(/default\s+payments\s+yes/);
      expect(r.stdout.trim().split('\n').length - 1).toBeGreaterThan(declared);
    } finally {
      await client.close();
    }
    const started = performance.now();
    const tap = await trellis(['tap', 'nosuch', ...server()]);
    expect(tap.code).toBe(1);
    expect(tap.stderr).toMatch(/no service nosuch.default is known to the control plane; known in default: .*payments/);
    expect(performance.now() - started).toBeLessThan(10_000);
  });

  it('says what to do when the control plane cannot be reached', async () => {
    const r = await trellis(['get', 'retrypolicy', '--server', 'http://127.0.0.1:9']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('cannot reach the control plane at http://127.0.0.1:9');
    expect(r.stderr).toContain('trellis control-plane');
  });
});

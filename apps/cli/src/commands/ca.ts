import { parseCommandArgs } from '../args.ts';
import { controlPlaneClient, explain, type ApiClient } from '../client.ts';
import { CliError } from '../errors.ts';
import { table } from '../output.ts';

const USAGE = `trellis ca status [--server URL]
       trellis ca rotate [--no-wait] [--server URL]`;

const HELP = `${USAGE}

The mesh CA signs every proxy's certificate. Its trust bundle holds the roots proxies trust.

  status   trust domain, the roots (status, pin, expiry), and any rotation under way
  rotate   moves the mesh to a new root without a failed request: the new root joins every proxy's
           bundle; once every connected proxy trusts it, certificates are re-issued from it; once every
           proxy holds one, the old root leaves the bundle. Waits and shows progress (--no-wait: start only).`;

async function printStatus(client: ApiClient): Promise<void> {
  const s = await client.identity.ca.status.query();
  process.stdout.write(`trust domain: ${s.trustDomain}${s.operatorManaged ? ' (intermediate brought by the operator)' : ''}\n`);
  process.stdout.write(`trust bundle version ${s.bundleVersion}; certificates live ${Math.round(s.certificateTtlMs / 60_000)} min\n`);
  process.stdout.write(table(['ROOT', 'STATUS', 'EXPIRES', 'PIN'], s.roots.map((r) => [`${r.id}${r.id === s.issuingRoot ? ' (issuing)' : ''}`, r.status, r.notAfter, r.pin])));
  const r = s.rotation;
  process.stdout.write(r.phase === 'idle' ? `rotation: none under way${r.lastCompletedAt ? ` (last done ${r.lastCompletedAt})` : ''}\n` : `rotation: ${r.phase} since ${r.startedAt ?? '?'}, waiting for ${r.waitingFor.length} proxies\n`);
}

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs('ca', argv, {
    'no-wait': { type: 'boolean' },
    server: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  }, USAGE); // prettier-ignore
  if (values.help) {
    process.stdout.write(`usage: ${HELP}\n`);
    return 0;
  }
  const { client, url } = controlPlaneClient(values.server);
  try {
    switch (positionals[0]) {
      case 'status':
        await printStatus(client);
        return 0;
      case 'rotate': {
        let status = await client.identity.ca.rotate.mutate();
        process.stdout.write(`rotation started: new root ${status.newRoot ?? '?'}\n`);
        if (values['no-wait']) return 0;
        let said = '';
        const started = Date.now();
        while (status.phase !== 'idle') {
          const line = `${status.phase}: waiting for ${status.waitingFor.length} proxies${status.waitingFor.length ? ` (${status.waitingFor.slice(0, 5).map((w) => `${w.instance} ${w.why}`).join('; ')})` : ''}`;
          if (line !== said) process.stdout.write(`  ${line}\n`);
          said = line;
          await new Promise((r) => setTimeout(r, 1000));
          status = (await client.identity.ca.status.query()).rotation;
          if (Date.now() - started > 10 * 60_000 && status.phase !== 'idle') {
            throw new CliError(`the rotation is still ${status.phase} after 10 minutes; see \`trellis ca status\` for the proxies it waits for (they must be connected)`);
          }
        }
        process.stdout.write(`rotation done in ${Math.round((Date.now() - started) / 1000)} s; the mesh trusts root ${status.newRoot ?? '?'} only\n`);
        return 0;
      }
      default:
        throw new CliError(`trellis ca: ${positionals[0] ? `unknown action "${positionals[0]}"` : 'status or rotate?'}\nusage: ${USAGE}`, 2);
    }
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw explain(err, url);
  }
}

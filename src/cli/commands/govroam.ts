import * as fs from 'node:fs';
import * as path from 'node:path';
import { type Command, EXIT, flagString, UserError } from '../context';
import { loadForCommand } from '../load';
import { checkGovroam, GovroamRenderError, renderNaptr, renderRadsecproxy } from '../../govroam';
import { checkReferences } from '../../model/checks';
import { formatFinding, hasErrors } from '../../model/finding';
import { trySecret } from '../../secrets';
import { writeFileAtomic } from '../../util/atomic';

export const commands: Command[] = [
  {
    spec: {
      name: 'govroam check',
      summary: 'check the govroam settings (SSID, visitor isolation, log retention, realms, NAPTR)',
      flags: { format: { type: 'string', choices: ['text', 'json'], default: 'text', help: 'output format' } },
    },
    async run(ctx) {
      const { inventory } = loadForCommand(ctx);
      const findings = [...checkReferences(inventory), ...checkGovroam(inventory)].filter((f) => f.code.startsWith('GOVROAM') || (inventory.govroam && f.file === inventory.govroam.loc.file));
      const ok = !hasErrors(findings);
      if (ctx.args.flags.format === 'json') ctx.io.stdout(JSON.stringify({ ok, findings, participants: inventory.govroam?.participants.length ?? 0 }, null, 2) + '\n');
      else {
        for (const f of findings) ctx.io.stdout(`${formatFinding(f)}\n`);
        ctx.io.stdout(`govroam: ${inventory.govroam?.participants.length ?? 0} participants, ${findings.length} finding(s)\n`);
      }
      return ok ? EXIT.OK : EXIT.INVALID;
    },
  },
  {
    spec: {
      name: 'govroam render',
      summary: 'render radsecproxy configuration per participant and the NAPTR records',
      flags: {
        out: { type: 'string', default: 'govroam.out', help: 'output folder' },
        'tls-dir': { type: 'string', default: '/etc/radsecproxy/tls', help: 'where the TLS files are on the RADIUS servers' },
      },
      details: 'Shared secrets for RADIUS/UDP are read from the references in govroam.yaml at render time; files are written 0600.',
    },
    async run(ctx) {
      const { inventory } = loadForCommand(ctx);
      const tlsDir = flagString(ctx.args, 'tls-dir')!;
      const out = path.resolve(ctx.io.cwd, flagString(ctx.args, 'out')!);
      let files;
      try {
        files = renderRadsecproxy(inventory, (ref) => trySecret(ref, ctx.io.env, ctx.io.cwd), { caFile: `${tlsDir}/ca.pem`, certFile: `${tlsDir}/cert.pem`, keyFile: `${tlsDir}/key.pem` });
      } catch (e) {
        if (e instanceof GovroamRenderError) throw new UserError(e.message);
        throw e;
      }
      files.push({ path: 'naptr.zone', content: renderNaptr(inventory), mode: 0o644 });
      for (const f of files) {
        const target = path.join(out, f.path);
        fs.mkdirSync(path.dirname(target), { recursive: true });
        writeFileAtomic(target, f.content, f.mode);
      }
      ctx.io.stdout(`wrote ${files.length} file(s) to ${path.relative(ctx.io.cwd, out) || '.'}\n`);
      return EXIT.OK;
    },
  },
];

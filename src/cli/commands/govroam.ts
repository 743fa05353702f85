import * as path from 'node:path';
import { type Command, EXIT, flagString, UserError } from '../context';
import { loadForCommand } from '../load';
import { loadValidForCommand } from '../gate';
import { checkGovroam, DEFAULT_RADSECPROXY_LOG, GovroamRenderError, renderGovroam } from '../../govroam';
import { checkReferences } from '../../model/checks';
import { type Finding, formatFinding, hasErrors } from '../../model/finding';
import type { Inventory } from '../../model/inventory';
import { trySecret } from '../../secrets';
import { FORMAT_FLAG, printJson, writeOutputFolder } from '../report/output';

/** The govroam findings: rules 16–20 plus reference errors inside govroam.yaml. */
function govroamFindings(inventory: Inventory): Finding[] {
  const file = inventory.govroam?.loc.file;
  return [...checkReferences(inventory).filter((f) => f.file === file), ...checkGovroam(inventory)];
}

export const commands: Command[] = [
  {
    spec: {
      name: 'govroam check',
      summary: 'check the govroam settings (SSID, visitor isolation, log retention, accounting, realms, NAPTR)',
      flags: { format: FORMAT_FLAG },
    },
    async run(ctx) {
      const { inventory } = loadForCommand(ctx);
      const findings = govroamFindings(inventory);
      const ok = !hasErrors(findings);
      const participants = inventory.govroam?.participants.length ?? 0;
      if (ctx.args.flags.format === 'json') printJson(ctx.io, { ok, findings, participants });
      else {
        for (const f of findings) ctx.io.stdout(`${formatFinding(f)}\n`);
        ctx.io.stdout(inventory.govroam ? `govroam: ${participants} participant(s), ${findings.length} finding(s)\n` : 'govroam: no govroam.yaml in the inventory\n');
      }
      return ok ? EXIT.OK : EXIT.INVALID;
    },
  },
  {
    spec: {
      name: 'govroam render',
      summary: 'render radsecproxy (per participant and the lab NLRS), FreeRADIUS pieces for IdPs, logrotate and NAPTR records',
      flags: {
        out: { type: 'string', default: 'govroam.out', help: 'output folder' },
        'tls-dir': { type: 'string', default: '/etc/radsecproxy/tls', help: 'where ca.pem, cert.pem and key.pem are on the RADIUS servers' },
        'log-file': { type: 'string', default: DEFAULT_RADSECPROXY_LOG, help: "radsecproxy's log file on the RADIUS servers" },
        format: FORMAT_FLAG,
      },
      details: [
        'Shared secrets for RADIUS/UDP are read from the references in govroam.yaml at render time (access points of a',
        'service provider: GOVROAM_NAS_SECRET_<ORGID>); files holding secrets are written 0600. Refuses to render while',
        "'ggi govroam check' finds errors. Check a result with: radsecproxy -c FILE -p   and   freeradius -C -d DIR",
      ].join('\n'),
    },
    async run(ctx) {
      const { inventory } = loadValidForCommand(ctx);
      const findings = govroamFindings(inventory);
      if (hasErrors(findings)) throw new UserError("govroam.yaml has errors; fix them first ('ggi govroam check')", EXIT.INVALID, findings.filter((f) => f.severity === 'error'));
      if (!inventory.govroam) throw new UserError('the inventory has no govroam.yaml: nothing to render');
      const tlsDir = flagString(ctx.args, 'tls-dir')!;
      const out = path.resolve(ctx.io.cwd, flagString(ctx.args, 'out')!);
      let files: ReturnType<typeof renderGovroam>;
      try {
        files = renderGovroam(inventory, (ref) => trySecret(ref, ctx.io.env, ctx.io.cwd), {
          tls: { caFile: `${tlsDir}/ca.pem`, certFile: `${tlsDir}/cert.pem`, keyFile: `${tlsDir}/key.pem` },
          logDestination: flagString(ctx.args, 'log-file')!,
        });
      } catch (e) {
        if (e instanceof GovroamRenderError) throw new UserError(e.message);
        throw e;
      }
      // Only into a folder of its own (src/util/output-folder): deletes only files an earlier render wrote there.
      writeOutputFolder(flagString(ctx.args, 'out')!, files, { command: 'govroam render', cwd: ctx.io.cwd, inventory: ctx.global.inventory });
      const shown = path.relative(ctx.io.cwd, out) || '.';
      if (ctx.args.flags.format === 'json') {
        printJson(ctx.io, { out: shown, files: files.map((f) => ({ path: f.path, mode: `0${f.mode.toString(8)}` })), findings });
      } else {
        for (const f of findings) ctx.io.stderr(`${formatFinding(f)}\n`);
        for (const f of files) ctx.io.stdout(`${path.join(shown, f.path)}\n`);
        ctx.io.stdout(`wrote ${files.length} file(s) to ${shown}\n`);
      }
      return EXIT.OK;
    },
  },
];

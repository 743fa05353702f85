import { spawnSync } from 'node:child_process';
import { type Command, EXIT, UserError } from '../context';
import { loadForCommand } from '../load';
import { printJson } from '../report/output';
import { toDot, toMermaid, topologyGraph } from '../../graph';

export const commands: Command[] = [
  {
    spec: {
      name: 'graph',
      summary: 'draw zones, connection points, samenwerkingsverbanden and suppliers',
      flags: { format: { type: 'string', choices: ['dot', 'svg', 'mermaid', 'json'], default: 'dot', help: 'output format (svg needs Graphviz; json: the nodes and edges)' } },
    },
    async run(ctx) {
      const { inventory } = loadForCommand(ctx);
      const g = topologyGraph(inventory);
      const format = String(ctx.args.flags.format);
      if (format === 'json') printJson(ctx.io, g);
      else if (format === 'mermaid') ctx.io.stdout(toMermaid(g));
      else if (format === 'dot') ctx.io.stdout(toDot(g));
      else {
        const r = spawnSync('dot', ['-Tsvg'], { input: toDot(g), encoding: 'utf8', maxBuffer: 1 << 28 });
        if (r.error || r.status !== 0) throw new UserError(`Graphviz 'dot' is needed for svg (apt-get install graphviz): ${r.error ? r.error.message : r.stderr.trim()}`);
        ctx.io.stdout(r.stdout);
      }
      return EXIT.OK;
    },
  },
];

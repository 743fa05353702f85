import { main } from '../../src/cli/main';
import { fakeIo } from '../helpers/tmp-inventory';

/** Runs `ggi` in-process; returns exit code and output. */
export async function ggi(argv: string[], env: NodeJS.ProcessEnv = { GGI_OPERATOR: 'test@example.org' }, now?: Date) {
  const f = fakeIo(env);
  const io = now ? { ...f.io, now: () => now } : f.io;
  const code = await main(argv, io);
  return { code, stdout: f.stdout(), stderr: f.stderr() };
}

import { execFileSync } from 'node:child_process';
import * as os from 'node:os';

/**
 * Who makes a change (recorded in the IPv6 ledger and the reconcile journal): GGI_OPERATOR, else git's user.email
 * in `cwd`, else the OS user, else 'unknown'.
 */
export function operatorName(env: NodeJS.ProcessEnv, cwd: string): string {
  const fromEnv = env.GGI_OPERATOR?.trim();
  if (fromEnv) return fromEnv;
  try {
    const email = execFileSync('git', ['config', 'user.email'], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 }).trim();
    if (email) return email;
  } catch {
    // not a git checkout, git absent, or no user.email
  }
  try {
    return os.userInfo().username || 'unknown';
  } catch {
    return 'unknown';
  }
}

import { Testing } from 'cdktf';
import type { Construct } from 'constructs';

/**
 * Synthesizes constructs created by `build` in a scratch stack and returns the Terraform JSON, so tests of single
 * constructs need no cdktf import of their own (a switch to cdktn stays inside this folder).
 */
export function synthScope(build: (scope: Construct) => void): Record<string, unknown> {
  return JSON.parse(Testing.synthScope((scope) => build(scope))) as Record<string, unknown>;
}

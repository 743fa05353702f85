import type { Loc, NodePath } from '../model/source';

/**
 * Thrown by a construct whose props break one of its rules (AWS CDK style: the construct validates itself). It carries
 * the inventory location it came from when the stack builder knows it, so the CLI can report a located finding
 * instead of a stack trace. This file imports no cdktf on purpose: the CLI checks for it without loading cdktf.
 */
export class ConstructValidationError extends Error {
  override readonly name = 'ConstructValidationError';
  /** The stack being built when it was thrown (set by the stack builder; orders refusals from parallel parts). */
  stackName?: string;
  constructor(
    /** Stable UPPER_SNAKE code, e.g. CLOUD_SUPPLIER_UNSIGNED. */
    readonly code: string,
    message: string,
    /** The inventory entity (and the path below it) that caused it, when known. */
    readonly loc?: Loc,
    readonly sub: NodePath = [],
  ) {
    super(message);
  }
}

export function isConstructValidationError(e: unknown): e is ConstructValidationError {
  return e instanceof ConstructValidationError || (e instanceof Error && e.name === 'ConstructValidationError' && typeof (e as { code?: unknown }).code === 'string');
}

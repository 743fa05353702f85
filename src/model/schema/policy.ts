import { z } from 'zod';
import { cidr, isoDate, kebabId, orgId, zoneName } from './common';
import { portSpec } from './service';

/** Policy files (`policy/*.yaml`): rules (first match, file order, files in name order, default deny) and guardrails. */

export const selectorSchema = z
  .strictObject({
    zone: zoneName.optional(),
    organisations: z.array(orgId).min(1).optional(),
    services: z.array(kebabId).min(1).optional(),
    prefixes: z.array(cidr).min(1).optional(),
    /** Extension: segments by purpose across organisations, e.g. [govroam-visitor]. */
    segments: z.array(z.enum(['staff', 'servers', 'govroam-visitor', 'govroam-staff', 'management', 'other'])).min(1).optional(),
  })
  .refine((s) => Object.values(s).filter((v) => v !== undefined).length === 1, {
    error: 'a selector names exactly one of zone, organisations, services, prefixes or segments',
    params: { code: 'SELECTOR_ONE_KEY' },
  });
export type SelectorDecl = z.infer<typeof selectorSchema>;

export const protoSchema = z.enum(['tcp', 'udp', 'icmp', 'icmpv6', 'any']);
export type Proto = z.infer<typeof protoSchema>;

export const ruleSchema = z.strictObject({
  id: kebabId,
  from: selectorSchema,
  to: selectorSchema,
  proto: protoSchema,
  ports: z.array(portSpec).min(1).optional(),
  action: z.enum(['allow', 'deny']),
  owner: z.string().min(1),
  reason: z.string().min(1),
  expires: isoDate.optional(),
});
export type RuleDecl = z.infer<typeof ruleSchema>;

export const guardrailSchema = z.strictObject({
  id: kebabId,
  never: z.strictObject({ from: selectorSchema, to: selectorSchema, proto: protoSchema.optional(), ports: z.array(portSpec).min(1).optional() }),
  reason: z.string().min(1),
});
export type GuardrailDecl = z.infer<typeof guardrailSchema>;

export const policyFileSchema = z.strictObject({
  rules: z.array(ruleSchema).default([]),
  guardrails: z.array(guardrailSchema).default([]),
});

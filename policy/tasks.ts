// Human steps: which role performs each task type and what a completion must contain.
// Shared by the API (400 on bad payload) and the workflows (update validators).
import { z } from 'zod';

import type { Role } from './roles';
import { registrationTasks } from './registration';
import { warrantyRepairTasks } from './warrantyRepair';

export { roles, type Role } from './roles';

export const merchantRejectionReasons = [
  'item_used_or_damaged',
  'missing_parts_or_packaging',
  'category_excluded',
  'outside_return_window',
  'other',
] as const;

export { carrierSchema, shipmentSchema, trackingNumberSchema, type Shipment } from './schemas';
import { shipmentSchema } from './schemas';

const reviewDecision = z.discriminatedUnion('decision', [
  z.object({ decision: z.literal('approve') }).strict(),
  z.object({ decision: z.literal('reject'), reasonCode: z.enum(merchantRejectionReasons) }).strict(),
]);

const returnTasks = {
  /** 8.2: the merchant answers the return request. */
  'return.merchant_review': { role: 'merchant', payload: reviewDecision },
  /** The platform's review after a merchant rejection; its decision is final. */
  'return.platform_review': { role: 'agent', payload: reviewDecision },
  /** 7.2: the merchant confirms receipt and inspection of the returned item. */
  'return.merchant_inspection': {
    role: 'merchant',
    payload: z.object({ outcome: z.literal('confirmed'), condition: z.enum(['as_expected', 'minor_wear']).optional() }).strict(),
  },
  /** Exchange: the merchant ships the replacement. */
  'return.exchange_shipment': { role: 'merchant', payload: shipmentSchema },
} as const satisfies Record<string, { role: Role; payload: z.ZodType }>;

/** Every task type of every process: its role and its completion payload. */
export const taskCatalog = { ...returnTasks, ...registrationTasks, ...warrantyRepairTasks };

export type TaskType = keyof typeof taskCatalog;
export const taskTypes = Object.keys(taskCatalog) as TaskType[];
export type TaskPayload<T extends TaskType> = z.infer<(typeof taskCatalog)[T]['payload']>;
export type ReviewDecision = z.infer<typeof reviewDecision>;

export function isTaskType(t: string): t is TaskType {
  return Object.prototype.hasOwnProperty.call(taskCatalog, t);
}

/** Validates a completion payload for a task type; returns readable issues on failure. */
export function parseTaskPayload(
  type: TaskType,
  payload: unknown,
): { ok: true; value: unknown } | { ok: false; issues: { path: string; message: string }[] } {
  const r = taskCatalog[type].payload.safeParse(payload);
  if (r.success) return { ok: true, value: r.data };
  return { ok: false, issues: r.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })) };
}

// Building blocks of the policy configuration and task payloads, shared by every process.
// This module imports nothing of the policy, so process modules and config.ts can all use it. It evaluates zod:
// workflows import its types only; the schema modules (policy/*.schemas.ts) and server code import its values.
import { z } from 'zod';
import { PAYEE_REF_PATTERN } from './refundRoute';

export const durationSchema = z.object({
  amount: z.number().positive(),
  unit: z.enum(['minutes', 'hours', 'days', 'working-hours', 'working-days']),
});
export type PolicyDuration = z.infer<typeof durationSchema>;

/** What happens when an SLA is breached. */
export const breachActionSchema = z.enum([
  'default-decision', // the policy's default outcome is taken (e.g. auto-approve)
  'reassign-to-supervisor', // the task moves to the supervisor queue
  'notify', // the task is flagged escalated and supervisors are notified; the owner still acts
]);
export type BreachAction = z.infer<typeof breachActionSchema>;

export const slaSchema = z.object({
  within: durationSchema,
  /** Send a reminder when this fraction of the time has passed. */
  remindAt: z.number().gt(0).lt(1).optional(),
  onBreach: breachActionSchema,
});
export type SlaPolicy = z.infer<typeof slaSchema>;

export const carrierSchema = z.string().regex(/^[A-Za-z0-9_-]{2,32}$/, 'carrier code: 2-32 letters, digits, _ or -');
export const trackingNumberSchema = z.string().regex(/^[A-Za-z0-9-]{6,40}$/, 'tracking number: 6-40 letters, digits or -');
export const shipmentSchema = z.object({ carrier: carrierSchema, trackingNumber: trackingNumberSchema }).strict();
export type Shipment = z.infer<typeof shipmentSchema>;
export const currencySchema = z.string().regex(/^[A-Z]{3}$/, 'ISO 4217 code such as CNY');

/** An attachment of a case (POST /v1/cases/{caseId}/attachments): the one form of evidence id. */
export const ATTACHMENT_ID_PATTERN = /^att_[0-9a-f]{32}$/;
export const attachmentIdSchema = z.string().regex(ATTACHMENT_ID_PATTERN, 'an attachment id (att_…) of this case, from POST /v1/cases/{caseId}/attachments');

/**
 * Evidence: the case's attachments by id (never free text in the history). Every task and party action names its
 * evidence this way; the API refuses an id that is not an attachment of the case (422 UNKNOWN_ATTACHMENT).
 */
export const evidenceIdsSchema = z.array(attachmentIdSchema).max(20);

/**
 * Numbers of documents another party issued (an authorised repairer's invoice or report number), named when a case
 * opens and before it can hold attachments: references, not evidence files.
 */
export const documentRefsSchema = z.array(z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'document reference: 1-64 letters, digits, _ . : or -')).max(20);

/** Every attachment id named anywhere in a validated body (the API checks each is an attachment of the case). */
export function attachmentIdsIn(value: unknown, found: Set<string> = new Set()): string[] {
  if (typeof value === 'string') {
    if (ATTACHMENT_ID_PATTERN.test(value)) found.add(value);
  } else if (Array.isArray(value)) {
    for (const v of value) attachmentIdsIn(v, found);
  } else if (value && typeof value === 'object') {
    for (const v of Object.values(value)) attachmentIdsIn(v, found);
  }
  return [...found];
}

/** A decimal amount such as "12.00" (the same form as the order amount), at most 9,999,999.99: its minor units fit the 32-bit integer columns of amounts. */
export const decimalAmountSchema = z.string().regex(/^\d{1,7}(\.\d{1,2})?$/, 'decimal amount such as "12.00" (at most 9999999.99)');

/**
 * An e-mail address: zod's e-mail syntax, at most 254 characters, the part before @ at most 64 (RFC 5321 4.5.3.1),
 * as JSON Schema's "email" format requires too.
 */
export const emailSchema = z
  .email()
  .max(254)
  .refine((e) => e.slice(0, e.lastIndexOf('@')).length <= 64, 'e-mail: at most 64 characters before the @ (RFC 5321)');

/**
 * 暂行办法 art. 17: the customer's choice of refund route when the original payment cannot take it (action refund-route).
 * A bank account travels as the payee reference the storefront's payment provider keeps it under, never as a number.
 */
export const refundRouteChoiceSchema = z.discriminatedUnion('route', [
  z.object({ route: z.literal('platform_balance') }).strict(),
  z
    .object({
      route: z.literal('bank_account'),
      payeeRef: z.string().regex(PAYEE_REF_PATTERN, "the payment provider's payee reference (pye_ and 16-64 letters, digits, _ or -), never an account number"),
    })
    .strict(),
]);

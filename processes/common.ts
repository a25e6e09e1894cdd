// Request building blocks the process modules share.
import { z } from 'zod';
import { emailSchema } from '../policy/schemas';

/** An order, line, customer or merchant reference: 1-64 letters, digits, _ . : or -. */
export const refId = z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/, '1-64 letters, digits, _ . : or -');

/**
 * The storefront's reference of its customer. It goes into the case's workflow input and so into Temporal histories,
 * which cannot be edited: it must be an opaque id, never derived from personal data, so that once the subject's
 * record (subject_refs) and data key are gone nothing links it back to the person (policy 2.4.1; README "Personal
 * data"). A reference shaped like a mobile number or an ID number is refused (400): those are personal data.
 */
export const customerRefId = refId.refine((v) => !/^\+?[0-9][0-9 -]{6,}$/.test(v) && !/^[0-9]{17}[0-9Xx]$/.test(v) && !/^[0-9]{15}$/.test(v), {
  message: 'an opaque reference, not a phone or ID number (it is kept in workflow histories, which cannot be erased)',
});

/** Contact data of a party: stored in PostgreSQL (parties) only, never in a workflow. */
export const contactSchema = z
  .object({ email: emailSchema.optional(), displayName: z.string().max(100).optional(), locale: z.enum(['zh-CN', 'en']).optional() })
  .strict();

/** A decimal amount such as "199.00". */
/** At most 9,999,999.99: its minor units fit the 32-bit integer columns of amounts. */
export const amountSchema = z.string().regex(/^\d{1,7}(\.\d{1,2})?$/, 'decimal amount such as "199.00" (at most 9999999.99)');

/** "199.00" → 19900 (minor units). */
export function toMinor(amount: string): number {
  const [whole, frac = ''] = amount.split('.');
  return Number(whole) * 100 + Number(frac.padEnd(2, '0'));
}

/**
 * Free text that must say something: trimmed, 1 to `max` characters after trimming. For the API description, a
 * pattern says what a length alone cannot: at least one character that is not white space, and no NUL.
 */
export const nonBlankText = (max: number) =>
  z
    .string()
    .trim()
    .min(1)
    .max(max)
    .meta({ pattern: '^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$', description: `Text with at least one character that is not white space; at most ${max} characters once trimmed` });

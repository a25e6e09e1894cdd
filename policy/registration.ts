// Registration review with identity verification (policy chapter 1): policy rules, SLAs and human-task types.
import { z } from 'zod';
import type { Role } from './roles';

export const registrationPolicySchema = z.object({});
export type RegistrationPolicy = z.infer<typeof registrationPolicySchema>;
export const defaultRegistrationPolicy: RegistrationPolicy = {};

/** Human steps of this process (merged into policy/tasks.ts taskCatalog). */
export const registrationTasks = {} as const satisfies Record<string, { role: Role; payload: z.ZodType }>;

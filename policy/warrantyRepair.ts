// Warranty repair within 5 working days (policy chapter 7): policy rules, SLAs and human-task types.
import { z } from 'zod';
import type { Role } from './roles';

export const warrantyRepairPolicySchema = z.object({});
export type WarrantyRepairPolicy = z.infer<typeof warrantyRepairPolicySchema>;
export const defaultWarrantyRepairPolicy: WarrantyRepairPolicy = {};

/** Human steps of this process (merged into policy/tasks.ts taskCatalog). */
export const warrantyRepairTasks = {} as const satisfies Record<string, { role: Role; payload: z.ZodType }>;

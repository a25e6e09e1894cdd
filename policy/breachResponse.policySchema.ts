// The zod schema of the breach response's policy section (policy 6.3.2, 6.4; PIPL art. 57): server code only.
import { z } from 'zod';
import { slaSchema } from './schemas';

export const breachPolicySchema = z.object({
  /** 6.4.1 发觉泄露 / 6.3.2 应急预案: a supervisor takes the incident's lead (hours). */
  leadAssignment: slaSchema,
  /** 6.3.2 / PIPL art. 57 补救措施: the containment checklist. */
  containment: slaSchema,
  /** 6.4.1 调查核实: cause and scope. */
  investigation: slaSchema,
  /** PIPL art. 57 ¶2: the decision whether to notify the individuals, then its approval by a second person. */
  notifyDecision: slaSchema,
  notifyApproval: slaSchema,
  /** PIPL art. 57: the authority's report, counted from detection. */
  regulatorReport: slaSchema,
  /** 6.4.1 通知用户: how long the notices' delivery is followed, and how often it is read. */
  notificationFollowUp: slaSchema,
  notificationPollMinutes: z.number().positive().max(24 * 60),
  /** 6.4.1 整改措施. */
  remediation: slaSchema,
  /** Outbox rows inserted per batch of the fan-out. */
  fanOutBatch: z.number().int().min(10).max(10_000),
});

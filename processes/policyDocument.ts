// The policy document: every SLA and window a case obeys, one section per process, plus the business
// calendar. It is validated and versioned; each case carries the part it needs from the moment it
// opens, so a policy change never alters a running case. The sections come from the process catalogue.
import fs from 'node:fs';
import { z } from 'zod';
import type { AppConfig } from '../lib/config';
import type { BusinessCalendar } from '../policy/businessCalendar';
import { businessCalendarSchema } from '../policy/businessCalendar.schema';
import { defaultNationalCalendar } from '../policy/nationalHolidays';
import { processes } from './index';

type Catalogue = (typeof processes)[number];
type SectionOf<P> = P extends { policy: { key: infer K extends string; defaults: infer S } } ? { [k in K]: S } : never;
type Intersect<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void ? I : never;

/** The whole document: version, calendar, and each process's section under its key. */
export type PolicyConfig = { version: string; calendar: BusinessCalendar } & Intersect<SectionOf<Catalogue>>;

export const policyConfigSchema = z
  .object({
    version: z.string().min(1),
    calendar: businessCalendarSchema,
    ...Object.fromEntries(processes.map((p) => [p.policy.key, p.policy.schema])),
  })
  .strict() as unknown as z.ZodType<PolicyConfig>;

export const defaultPolicy: PolicyConfig = {
  version: '2026-11-28.1',
  // The national holidays: State Council notices (chinese-days, and imports: lib/calendarStore.ts), then provisional years.
  calendar: defaultNationalCalendar(),
  ...Object.fromEntries(processes.map((p) => [p.policy.key, p.policy.defaults])),
} as PolicyConfig;

/** Validates a policy document; throws with every issue listed. */
export function parsePolicy(input: unknown): PolicyConfig {
  return policyConfigSchema.parse(input);
}

/** The section of `policy` that `caseType`'s process reads. */
export function policySection(policy: PolicyConfig, key: string): unknown {
  return (policy as unknown as Record<string, unknown>)[key];
}

/** The policy document of the configuration (POLICY_FILE), else the defaults: what the API and the worker open cases with. */
export function loadPolicy(cfg: Pick<AppConfig, 'POLICY_FILE'>): PolicyConfig {
  return cfg.POLICY_FILE ? parsePolicy(JSON.parse(fs.readFileSync(cfg.POLICY_FILE, 'utf8'))) : parsePolicy(defaultPolicy);
}

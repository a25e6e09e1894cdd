// The short policy of the fault stage: the default document (processes/policyDocument.ts) with every duration the
// processes wait on cut to minutes, so that reminders fire and windows lapse while the run lasts. Working units become
// calendar minutes (a working-day window opened on a Saturday would not lapse before Monday). Validated as the API and
// the workers validate POLICY_FILE (parsePolicy) before it is written.
import fs from 'node:fs';
import { defaultPolicy, parsePolicy, type PolicyConfig } from '../../processes/policyDocument';

const isDuration = (v: unknown): v is { amount: number; unit: string } => !!v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).sort().join() === 'amount,unit';

/** Every {amount, unit} of the default document as `minutes` minutes, except the calendar; the breach poll every 0.2 min. */
export function shortPolicy(minutes: number): PolicyConfig {
  const walk = (v: unknown): unknown => {
    if (isDuration(v)) return { amount: minutes, unit: 'minutes' };
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  const { calendar, ...sections } = defaultPolicy;
  const doc = { ...(walk(sections) as object), calendar, version: `chaos-${minutes}m` } as Record<string, any>;
  doc.breach = { ...doc.breach, notificationPollMinutes: 0.2 };
  return parsePolicy(doc);
}

/** Writes the short policy to `file` (JSON, as POLICY_FILE reads it); returns the document. */
export function writeShortPolicy(file: string, minutes: number): PolicyConfig {
  const p = shortPolicy(minutes);
  fs.writeFileSync(file, JSON.stringify(p, null, 2));
  return p;
}

// A minimal workflow around SlaClock, so its reminder, escalation and pause/resume can be tested alone.
import { defineQuery, defineSignal, setHandler } from '@temporalio/workflow';
import type { BusinessCalendar } from '../../../policy/businessCalendar';
import type { SlaPolicy } from '../../../policy/schemas';
import { SlaClock, type SlaFacts, type SlaResult } from '../../../workflows/sla';

export const pauseSignal = defineSignal('pause');
export const resumeSignal = defineSignal('resume');
export const doneSignal = defineSignal('done');
export const probeQuery = defineQuery<{ facts: SlaFacts; log: string[] }>('probe');

export async function slaProbe(policy: SlaPolicy, calendar: BusinessCalendar): Promise<{ result: SlaResult; log: string[] }> {
  const clock = new SlaClock('probe', policy, calendar);
  const log: string[] = [];
  let done = false;
  setHandler(pauseSignal, () => clock.pause());
  setHandler(resumeSignal, () => clock.resume());
  setHandler(doneSignal, () => void (done = true));
  setHandler(probeQuery, () => ({ facts: clock.facts, log }));
  const result = await clock.waitFor(() => done, {
    onReminder: async (f) => void log.push(`reminder@${new Date().toISOString()} due=${f.dueAt}`),
    onEscalate: async (action, f) => void log.push(`escalate:${action}@${new Date().toISOString()} due=${f.dueAt}`),
    onDeadlineChanged: (f) => void log.push(`moved due=${f.dueAt}`),
  });
  return { result, log };
}

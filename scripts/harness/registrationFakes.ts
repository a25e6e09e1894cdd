// A time-skipping worker for the registration workflow: the shared in-memory case activities plus
// in-memory registration activities that record every call (no PostgreSQL, no SMS, no e-mail).
import crypto from 'node:crypto';
import { WorkflowNotFoundError, type WorkflowHandle } from '@temporalio/client';
import type { UpdateDefinition } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import type { GuardianDecision, MobileCodeCheck, RegistrationActivities } from '../../activities/registration';
import type { FaceResult, RegistrationRiskFlag } from '../../policy/registration';
import { createFakeActivities } from './fakeActivities';
import { workflowBundle } from './timeSkipping';
import { caseWorkflowsPath } from '../../worker/caseWorkflows';

export type RegistrationActivityName = keyof RegistrationActivities;

export function createFakeRegistrationActivities() {
  const calls: { name: RegistrationActivityName; input: any }[] = [];
  const push = (name: RegistrationActivityName, input: any) => void calls.push({ name, input });
  /** What the identity check decides, per registration (default: pass, no risk flag). */
  const identities = new Map<string, { faceResult: FaceResult | 'not_checked'; riskFlag: RegistrationRiskFlag }>();
  /** The minor flag activation answers, per registration (default: none). */
  const minors = new Set<string>();
  /** The answers of successive code checks, per registration (default: verified). */
  const codeChecks = new Map<string, MobileCodeCheck[]>();
  /** The answers of successive guardian code checks and guardian decisions, per registration (default: verified; as asked). */
  const guardianCodeChecks = new Map<string, MobileCodeCheck[]>();
  const guardianDecisions = new Map<string, GuardianDecision[]>();
  const activities: RegistrationActivities = {
    async checkMobileCode(i) {
      push('checkMobileCode', i);
      return codeChecks.get(i.registrationId)?.shift() ?? { result: 'verified' };
    },
    async markEmailVerified(i) {
      push('markEmailVerified', i);
    },
    async checkIdentity(i) {
      push('checkIdentity', i);
      return identities.get(i.registrationId) ?? { faceResult: 'pass', riskFlag: 'none' };
    },
    async bindPaymentMethod(i) {
      push('bindPaymentMethod', i);
      return { bound: true };
    },
    async sendMobileCode(i) {
      push('sendMobileCode', i);
      return { expiresAt: new Date(new Date(i.at).getTime() + i.ttlMs).toISOString(), sent: true };
    },
    async sendEmailVerification(i) {
      push('sendEmailVerification', i);
      return { expiresAt: new Date(new Date(i.at).getTime() + i.ttlMs).toISOString() };
    },
    async activateAccount(i) {
      push('activateAccount', i);
      return { accountId: `acct-${i.registrationId}`, ...(minors.has(i.registrationId) && { minorSafeguards: true }) };
    },
    async recordRealNameVerified(i) {
      push('recordRealNameVerified', i);
      return { minorSafeguards: minors.has(i.registrationId) };
    },
    async eraseIdentity(i) {
      push('eraseIdentity', i);
      return { identities: 1 };
    },
    async recordRegistrationOutcome(i) {
      push('recordRegistrationOutcome', i);
    },
    async erasePersonalData(i) {
      push('erasePersonalData', i);
      return { registrations: 1, challenges: 1, identities: 0, smsMessages: 1, parties: 1 };
    },
    async sendGuardianCode(i) {
      push('sendGuardianCode', i);
      return { expiresAt: new Date(new Date(i.at).getTime() + i.ttlMs).toISOString(), sent: true };
    },
    async checkGuardianCode(i) {
      push('checkGuardianCode', i);
      return guardianCodeChecks.get(i.registrationId)?.shift() ?? { result: 'verified' };
    },
    async decideGuardianConsent(i) {
      push('decideGuardianConsent', i);
      const programmed = guardianDecisions.get(i.registrationId)?.shift();
      if (programmed) return programmed;
      return i.decision === 'refuse' ? { result: 'refused', guardianId: `grd_${i.registrationId}` } : { result: 'consented', guardianId: `grd_${i.registrationId}`, relation: 'parent', adultProof: 'real_name' };
    },
  };
  return {
    activities,
    calls,
    identityOf(registrationId: string, facts: { faceResult: FaceResult | 'not_checked'; riskFlag: RegistrationRiskFlag }) {
      identities.set(registrationId, facts);
    },
    minorOf(registrationId: string) {
      minors.add(registrationId);
    },
    codeChecksOf(registrationId: string, answers: MobileCodeCheck[]) {
      codeChecks.set(registrationId, [...answers]);
    },
    guardianCodeChecksOf(registrationId: string, answers: MobileCodeCheck[]) {
      guardianCodeChecks.set(registrationId, [...answers]);
    },
    guardianDecisionsOf(registrationId: string, answers: GuardianDecision[]) {
      guardianDecisions.set(registrationId, [...answers]);
    },
    of(name: RegistrationActivityName, caseId?: string): any[] {
      return calls.filter((c) => c.name === name && (!caseId || c.input.caseId === caseId)).map((c) => c.input);
    },
  };
}

export async function registrationWorker(env: TestWorkflowEnvironment, taskQueue: string) {
  const fake = createFakeActivities();
  const reg = createFakeRegistrationActivities();
  const bundle = workflowBundle();
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    activities: { ...fake.activities, ...reg.activities },
    ...(bundle ? { workflowBundle: bundle } : { workflowsPath: caseWorkflowsPath() }),
  });
  return { worker, fake, reg };
}

/**
 * executeUpdate, retried longer than the shared helper: the Java test server sometimes loses an update that
 * races a workflow task ("update … not found"), at times until the lost workflow task times out (10 s), and
 * the registration workflow runs many short activities between updates. Validator refusals are not retried.
 */
export async function sendUpdate<Ret, Args extends [any, ...any[]]>(handle: WorkflowHandle, def: UpdateDefinition<Ret, Args>, options: { args: Args }): Promise<Ret> {
  const giveUpAt = Date.now() + 30_000;
  for (;;) {
    try {
      return await handle.executeUpdate(def, { ...options, updateId: crypto.randomUUID() } as any);
    } catch (err) {
      if (Date.now() > giveUpAt || !(err instanceof WorkflowNotFoundError) || !/update .* not found/i.test(err.message)) throw err;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

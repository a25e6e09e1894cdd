// Starting a case's workflow, the one way every opener does it: POST /v1/cases (api/caseOpening.ts), a process route
// that opens a case (the registration's real-name verification), a replayed opening request, and the reconciler
// (processes/caseReconciler.ts) that starts the cases a crash left without their workflow.
import { WorkflowExecutionAlreadyStartedError, WorkflowIdConflictPolicy, WorkflowIdReusePolicy } from '@temporalio/client';
import type { ClientPool } from '../lib/temporal';
import { CaseStatus, CaseType, MerchantId } from '../lib/searchAttributes';
import type { AnyProcess } from './types';

/** What starting a case's workflow needs: a client per acting principal and the task queue. */
export interface CaseStartDeps {
  temporal: { clients: ClientPool; taskQueue: string };
}

/** The stored input a case's workflow starts with (cases.summary.workflowInput): ids and enums only. */
export type StoredWorkflowInput = { caseId: string; openedBy: string; order?: { merchantId?: string } };

/**
 * Starts a case's workflow under the opening principal's identity, with its search attributes.
 * A case's workflow id runs exactly once: a second start while it runs returns the running workflow
 * (USE_EXISTING); once it has closed, a start is rejected (REJECT_DUPLICATE), so no second run can
 * ever act on a closed case.
 */
export async function startCaseWorkflow(deps: CaseStartDeps, process: AnyProcess, input: StoredWorkflowInput, opts: { summary?: string } = {}): Promise<void> {
  const merchantId = input.order?.merchantId;
  await deps.temporal.clients.forIdentity(input.openedBy).workflow.start(process.workflow, {
    taskQueue: deps.temporal.taskQueue,
    workflowId: input.caseId,
    args: [input],
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
    workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
    typedSearchAttributes: [
      { key: CaseType, value: process.caseType },
      { key: CaseStatus, value: 'opened' },
      ...(merchantId ? [{ key: MerchantId, value: merchantId }] : []),
    ],
    staticSummary: opts.summary ?? process.describe(input.caseId),
  });
}

/**
 * Starts the case's single run unless it has already run: 'started' (now, or found running), 'closed' when its
 * workflow ran and closed already (a start is refused; nothing runs again).
 */
export async function startCaseOnce(deps: CaseStartDeps, process: AnyProcess, input: StoredWorkflowInput, opts: { summary?: string } = {}): Promise<'started' | 'closed'> {
  try {
    await startCaseWorkflow(deps, process, input, opts);
    return 'started';
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return 'closed';
    throw err;
  }
}

/** The fault the hook below injects, when it is asked for (never in production). */
export class InjectedFault extends Error {}

/**
 * Fault injection between an opening's commit and its workflow's start, to prove the reconciler repairs what a crash
 * there leaves (a case row without its workflow). CASEWORK_FAULT_AFTER_OPENING_COMMIT=throw fails the request after
 * the commit (the client sees a 500, the workflow is not started); =exit kills the process there (SIGKILL). Read when
 * called, so a test can set and clear it; honoured only when NODE_ENV is not production.
 */
export function afterOpeningCommit(caseId: string, env: NodeJS.ProcessEnv = process.env): void {
  const fault = env.CASEWORK_FAULT_AFTER_OPENING_COMMIT;
  if (!fault || env.NODE_ENV === 'production') return;
  if (fault === 'exit') process.kill(process.pid, 'SIGKILL');
  if (fault === 'throw') throw new InjectedFault(`fault injected after the opening of ${caseId} was committed (CASEWORK_FAULT_AFTER_OPENING_COMMIT)`);
}

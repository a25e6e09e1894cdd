// Messages shared by every case workflow and the API: task completion, cancellation, state query.
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { Role, TaskType } from '../policy/tasks';
import type { SlaFacts } from './sla';

export interface Actor {
  id: string;
  role: Role;
}

export interface CompleteTaskArgs {
  taskId: string;
  actor: Actor;
  payload: unknown;
}

export interface TaskView {
  taskId: string;
  type: TaskType;
  role: Role;
  status: 'open' | 'completed' | 'expired' | 'cancelled';
  dueAt: string;
  escalated: boolean;
  completedBy?: string;
}

export interface TimelineEntry {
  at: string;
  type: string;
  actor: string;
  data?: Record<string, unknown>;
}

export interface CaseView {
  caseId: string;
  caseType: string;
  policyVersion: string;
  status: 'open' | 'closed';
  step: string;
  outcome: string | null;
  deadlines: Record<string, string | null>;
  tasks: TaskView[];
  slas: SlaFacts[];
  timeline: TimelineEntry[];
}

export interface CancelArgs {
  actor: Actor;
  reasonCode: 'customer_request' | 'duplicate' | 'resolved_elsewhere';
}

/** Error types raised by update validators; the API maps them to HTTP statuses. */
export const CaseErrors = {
  TaskNotOpen: 'TaskNotOpen', // 409
  InvalidPayload: 'InvalidPayload', // 400
  NotAllowedNow: 'NotAllowedNow', // 409: the case is not at a step that accepts this
  PolicyRefused: 'PolicyRefused', // 422
} as const;

export const completeTaskUpdate = defineUpdate<TaskView, [CompleteTaskArgs]>('completeTask');
export const cancelCaseUpdate = defineUpdate<CaseView, [CancelArgs]>('cancelCase');
export const caseStateQuery = defineQuery<CaseView>('caseState');

// How the API answers when a workflow update fails (lib/errors.ts fromUpdateFailure): the validator's refusals by their
// type, a case no longer running 409, and an update that never reached the workflow's code 503 CASE_BUSY (send again).
import { ServiceError, WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { fromUpdateFailure } from '../../lib/errors';

const grpc = (code: number, details: string) => Object.assign(new Error(`${code} ${details}`), { code, details });

test("a validator's refusal maps by its type", () => {
  const refused = (type: string) => new WorkflowUpdateFailedError('update failed', ApplicationFailure.create({ type, message: `refused: ${type}`, nonRetryable: true }));
  expect(fromUpdateFailure(refused('InvalidPayload'))).toMatchObject({ status: 400, code: 'INVALID_PAYLOAD' });
  expect(fromUpdateFailure(refused('TaskNotOpen'))).toMatchObject({ status: 409, code: 'TASK_NOT_OPEN' });
  expect(fromUpdateFailure(refused('NotAllowedNow'))).toMatchObject({ status: 409, code: 'NOT_ALLOWED_AT_THIS_STEP' });
  expect(fromUpdateFailure(refused('PolicyRefused'))).toMatchObject({ status: 422, code: 'POLICY_REFUSED' });
});

test('a closed or absent case is 409 CASE_NOT_RUNNING', () => {
  expect(fromUpdateFailure(new WorkflowNotFoundError('gone', 'RET-1', undefined))).toMatchObject({ status: 409, code: 'CASE_NOT_RUNNING' });
  expect(fromUpdateFailure(new Error('workflow execution already completed'))).toMatchObject({ status: 409, code: 'CASE_NOT_RUNNING' });
});

test('an update the server could not hand to the workflow (its task rewound, or the server unavailable) is 503 CASE_BUSY', () => {
  const notReady = new ServiceError('Failed to issue update', { cause: grpc(9, 'Workflow is not ready to handle the request') });
  expect(fromUpdateFailure(notReady)).toMatchObject({ status: 503, code: 'CASE_BUSY' });
  expect(fromUpdateFailure(new ServiceError('Failed to issue update', { cause: grpc(14, 'connection refused') }))).toMatchObject({ status: 503, code: 'CASE_BUSY' });
  // Anything else stays an internal error (500), not a guess.
  expect(fromUpdateFailure(new ServiceError('Failed to issue update', { cause: grpc(13, 'internal') }))).toBeUndefined();
  expect(fromUpdateFailure(new TypeError('a bug'))).toBeUndefined();
});

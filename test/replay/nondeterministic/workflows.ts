// A deliberately changed returnWithin7Days: it sleeps before doing anything. Replaying a recorded
// history against it must fail, which proves the replay test can catch nondeterministic changes.
import { sleep } from '@temporalio/workflow';
import { returnWithin7Days as original, type ReturnCaseInput } from '../../../workflows/returnWithin7Days';

export async function returnWithin7Days(input: ReturnCaseInput) {
  await sleep('1 minute');
  return original(input);
}

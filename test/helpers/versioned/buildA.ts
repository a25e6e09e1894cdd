// A long-running case type as build A ships it (test/api/workerVersioning.api.test.ts): waits for one signal, then
// answers with the code it ran.
import { condition, continueAsNew, defineSignal, setHandler } from '@temporalio/workflow';

export const proceed = defineSignal('proceed');

export async function longCase(): Promise<string> {
  let go = false;
  setHandler(proceed, () => void (go = true));
  await condition(() => go);
  return 'build A';
}

/** A case longer than one run: after the first signal it continues as new, and its second run answers after another. */
export async function twoRunCase(run: number): Promise<string> {
  let go = false;
  setHandler(proceed, () => void (go = true));
  await condition(() => go);
  if (run === 1) await continueAsNew<typeof twoRunCase>(2);
  return 'build A, run ' + run;
}

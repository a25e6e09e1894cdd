// The same case type as build B ships it (test/api/workerVersioning.api.test.ts): after the signal it starts a timer
// build A never had (a change of its commands, which unpinned would need patched()), and answers "build B".
import { condition, continueAsNew, defineSignal, setHandler, sleep } from '@temporalio/workflow';

export const proceed = defineSignal('proceed');

export async function longCase(): Promise<string> {
  let go = false;
  setHandler(proceed, () => void (go = true));
  await condition(() => go);
  await sleep(1);
  return 'build B';
}

/** A case longer than one run: after the first signal it continues as new, and its second run answers after another. */
export async function twoRunCase(run: number): Promise<string> {
  let go = false;
  setHandler(proceed, () => void (go = true));
  await condition(() => go);
  if (run === 1) await continueAsNew<typeof twoRunCase>(2);
  return 'build B, run ' + run;
}

// A long-running case type as build A ships it (test/api/workerVersioning.api.test.ts): waits for one signal, then
// answers with the code it ran.
import { condition, defineSignal, setHandler } from '@temporalio/workflow';

export const proceed = defineSignal('proceed');

export async function longCase(): Promise<string> {
  let go = false;
  setHandler(proceed, () => void (go = true));
  await condition(() => go);
  return 'build A';
}

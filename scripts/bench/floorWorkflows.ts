// Workflows that do nothing but issue commands: the shape of a case's history (a local activity, then a timer, per
// step) without any of its logic. The bench replays their histories to measure what the SDK's replay costs alone.
import { proxyLocalActivities, sleep } from '@temporalio/workflow';

const { floorStep } = proxyLocalActivities<{ floorStep(): Promise<void> }>({ startToCloseTimeout: '10 seconds' });

/** `steps` times: one local activity (as a case writes its step), then a 1 ms timer (as an SLA clock). */
export async function floorSteps(steps: number): Promise<number> {
  for (let i = 0; i < steps; i++) {
    await floorStep();
    await sleep(1);
  }
  return steps;
}

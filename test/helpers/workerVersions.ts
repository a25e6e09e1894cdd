// Worker Versioning in tests: the deploy's "make this build current" step, as `temporal worker deployment
// set-current-version` does it, waiting for what the server needs before and after.
import type { Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { eventually } from './namespace';

/**
 * Makes `buildId` ('' for unversioned workers) the current version of `deploymentName`: retried until the version's
 * workers have polled (the server knows no version before: NOT_FOUND), then waits until the routing change has reached
 * every partition of the task queues (routingConfigUpdateState COMPLETED; a case started or woken before may still go
 * to the former current version).
 */
export async function setCurrentVersion(connection: Connection, namespace: string, deploymentName: string, buildId: string): Promise<void> {
  for (let i = 0; ; i++) {
    try {
      await connection.workflowService.setWorkerDeploymentCurrentVersion({ namespace, deploymentName, buildId, identity: 'deploy' });
      break;
    } catch (err) {
      if (i > 80) throw err;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  const state = await eventually(
    async () => (await connection.workflowService.describeWorkerDeployment({ namespace, deploymentName })).workerDeploymentInfo?.routingConfigUpdateState,
    (s) => s === temporal.api.enums.v1.RoutingConfigUpdateState.ROUTING_CONFIG_UPDATE_STATE_COMPLETED,
  );
  if (state !== temporal.api.enums.v1.RoutingConfigUpdateState.ROUTING_CONFIG_UPDATE_STATE_COMPLETED) throw new Error(`routing of ${deploymentName} not propagated (state ${state})`);
}

import type { Connection } from '@temporalio/client';
import type { Db } from '../lib/db';
import type { Logger } from '../lib/logger';
import type { ClientPool } from '../lib/temporal';
import type { PolicyConfig } from '../policy/config';

export interface ApiDeps {
  db: Db;
  logger: Logger;
  temporal: {
    connection: Connection;
    clients: ClientPool;
    namespace: string;
    taskQueue: string;
    uiUrl: string;
  };
  /** The policy configuration new cases start with. */
  currentPolicy: () => PolicyConfig;
}

export function workflowUiLink(deps: ApiDeps, workflowId: string): string {
  return `${deps.temporal.uiUrl.replace(/\/$/, '')}/namespaces/${encodeURIComponent(deps.temporal.namespace)}/workflows/${encodeURIComponent(workflowId)}`;
}

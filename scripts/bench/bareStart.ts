// The least an HTTP API can do to open a case (forked by the bench's floor stage): Express, a JSON body, one
// client.workflow.start with the options POST /v1/cases uses, 201. No authentication, no database, no validation.
import express from 'express';
import { Connection } from '@temporalio/client';
import type { ApiDeps } from '../../api/deps';
import { startCaseWorkflow } from '../../api/caseOpening';
import { ClientPool } from '../../lib/temporal';
import { processOf } from '../../processes';

async function main() {
  const address = process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233';
  const namespace = process.env.TEMPORAL_NAMESPACE ?? 'default';
  const connection = await Connection.connect({ address });
  const deps = { temporal: { connection, clients: new ClientPool(connection, namespace), namespace, taskQueue: process.env.TEMPORAL_TASK_QUEUE ?? 'casework', uiUrl: '' } } as unknown as ApiDeps;
  const proc = processOf('return')!;
  const app = express();
  app.use(express.json({ limit: '64kb' }));
  app.post('/start', (req, res, next) => {
    startCaseWorkflow(deps, proc, req.body).then(() => res.status(201).json({ caseId: req.body.caseId }), next);
  });
  const server = app.listen(0, '127.0.0.1', () => process.send!({ port: (server.address() as { port: number }).port }));
  process.on('disconnect', () => process.exit(0));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});

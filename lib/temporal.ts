// Temporal connection helpers shared by the API, the worker and the scripts.
import { Client, Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { caseSearchAttributes } from './searchAttributes';
import { requestIdClientInterceptor } from './requestContext';

/** Registers the case search attributes (idempotent; existing ones are left alone). */
export async function registerSearchAttributes(connection: Connection, namespace: string): Promise<void> {
  let missing = caseSearchAttributes;
  try {
    const existing = await connection.operatorService.listSearchAttributes({ namespace });
    missing = caseSearchAttributes.filter((k) => !(k.name in (existing.customAttributes ?? {})));
  } catch {
    /* the time-skipping test server cannot list; adding is enough there */
  }
  if (missing.length === 0) return;
  try {
    await connection.operatorService.addSearchAttributes({
      namespace,
      searchAttributes: Object.fromEntries(missing.map((k) => [k.name, temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD])),
    });
  } catch (err) {
    if (!/already exists/i.test((err as Error).message)) throw err;
  }
}

/** One client per acting principal, so every update carries the principal as its identity. */
export class ClientPool {
  private readonly clients = new Map<string, Client>();
  constructor(
    private readonly connection: Connection,
    private readonly namespace: string,
  ) {}

  forIdentity(identity: string): Client {
    let c = this.clients.get(identity);
    if (!c) {
      c = new Client({ connection: this.connection, namespace: this.namespace, identity, interceptors: { workflow: [requestIdClientInterceptor()] } });
      this.clients.set(identity, c);
    }
    return c;
  }
}

// Temporal connection helpers shared by the API, the worker and the scripts.
import fs from 'node:fs';
import { Client, Connection, type TLSConfig } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { caseSearchAttributes } from './searchAttributes';
import { requestIdClientInterceptor } from './requestContext';

/** The TLS settings of a Temporal connection (TEMPORAL_TLS_*), as the client and the worker's native connection take them. */
export interface TemporalTlsSettings {
  TEMPORAL_TLS: boolean;
  TEMPORAL_TLS_CA?: string;
  TEMPORAL_TLS_CERT?: string;
  TEMPORAL_TLS_KEY?: string;
  TEMPORAL_TLS_SERVER_NAME?: string;
}

/**
 * The connection options of every Temporal connection this system opens (API, worker, scripts): the address and, when
 * TEMPORAL_TLS is on, TLS with the CA that signed the server's certificate and, for mTLS, this process's certificate.
 * The files are read once, here; a missing one fails the start with its setting's name.
 */
export function temporalConnectionOptions(address: string, s: TemporalTlsSettings): { address: string; tls?: TLSConfig } {
  if (!s.TEMPORAL_TLS) return { address };
  const read = (setting: string, file: string) => {
    try {
      return fs.readFileSync(file);
    } catch (err) {
      throw new Error(`${setting}: cannot read ${file} (${(err as Error).message})`);
    }
  };
  if (!!s.TEMPORAL_TLS_CERT !== !!s.TEMPORAL_TLS_KEY) throw new Error('TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY go together (mTLS)');
  return {
    address,
    tls: {
      ...(s.TEMPORAL_TLS_SERVER_NAME && { serverNameOverride: s.TEMPORAL_TLS_SERVER_NAME }),
      ...(s.TEMPORAL_TLS_CA && { serverRootCACertificate: read('TEMPORAL_TLS_CA', s.TEMPORAL_TLS_CA) }),
      ...(s.TEMPORAL_TLS_CERT && { clientCertPair: { crt: read('TEMPORAL_TLS_CERT', s.TEMPORAL_TLS_CERT), key: read('TEMPORAL_TLS_KEY', s.TEMPORAL_TLS_KEY!) } }),
    },
  };
}

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

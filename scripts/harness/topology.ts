// What a running topology offers the stages that drive it and break it (the prod-like journey, scripts/chaos): where
// its parts listen, and each part's kill (SIGKILL, no grace) and restart. Implemented by scripts/prodLike.ts.

/** A part of the topology that a fault can kill and bring back. */
export interface Restartable {
  /** e.g. "worker-1", "api-2", "temporal", "postgres". */
  readonly name: string;
  /** SIGKILL (PostgreSQL: its postmaster), then waits until the process is gone. */
  kill(): Promise<void>;
  /** Starts it again and waits until it is ready (an API: /readyz 200; a worker: polling; Temporal: getSystemInfo). */
  restart(): Promise<void>;
  isRunning(): boolean;
  /**
   * Waits until it is ready, however long its dependencies stay down (up to a timeout). restart() does not wait while
   * a dependency (Temporal, PostgreSQL) is down: the part is started again until ready, and this waits for that.
   */
  whenReady?(o?: { timeoutMs?: number }): Promise<void>;
}

export interface Topology {
  /** The API replicas' base URLs, e.g. http://127.0.0.1:3101. */
  readonly apis: readonly string[];
  /** An admin API key (the other principals are made with it, through the API). */
  readonly adminKey: string;
  /** The application's database (a superuser URL: the stages read the ledgers and the outbox directly). */
  readonly databaseUrl: string;
  readonly temporal: {
    readonly address: string;
    readonly namespace: string;
    /** When the frontend requires mTLS: the CA that signed its certificate, a client's certificate and key (PEM files). */
    readonly tls?: { readonly ca: string; readonly cert: string; readonly key: string; readonly serverName: string };
  };
  /** The Temporal UI, when the topology runs it. */
  readonly uiUrl?: string;
  /** The mail catcher's directory: one .eml file per received mail. */
  readonly mailDir: string;
  readonly workers: readonly Restartable[];
  readonly apiProcesses: readonly Restartable[];
  readonly temporalServer: Restartable;
  readonly postgres: Restartable;
  /** Stops everything it started (SIGTERM, then waits). */
  stop(): Promise<void>;
}

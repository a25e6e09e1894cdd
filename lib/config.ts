// Every runtime setting, read once and validated. A bad value fails start-up naming the variable.
import net from 'node:net';
import { z } from 'zod';

const port = z.coerce.number().int().min(0).max(65535);
const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

/** Development-only secrets: used when unset outside production, refused in production (exported for tests). */
export const DEV_SECRETS = {
  REGISTRATION_SECRET: 'dev-only-registration-secret-change-me-0123456789',
  REQUEST_HASH_SECRET: 'dev-only-request-hash-secret-change-me-0123456789',
  /** The carrier's webhook (POST /v1/webhooks/carrier): HMAC-SHA256 key of its signatures. */
  WEBHOOK_SECRET_CARRIER: 'dev-only-carrier-webhook-secret-change-me-0123456789',
  REPLY_TOKEN_SECRET: 'dev-only-reply-token-secret-change-me-0123456789',
} as const;
type SecretVariable = keyof typeof DEV_SECRETS;
/** The development seed of the simulated signing key (SHA-256 of "casework development signing key"): public, never for production. */
export const DEV_SIGNING_KEY_SEED = 'a0efa5796b8c71cf641b89d20f82a7db26ab584a327c42202fdbe2a664929840';
const secret = z.string().min(32, 'at least 32 characters').optional();

/**
 * The external ports and the setting that picks each one's adapter (lib/ports.ts builds them).
 * `adapters` lists the accepted values; `simulations` those that are stand-ins, refused in production
 * unless the port is named in ALLOW_SIMULATED.
 */
export const PORT_SETTINGS = {
  payments: { variable: 'PAYMENT_GATEWAY', adapters: ['simulated'], simulations: ['simulated'], what: 'payment gateway' },
  sms: { variable: 'SMS_GATEWAY', adapters: ['capture'], simulations: ['capture'], what: 'SMS gateway' },
  faces: { variable: 'FACE_VERIFIER', adapters: ['simulated'], simulations: ['simulated'], what: 'face verifier' },
  carriers: { variable: 'CARRIER_TRACKING', adapters: ['simulated'], simulations: ['simulated'], what: 'carrier tracking service' },
  listings: { variable: 'LISTING_SERVICE', adapters: ['simulated'], simulations: ['simulated'], what: 'listing service' },
  keys: { variable: 'KEY_MANAGEMENT', adapters: ['simulated'], simulations: ['simulated'], what: 'key management service' },
  regulator: { variable: 'REGULATOR_NOTIFIER', adapters: ['simulated'], simulations: ['simulated'], what: 'regulator notifier (PIPL art. 57 breach reports)' },
  blobs: { variable: 'BLOB_STORE', adapters: ['filesystem'], simulations: [], what: 'blob store' },
} as const;
export type PortName = keyof typeof PORT_SETTINGS;
export const PORT_NAMES = Object.keys(PORT_SETTINGS) as PortName[];

function adapterSetting<const V extends readonly [string, ...string[]]>(variable: string, values: V) {
  return z
    .enum(values, { error: (iss) => `${variable}=${String(iss.input)} has no adapter; accepted values: ${values.join(', ')}` })
    .default(values[0] as V[0] & z.util.EnumValue);
}

export const envFields = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  DATA_DIR: z.string().default('.data'),
  /** Unset: the embedded PostgreSQL (PGlite) under DATA_DIR. */
  DATABASE_URL: z.string().url().optional(),
  /** Unset: a Temporal dev server is started under DATA_DIR. */
  TEMPORAL_ADDRESS: z.string().regex(/^[^:\s]+:\d+$/, 'expected host:port').optional(),
  /** TLS to Temporal: on; the CA that signed the server's certificate (PEM file; absent: the system's roots). */
  TEMPORAL_TLS: bool.default(false),
  TEMPORAL_TLS_CA: z.string().optional(),
  /** mTLS: this process's certificate and key (PEM files), both or neither. */
  TEMPORAL_TLS_CERT: z.string().optional(),
  TEMPORAL_TLS_KEY: z.string().optional(),
  /** The name the server's certificate must carry, when it is not the address's host. */
  TEMPORAL_TLS_SERVER_NAME: z.string().optional(),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('casework'),
  /**
   * Cases the worker keeps in its workflow cache; one more evicts the least recently used, which replays its
   * history at its next step (tens of milliseconds of CPU). A case waiting on a party costs about 0.14 MiB of worker
   * heap and 0.27 MiB of RSS (scripts/bench/cache-memory.ts). The default, 500, holds the cases moving now, whatever
   * the machine (the SDK's own default follows the heap limit), while the many that wait days on a party or a
   * deadline replay when they wake: measured with `bash scripts/bench.sh --only rss`, the system process (worker +
   * API) stays under 1 GiB with 10,000 open returns (947 MB; 1,745 MB with 2000). Raise it with the worker's memory.
   */
  WORKER_MAX_CACHED_WORKFLOWS: z.coerce.number().int().min(0).default(500),
  /**
   * The workflow stack-trace queries (`__stack_trace`, the Temporal UI's "Stack Trace" tab). On, the SDK captures and
   * source-maps a stack for every promise a workflow creates: about 40 % of the workflow thread's CPU and of a replay
   * (docs/benchmarks.md). Off by default; turn it on while debugging a case that seems stuck.
   */
  WORKER_WORKFLOW_STACK_TRACES: bool.default(false),
  /**
   * Deadlock detection: a call into a workflow that runs longer than 5 s fails its workflow task ("Potential deadlock
   * detected") instead of holding the workflow thread. Node starts and joins a watchdog thread for every such call,
   * several per activation: about 40 % of the workflow thread's CPU (docs/benchmarks.md). On by default; off buys that
   * CPU back at the price of a stuck workflow thread if workflow code ever loops.
   */
  WORKER_WORKFLOW_DEADLOCK_DETECTION: bool.default(true),
  /**
   * Worker Versioning (README "Deploying with Worker Versioning"): the worker deployment and this build's id, both set or
   * neither. Set, the worker polls as that deployment version and pins every case it starts to it (PINNED): a case
   * runs to its end on the build it started on, while new cases go to the deployment's current version (set with
   * `temporal worker deployment set-current-version`). Unset (the default): an unversioned worker, as before.
   */
  WORKER_DEPLOYMENT_NAME: z.string().regex(/^[^.\s]+$/, 'no dots or spaces').optional(),
  WORKER_BUILD_ID: z.string().regex(/^[^.\s]+$/, 'no dots or spaces').optional(),
  /**
   * The reconciler (processes/caseReconciler.ts): a case whose workflow has not written this many seconds after its
   * opening is started from its stored input (a crash between the opening's commit and its start); it looks every
   * CASE_RECONCILE_EVERY_SECONDS, and at worker start-up.
   */
  CASE_START_BOUND_SECONDS: z.coerce.number().positive().default(30),
  CASE_RECONCILE_EVERY_SECONDS: z.coerce.number().positive().default(30),
  TEMPORAL_UI_URL: z.string().url().default('http://localhost:8233'),
  API_PORT: port.default(3000),
  API_HOST: z.string().default('127.0.0.1'),
  /** Unset: mail goes to the embedded catcher (files under DATA_DIR/mail). */
  SMTP_HOST: z.string().optional(),
  SMTP_PORT: port.default(1025),
  SMTP_SECURE: bool.default(false),
  /** Verify the SMTP server's certificate, on implicit TLS and on STARTTLS alike (default true). */
  SMTP_TLS_VERIFY: bool.default(true),
  SMTP_USER: z.string().optional(),
  SMTP_PASS: z.string().optional(),
  MAIL_FROM: z.string().default('Customer Care <care@casework.local>'),
  /**
   * Inbound e-mail (lib/inboundMail.ts, processes/inboundMail.ts): an SMTP listener for replies to case notices, which
   * carry `Reply-To: case+<token>@INBOUND_MAIL_DOMAIN`. Off by default (the dev system, scripts/dev, turns it on); in
   * production it listens behind the organisation's MX (which checks SPF/DKIM/DMARC) and needs REPLY_TOKEN_SECRET.
   */
  INBOUND_MAIL_ENABLED: bool.default(false),
  INBOUND_MAIL_PORT: port.default(2525),
  INBOUND_MAIL_HOST: z.string().default('127.0.0.1'),
  INBOUND_MAIL_DOMAIN: z.string().regex(/^[a-z0-9.-]+$/i, 'a mail domain').default('reply.casework.local'),
  /** The largest message the listener takes (SMTP SIZE; a larger one is refused with 552). */
  INBOUND_MAIL_MAX_BYTES: z.coerce.number().int().min(1024).default(25 * 1024 * 1024),
  /** HMAC key of reply tokens (32+ characters). Needed in production when INBOUND_MAIL_ENABLED. */
  REPLY_TOKEN_SECRET: secret,
  /**
   * E-mail intake (processes/mailIntake.ts): a process that declares one takes mail at `<localPart>@INBOUND_MAIL_DOMAIN`
   * (complaints@ for the complaint). Renamed here, a comma list of `<caseType>=<localPart>` (e.g. `complaint=tousu`).
   */
  MAIL_INTAKE_LOCAL_PARTS: z
    .string()
    .default('')
    .transform((v) => v.split(',').map((x) => x.trim()).filter(Boolean))
    .pipe(z.array(z.string().regex(/^[a-z0-9_-]+=[a-z0-9._-]{1,64}$/i, 'MAIL_INTAKE_LOCAL_PARTS: a comma list of <caseType>=<localPart>')))
    .transform((pairs) => Object.fromEntries(pairs.map((p) => [p.slice(0, p.indexOf('=')), p.slice(p.indexOf('=') + 1).toLowerCase()])) as Record<string, string>),
  /** How long a confirmation link of the e-mail intake is valid; an unconfirmed intake is purged after it. */
  MAIL_INTAKE_CONFIRM_HOURS: z.coerce.number().positive().max(24 * 30).default(72),
  /** The public origin of the API the confirmation link points to (`<base>/mail-intake/<caseType>/<token>`); unset: http://API_HOST:API_PORT. */
  MAIL_INTAKE_LINK_BASE: z.string().url().optional(),
  /** Version id of the policy configuration new cases start with. */
  POLICY_FILE: z.string().optional(),
  /** Per-principal API rate limit: sustained requests per minute, and the burst allowed back to back. */
  RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(600),
  RATE_LIMIT_BURST: z.coerce.number().int().min(1).default(60),
  /** Requests without a valid API key per client address, before authentication (api/middleware.ts). */
  AUTH_FAILURE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(30),
  AUTH_FAILURE_LIMIT_BURST: z.coerce.number().int().min(1).default(20),
  /** PostgreSQL connections of each process's main pool; a worker runs at most this many activities at once. */
  DB_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
  /** A worker's second pool, for the e-mail outbox and the case reconciler: delivery goes on when the main one is full. */
  DB_BACKGROUND_POOL_SIZE: z.coerce.number().int().min(1).max(20).default(2),
  /** GET /metrics: addresses and networks (comma list, CIDR) allowed to scrape; empty: any. */
  METRICS_ALLOW: z
    .string()
    .default('')
    .transform((v) => v.split(',').map((x) => x.trim()).filter(Boolean))
    .refine((list) => list.every((x) => { const [a, b] = x.split('/'); return net.isIP(a) !== 0 && (b === undefined || (/^\d{1,3}$/.test(b) && Number(b) <= (net.isIPv6(a) ? 128 : 32))); }), 'addresses or networks in CIDR form, comma separated'),
  /** GET /metrics: a bearer token a scrape must send (at least 16 characters); absent: none. */
  METRICS_TOKEN: z.string().min(16).optional(),
  /** How old the counts of a scrape may be, in seconds (one database snapshot per period, however often scraped). */
  METRICS_REFRESH_SECONDS: z.coerce.number().int().min(0).max(3600).default(15),
  /** Registration: HMAC key for mobile codes, e-mail links and ID-number hashes (32+ characters). Set it in production. */
  REGISTRATION_SECRET: secret,
  /** Idempotent requests: HMAC key of the stored request-body hashes (32+ characters). Set it in production. */
  REQUEST_HASH_SECRET: secret,
  /**
   * Webhooks (api/routes/webhooks.ts): the HMAC-SHA256 key each outside system signs its events with (32+ characters),
   * one per source. Unset outside production: a development key; production refuses it unset, empty or the default.
   */
  WEBHOOK_SECRET_CARRIER: secret,
  /** Registration: where the e-mail verification link points (the storefront page that posts the token back). */
  REGISTRATION_LINK_BASE: z.string().url().default('http://localhost:3000/register/verify-email'),
  /** Adapters of the external ports (see PORT_SETTINGS). */
  PAYMENT_GATEWAY: adapterSetting('PAYMENT_GATEWAY', PORT_SETTINGS.payments.adapters),
  SMS_GATEWAY: adapterSetting('SMS_GATEWAY', PORT_SETTINGS.sms.adapters),
  FACE_VERIFIER: adapterSetting('FACE_VERIFIER', PORT_SETTINGS.faces.adapters),
  CARRIER_TRACKING: adapterSetting('CARRIER_TRACKING', PORT_SETTINGS.carriers.adapters),
  LISTING_SERVICE: adapterSetting('LISTING_SERVICE', PORT_SETTINGS.listings.adapters),
  KEY_MANAGEMENT: adapterSetting('KEY_MANAGEMENT', PORT_SETTINGS.keys.adapters),
  REGULATOR_NOTIFIER: adapterSetting('REGULATOR_NOTIFIER', PORT_SETTINGS.regulator.adapters),
  /**
   * KEY_MANAGEMENT=simulated: the seed (64 hex digits) of the Ed25519 key that signs case dossiers. Unset outside
   * production: a development seed (every development system signs with the same, publicly known key).
   */
  BLOB_STORE: adapterSetting('BLOB_STORE', PORT_SETTINGS.blobs.adapters),
  /** BLOB_STORE=filesystem: where attachment bytes are kept (a volume every API replica mounts). Unset: DATA_DIR/blobs. */
  BLOB_DIR: z.string().optional(),
  /** Evidence attachments: the largest file, and the most bytes and files one case may hold. */
  ATTACHMENT_MAX_BYTES: z.coerce.number().int().min(1).default(10 * 1024 * 1024),
  ATTACHMENT_MAX_CASE_BYTES: z.coerce.number().int().min(1).default(100 * 1024 * 1024),
  ATTACHMENT_MAX_CASE_FILES: z.coerce.number().int().min(1).default(50),
  /** The types an attachment may be, as its bytes show them (not as the upload says): images and PDF. */
  ATTACHMENT_TYPES: z
    .string()
    .default('image/jpeg,image/png,image/webp,image/gif,image/heic,application/pdf')
    .transform((v) => v.split(',').map((x) => x.trim()).filter(Boolean)),
  SIMULATED_SIGNING_KEY_SEED: z.string().regex(/^[0-9a-fA-F]{64}$/, 'expected 64 hex digits (32 bytes)').optional(),
  /** Production only: ports (comma list: payments, sms, faces, carriers, listings, keys, regulator) allowed to run on a simulation. */
  ALLOW_SIMULATED: z
    .string()
    .default('')
    .transform((v) => v.split(',').map((x) => x.trim()).filter(Boolean))
    .pipe(z.array(z.enum(PORT_NAMES as [PortName, ...PortName[]], { error: (iss) => `ALLOW_SIMULATED lists "${String(iss.input)}", which is not a port; accepted values: ${PORT_NAMES.join(', ')}` }))),
});

type EnvFields = z.output<typeof envFields>;

/** Production refusals of simulated adapters: one message per port, naming its variable. */
export function simulationRefusals(cfg: Pick<EnvFields, 'NODE_ENV' | 'ALLOW_SIMULATED' | (typeof PORT_SETTINGS)[PortName]['variable']>): { variable: string; message: string }[] {
  if (cfg.NODE_ENV !== 'production') return [];
  return PORT_NAMES.flatMap((name) => {
    const s = PORT_SETTINGS[name];
    const value = cfg[s.variable];
    if (!(s.simulations as readonly string[]).includes(value) || cfg.ALLOW_SIMULATED.includes(name)) return [];
    return [{ variable: s.variable, message: `${s.variable}=${value} is a simulation; in production set a real ${s.what} or list "${name}" in ALLOW_SIMULATED` }];
  });
}

export const envSchema = envFields
  .superRefine((c, ctx) => {
    if ((c.WORKER_DEPLOYMENT_NAME === undefined) !== (c.WORKER_BUILD_ID === undefined)) {
      const missing = c.WORKER_DEPLOYMENT_NAME === undefined ? 'WORKER_DEPLOYMENT_NAME' : 'WORKER_BUILD_ID';
      ctx.addIssue({ code: 'custom', path: [missing], message: `${missing} is not set; Worker Versioning needs WORKER_DEPLOYMENT_NAME and WORKER_BUILD_ID together` });
    }
    if (c.NODE_ENV !== 'production') return;
    for (const v of Object.keys(DEV_SECRETS) as SecretVariable[]) {
      // The reply-token key signs only the Reply-To of notices: needed when inbound mail is on.
      if (v === 'REPLY_TOKEN_SECRET' && !c.INBOUND_MAIL_ENABLED) continue;
      if (c[v] === undefined) {
        ctx.addIssue({ code: 'custom', path: [v], message: `${v} is not set; production needs a secret of its own (32+ characters)` });
      } else if (c[v] === DEV_SECRETS[v]) {
        ctx.addIssue({ code: 'custom', path: [v], message: `${v} is the development default; production needs a secret of its own (32+ characters)` });
      }
    }
    for (const r of simulationRefusals(c)) ctx.addIssue({ code: 'custom', path: [r.variable], message: r.message });
    // A simulated key named for production still needs a seed of its own: the development seed is public.
    if (c.KEY_MANAGEMENT === 'simulated' && c.ALLOW_SIMULATED.includes('keys') && (c.SIMULATED_SIGNING_KEY_SEED === undefined || c.SIMULATED_SIGNING_KEY_SEED.toLowerCase() === DEV_SIGNING_KEY_SEED)) {
      ctx.addIssue({ code: 'custom', path: ['SIMULATED_SIGNING_KEY_SEED'], message: 'SIMULATED_SIGNING_KEY_SEED is not set or is the development seed; production needs a seed of its own (64 hex digits)' });
    }
  })
  // Outside production an unset secret falls back to its development value.
  .transform((c) => ({
    ...c,
    REGISTRATION_SECRET: c.REGISTRATION_SECRET ?? DEV_SECRETS.REGISTRATION_SECRET,
    REQUEST_HASH_SECRET: c.REQUEST_HASH_SECRET ?? DEV_SECRETS.REQUEST_HASH_SECRET,
    WEBHOOK_SECRET_CARRIER: c.WEBHOOK_SECRET_CARRIER ?? DEV_SECRETS.WEBHOOK_SECRET_CARRIER,
    REPLY_TOKEN_SECRET: c.REPLY_TOKEN_SECRET ?? DEV_SECRETS.REPLY_TOKEN_SECRET,
    SIMULATED_SIGNING_KEY_SEED: c.SIMULATED_SIGNING_KEY_SEED ?? DEV_SIGNING_KEY_SEED,
  }));

export type AppConfig = z.output<typeof envSchema>;

/** The secrets the processes hand down to activities and routes (read once, here). */
export interface Secrets {
  /** HMAC key for mobile codes, e-mail links and ID-number hashes. */
  registration: string;
  /** HMAC key of the stored hashes of idempotent request bodies. */
  requestHash: string;
  /** The HMAC-SHA256 key of each webhook source's signatures (POST /v1/webhooks/:source). */
  webhooks: { carrier: string };
}

export function secretsOf(cfg: AppConfig): Secrets {
  return { registration: cfg.REGISTRATION_SECRET, requestHash: cfg.REQUEST_HASH_SECRET, webhooks: { carrier: cfg.WEBHOOK_SECRET_CARRIER } };
}

export class ConfigError extends Error {}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== ''));
  const parsed = envSchema.safeParse(cleaned);
  if (!parsed.success) {
    // A message that already names its variable is printed as is.
    const lines = parsed.error.issues.map((i) => (i.message.startsWith(String(i.path[0])) ? `  ${i.message}` : `  ${i.path.join('.')}: ${i.message}`));
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  return parsed.data;
}

/** The development key of a process-declared webhook source (POST /v1/webhooks/<source>): public, never for production. */
export const devWebhookSecret = (source: string) => `dev-only-${source}-webhook-secret-change-me-0123456789`;

/**
 * The HMAC-SHA256 key of a webhook source a process declares (processes/types.ts WebhookSourceDecl), from its variable:
 * 32+ characters; unset outside production, the source's development key; in production unset, short or the
 * development key stops start-up (ConfigError naming the variable), as WEBHOOK_SECRET_CARRIER does.
 */
export function declaredWebhookSecret(env: NodeJS.ProcessEnv, variable: string, source: string): string {
  const value = env[variable];
  const production = env.NODE_ENV === 'production';
  if (value === undefined || value === '') {
    if (production) throw new ConfigError(`Invalid configuration:\n  ${variable} is not set; production needs a secret of its own (32+ characters)`);
    return devWebhookSecret(source);
  }
  if (value.length < 32) throw new ConfigError(`Invalid configuration:\n  ${variable}: at least 32 characters`);
  if (production && value === devWebhookSecret(source)) throw new ConfigError(`Invalid configuration:\n  ${variable} is the development default; production needs a secret of its own (32+ characters)`);
  return value;
}

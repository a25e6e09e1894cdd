// Every runtime setting, read once and validated. A bad value fails start-up naming the variable.
import { z } from 'zod';

const port = z.coerce.number().int().min(0).max(65535);
const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const DEV_REGISTRATION_SECRET = 'dev-only-registration-secret-change-me-0123456789';

export const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  DATA_DIR: z.string().default('.data'),
  /** Unset: the embedded PostgreSQL (PGlite) under DATA_DIR. */
  DATABASE_URL: z.string().url().optional(),
  /** Unset: a Temporal dev server is started under DATA_DIR. */
  TEMPORAL_ADDRESS: z.string().regex(/^[^:\s]+:\d+$/, 'expected host:port').optional(),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('casework'),
  TEMPORAL_UI_URL: z.string().url().default('http://localhost:8233'),
  API_PORT: port.default(3000),
  API_HOST: z.string().default('127.0.0.1'),
  /** Unset: mail goes to the embedded catcher (files under DATA_DIR/mail). */
  SMTP_HOST: z.string().optional(),
  SMTP_PORT: port.default(1025),
  SMTP_SECURE: bool.default(false),
  SMTP_USER: z.string().optional(),
  SMTP_PASS: z.string().optional(),
  MAIL_FROM: z.string().default('Customer Care <care@casework.local>'),
  /** Version id of the policy configuration new cases start with. */
  POLICY_FILE: z.string().optional(),
  /** Per-principal API rate limit: sustained requests per minute, and the burst allowed back to back. */
  RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(600),
  RATE_LIMIT_BURST: z.coerce.number().int().min(1).default(60),
  /** Registration: HMAC key for mobile codes, e-mail links and ID-number hashes (32+ characters). Set it in production. */
  REGISTRATION_SECRET: z.string().min(32).default(DEV_REGISTRATION_SECRET),
  /** Registration: where the e-mail verification link points (the storefront page that posts the token back). */
  REGISTRATION_LINK_BASE: z.string().url().default('http://localhost:3000/register/verify-email'),
}).refine((c) => c.NODE_ENV !== 'production' || c.REGISTRATION_SECRET !== DEV_REGISTRATION_SECRET, {
  path: ['REGISTRATION_SECRET'],
  message: 'set a secret of your own in production (the built-in one is for development only)',
});

export type AppConfig = z.infer<typeof envSchema>;

export class ConfigError extends Error {}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== ''));
  const parsed = envSchema.safeParse(cleaned);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  return parsed.data;
}

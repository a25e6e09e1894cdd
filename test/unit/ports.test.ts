// The composition root: each external port built from the adapter its setting names; simulations and
// development secrets refused in production, every refusal naming its variable. No database is touched:
// building an adapter does no I/O.
import { SimulatedPaymentGateway } from '../../lib/payments';
import { SimulatedFaceVerifier } from '../../lib/faces';
import { SimulatedCarrierTracking } from '../../lib/carriers';
import { ConfigError, DEV_SECRETS, loadConfig, secretsOf, type AppConfig } from '../../lib/config';
import type { Db } from '../../lib/db';
import { SimulatedKeyManagement } from '../../lib/keys';
import { SimulatedRegulatorNotifier } from '../../lib/regulator';
import { SimulatedListingService } from '../../lib/listings';
import { createLogger } from '../../lib/logger';
import { createPorts } from '../../lib/ports';
import { CaptureSmsGateway } from '../../lib/sms';
import { ProcessingStopSmsGuard } from '../../lib/processingStop';

const deps = { db: {} as Db, logger: createLogger('ports-test', 'silent') };
/** Production with secrets of its own: only the adapter rules are left to refuse. */
const production = { NODE_ENV: 'production', REGISTRATION_SECRET: 'r'.repeat(40), REQUEST_HASH_SECRET: 'h'.repeat(40), WEBHOOK_SECRET_CARRIER: 'w'.repeat(40), SIMULATED_SIGNING_KEY_SEED: '5a'.repeat(32) };
const ALL = 'payments,sms,faces,carriers,listings,keys,regulator';

const refusal = {
  payments: /PAYMENT_GATEWAY=simulated is a simulation; in production set a real payment gateway or list "payments" in ALLOW_SIMULATED/,
  sms: /SMS_GATEWAY=capture is a simulation; in production set a real SMS gateway or list "sms" in ALLOW_SIMULATED/,
  faces: /FACE_VERIFIER=simulated is a simulation; in production set a real face verifier or list "faces" in ALLOW_SIMULATED/,
  carriers: /CARRIER_TRACKING=simulated is a simulation; in production set a real carrier tracking service or list "carriers" in ALLOW_SIMULATED/,
  listings: /LISTING_SERVICE=simulated is a simulation; in production set a real listing service or list "listings" in ALLOW_SIMULATED/,
  keys: /KEY_MANAGEMENT=simulated is a simulation; in production set a real key management service or list "keys" in ALLOW_SIMULATED/,
  regulator: /REGULATOR_NOTIFIER=simulated is a simulation; in production set a real regulator notifier \(PIPL art. 57 breach reports\) or list "regulator" in ALLOW_SIMULATED/,
};
type Port = keyof typeof refusal;

function configError(f: () => unknown): string {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('development defaults', () => {
  test('every port is built from its simulation, and the development secrets are used', () => {
    const cfg = loadConfig({});
    expect(cfg).toMatchObject({ PAYMENT_GATEWAY: 'simulated', SMS_GATEWAY: 'capture', FACE_VERIFIER: 'simulated', CARRIER_TRACKING: 'simulated', LISTING_SERVICE: 'simulated', KEY_MANAGEMENT: 'simulated', REGULATOR_NOTIFIER: 'simulated', ALLOW_SIMULATED: [] });
    const ports = createPorts(cfg, deps);
    expect(ports.payments).toBeInstanceOf(SimulatedPaymentGateway);
    // Every SMS adapter is wrapped by the processing stop (policy 2.4.1, lib/processingStop.ts).
    expect(ports.sms).toBeInstanceOf(ProcessingStopSmsGuard);
    expect((ports.sms as ProcessingStopSmsGuard).inner).toBeInstanceOf(CaptureSmsGateway);
    expect(ports.faces).toBeInstanceOf(SimulatedFaceVerifier);
    expect(ports.carriers).toBeInstanceOf(SimulatedCarrierTracking);
    expect(ports.listings).toBeInstanceOf(SimulatedListingService);
    expect(ports.keys).toBeInstanceOf(SimulatedKeyManagement);
    expect(ports.regulator).toBeInstanceOf(SimulatedRegulatorNotifier);
    expect(secretsOf(cfg)).toEqual({ registration: DEV_SECRETS.REGISTRATION_SECRET, requestHash: DEV_SECRETS.REQUEST_HASH_SECRET, webhooks: { carrier: DEV_SECRETS.WEBHOOK_SECRET_CARRIER } });
  });

  test('the test environment builds the simulations too, and secrets set explicitly are passed on', () => {
    const cfg = loadConfig({ NODE_ENV: 'test', REGISTRATION_SECRET: 'a'.repeat(32), REQUEST_HASH_SECRET: 'b'.repeat(32) });
    expect(Object.keys(createPorts(cfg, deps)).sort()).toEqual(['blobs', 'carriers', 'faces', 'keys', 'listings', 'payments', 'regulator', 'sms']);
    expect(secretsOf(cfg)).toEqual({ registration: 'a'.repeat(32), requestHash: 'b'.repeat(32), webhooks: { carrier: DEV_SECRETS.WEBHOOK_SECRET_CARRIER } });
  });
});

describe('production', () => {
  test('refuses every simulation not listed in ALLOW_SIMULATED, naming its variable', () => {
    const message = configError(() => loadConfig(production));
    for (const re of Object.values(refusal)) expect(message).toMatch(re);
    expect(() => loadConfig(production)).toThrow(/^Invalid configuration:\n {2}PAYMENT_GATEWAY=simulated is a simulation; in production set a real payment gateway or list "payments" in ALLOW_SIMULATED$/m);
  });

  test.each(Object.keys(refusal) as Port[])('refuses the %s simulation alone when every other port is allowed', (port) => {
    const others = Object.keys(refusal).filter((p) => p !== port).join(',');
    const message = configError(() => loadConfig({ ...production, ALLOW_SIMULATED: others }));
    expect(message).toMatch(refusal[port]);
    for (const [, re] of Object.entries(refusal).filter(([p]) => p !== port)) expect(message).not.toMatch(re);
  });

  test('starts on simulations that ALLOW_SIMULATED lists by name (spaces allowed)', () => {
    const cfg = loadConfig({ ...production, ALLOW_SIMULATED: ' payments, sms ,faces,carriers,listings, keys,regulator' });
    expect(cfg.ALLOW_SIMULATED).toEqual(['payments', 'sms', 'faces', 'carriers', 'listings', 'keys', 'regulator']);
    expect(createPorts(cfg, deps).payments).toBeInstanceOf(SimulatedPaymentGateway);
  });

  test('createPorts refuses too, for a configuration built without loadConfig', () => {
    const cfg: AppConfig = { ...loadConfig({ ...production, ALLOW_SIMULATED: ALL }), ALLOW_SIMULATED: ['payments', 'faces', 'carriers', 'listings', 'keys', 'regulator'] };
    expect(() => createPorts(cfg, deps)).toThrow(ConfigError);
    expect(() => createPorts(cfg, deps)).toThrow(refusal.sms);
    expect(() => createPorts({ ...cfg, NODE_ENV: 'development' }, deps)).not.toThrow();
  });

  test('refuses a missing REGISTRATION_SECRET or REQUEST_HASH_SECRET', () => {
    const message = configError(() => loadConfig({ NODE_ENV: 'production', ALLOW_SIMULATED: ALL }));
    expect(message).toMatch(/^ {2}REGISTRATION_SECRET is not set; production needs a secret of its own \(32\+ characters\)$/m);
    expect(message).toMatch(/^ {2}REQUEST_HASH_SECRET is not set; production needs a secret of its own \(32\+ characters\)$/m);
    expect(() => loadConfig({ ...production, REQUEST_HASH_SECRET: undefined, ALLOW_SIMULATED: ALL })).toThrow(/REQUEST_HASH_SECRET is not set; production needs a secret of its own \(32\+ characters\)/);
    expect(() => loadConfig({ ...production, REQUEST_HASH_SECRET: '', ALLOW_SIMULATED: ALL })).toThrow(/REQUEST_HASH_SECRET is not set/);
  });

  test('refuses a webhook secret unset, empty, short or the development default', () => {
    expect(() => loadConfig({ ...production, WEBHOOK_SECRET_CARRIER: undefined, ALLOW_SIMULATED: ALL })).toThrow(/WEBHOOK_SECRET_CARRIER is not set; production needs a secret of its own/);
    expect(() => loadConfig({ ...production, WEBHOOK_SECRET_CARRIER: '', ALLOW_SIMULATED: ALL })).toThrow(/WEBHOOK_SECRET_CARRIER is not set/);
    expect(() => loadConfig({ ...production, WEBHOOK_SECRET_CARRIER: 'short', ALLOW_SIMULATED: ALL })).toThrow(/WEBHOOK_SECRET_CARRIER: at least 32 characters/);
    expect(() => loadConfig({ ...production, WEBHOOK_SECRET_CARRIER: DEV_SECRETS.WEBHOOK_SECRET_CARRIER, ALLOW_SIMULATED: ALL })).toThrow(/WEBHOOK_SECRET_CARRIER is the development default/);
    expect(secretsOf(loadConfig({ ...production, ALLOW_SIMULATED: ALL })).webhooks.carrier).toBe('w'.repeat(40));
  });

  test('refuses the development default of either secret', () => {
    expect(() => loadConfig({ ...production, REGISTRATION_SECRET: DEV_SECRETS.REGISTRATION_SECRET, ALLOW_SIMULATED: ALL })).toThrow(
      /REGISTRATION_SECRET is the development default; production needs a secret of its own \(32\+ characters\)/,
    );
    expect(() => loadConfig({ ...production, REQUEST_HASH_SECRET: DEV_SECRETS.REQUEST_HASH_SECRET, ALLOW_SIMULATED: ALL })).toThrow(
      /REQUEST_HASH_SECRET is the development default; production needs a secret of its own \(32\+ characters\)/,
    );
  });

  test('a short secret is refused in every environment', () => {
    expect(() => loadConfig({ REQUEST_HASH_SECRET: 'short' })).toThrow(/REQUEST_HASH_SECRET: at least 32 characters/);
    expect(() => loadConfig({ REGISTRATION_SECRET: 'x'.repeat(31) })).toThrow(/REGISTRATION_SECRET: at least 32 characters/);
  });

  test('with its own secrets and the simulations allowed, production starts', () => {
    const cfg = loadConfig({ ...production, ALLOW_SIMULATED: ALL });
    expect(secretsOf(cfg)).toEqual({ registration: 'r'.repeat(40), requestHash: 'h'.repeat(40), webhooks: { carrier: 'w'.repeat(40) } });
  });
});

describe('adapter values', () => {
  test.each([
    ['PAYMENT_GATEWAY', 'stripe', 'simulated'],
    ['SMS_GATEWAY', 'twilio', 'capture'],
    ['FACE_VERIFIER', 'vendor', 'simulated'],
    ['CARRIER_TRACKING', 'sf-express', 'simulated'],
    ['LISTING_SERVICE', 'marketplace', 'simulated'],
    ['KEY_MANAGEMENT', 'aws-kms', 'simulated'],
    ['BLOB_STORE', 's3', 'filesystem'],
  ])('%s=%s has no adapter: start-up fails naming the variable and the accepted values', (variable, value, accepted) => {
    expect(() => loadConfig({ [variable]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [variable]: value })).toThrow(new RegExp(`^ {2}${variable}=${value} has no adapter; accepted values: ${accepted}$`, 'm'));
  });

  test('createPorts names the variable for a value with no adapter', () => {
    const cfg = { ...loadConfig({}), CARRIER_TRACKING: 'sf-express' } as unknown as AppConfig;
    expect(() => createPorts(cfg, deps)).toThrow(/CARRIER_TRACKING=sf-express has no adapter; accepted values: simulated/);
  });

  test('ALLOW_SIMULATED accepts port names only', () => {
    expect(() => loadConfig({ ALLOW_SIMULATED: 'payments,mailer' })).toThrow(/ALLOW_SIMULATED lists "mailer", which is not a port; accepted values: payments, sms, faces, carriers, listings, keys, regulator, blobs/);
  });
});

describe('the new simulations are deterministic', () => {
  test('carrier quotes depend on carrier and route only; delivery by tracking number', async () => {
    const c = new SimulatedCarrierTracking();
    const q = await c.quote({ carrier: 'SF', from: '310000', to: '100000' });
    expect(q.currency).toBe('CNY');
    expect(q.amountMinor).toBeGreaterThanOrEqual(1000);
    expect(q.amountMinor).toBeLessThanOrEqual(3000);
    expect(q.amountMinor % 100).toBe(0);
    await expect(new SimulatedCarrierTracking().quote({ carrier: 'sf ', from: '310000', to: '100000' })).resolves.toEqual(q);
    await expect(c.status('SF', 'sim-delivered-20261126')).resolves.toEqual({ delivered: true, deliveredAt: '2026-11-25T16:00:00.000Z' });
    await expect(c.status('SF', 'SIM-DELIVERED')).resolves.toEqual({ delivered: true });
    await expect(c.status('SF', 'SF1234567890')).resolves.toEqual({ delivered: false });
  });

  test('a listing take-down reference depends on the listing alone; restore resolves', async () => {
    const l = new SimulatedListingService();
    const { ref } = await l.takeDown('L-1', 'counterfeit');
    expect(ref).toMatch(/^SIMTD-[0-9a-f]{16}$/);
    await expect(new SimulatedListingService().takeDown('L-1', 'another reason')).resolves.toEqual({ ref });
    expect((await l.takeDown('L-2', 'counterfeit')).ref).not.toBe(ref);
    await expect(l.restore('L-1')).resolves.toBeUndefined();
  });
});

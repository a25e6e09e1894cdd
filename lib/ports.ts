// The composition root of the external ports: each is built from the adapter its setting names
// (PORT_SETTINGS in lib/config.ts). Processes call createPorts once at start-up and hand the ports down.
import { SimulatedCarrierTracking, type CarrierTracking } from './carriers';
import { ConfigError, PORT_SETTINGS, simulationRefusals, type AppConfig, type PortName } from './config';
import type { Db } from './db';
import { SimulatedFaceVerifier, type FaceVerifier } from './faces';
import { SimulatedKeyManagement, type KeyManagement } from './keys';
import path from 'node:path';
import { FileBlobStore, type BlobStore } from './blobs';
import { SimulatedListingService, type ListingService } from './listings';
import type { Logger } from './logger';
import { SimulatedPaymentGateway, type PaymentGateway } from './payments';
import { SimulatedRegulatorNotifier, type RegulatorNotifier } from './regulator';
import { CaptureSmsGateway, type SmsGateway } from './sms';
import { ProcessingStopSmsGuard } from './processingStop';

export interface Ports {
  payments: PaymentGateway;
  sms: SmsGateway;
  faces: FaceVerifier;
  carriers: CarrierTracking;
  listings: ListingService;
  /** The platform's signing key (case dossiers). */
  keys: KeyManagement;
  /** Attachment bytes, by SHA-256. */
  blobs: BlobStore;
  /** Breach reports to the authority (PIPL art. 57). */
  regulator: RegulatorNotifier;
}

export interface PortDeps {
  db: Db;
  logger: Logger;
}

/** Every accepted value of every port's setting has a factory here (the types make sure of it). */
const adapters: { [P in PortName]: Record<AppConfig[(typeof PORT_SETTINGS)[P]['variable']], (d: PortDeps, cfg: AppConfig) => Ports[P]> } = {
  payments: { simulated: ({ db }) => new SimulatedPaymentGateway(db) },
  sms: { capture: ({ db, logger }) => new CaptureSmsGateway(db, logger.child({ component: 'sms' })) },
  faces: { simulated: () => new SimulatedFaceVerifier() },
  carriers: { simulated: () => new SimulatedCarrierTracking() },
  listings: { simulated: () => new SimulatedListingService() },
  keys: { simulated: (_d, cfg) => new SimulatedKeyManagement(cfg.SIMULATED_SIGNING_KEY_SEED) },
  regulator: { simulated: ({ db, logger }) => new SimulatedRegulatorNotifier(db, logger.child({ component: 'regulator' })) },
  blobs: { filesystem: (_d, cfg) => new FileBlobStore(path.resolve(cfg.BLOB_DIR ?? path.join(cfg.DATA_DIR, 'blobs'))) },
};

/**
 * Builds every external port from its setting. Throws ConfigError, naming the variable, for a value with no
 * adapter or, in production, for a simulation that ALLOW_SIMULATED does not list.
 */
export function createPorts(cfg: AppConfig, deps: PortDeps): Ports {
  const refused = simulationRefusals(cfg);
  if (refused.length > 0) throw new ConfigError(`Invalid configuration:\n${refused.map((r) => `  ${r.message}`).join('\n')}`);
  const build = <P extends PortName>(port: P): Ports[P] => {
    const { variable } = PORT_SETTINGS[port];
    const value: string = cfg[variable];
    const factory = (adapters[port] as Record<string, (d: PortDeps, c: AppConfig) => Ports[P]>)[value];
    if (!factory) {
      throw new ConfigError(`Invalid configuration:\n  ${variable}=${value} has no adapter; accepted values: ${Object.keys(adapters[port]).join(', ')}`);
    }
    return factory(deps, cfg);
  };
  // Every SMS adapter refuses a subject whose processing is stopped (policy 2.4.1), whichever the setting names.
  const sms = new ProcessingStopSmsGuard(build('sms'), deps.db, deps.logger.child({ component: 'sms' }));
  return { payments: build('payments'), sms, faces: build('faces'), carriers: build('carriers'), listings: build('listings'), keys: build('keys'), blobs: build('blobs'), regulator: build('regulator') };
}

// The two ways to run the production topology name the same things (issue: the compose file stays the documented
// way): docker-compose.yml and bash scripts/prod-like run the same Temporal server version, and give the application
// the same environment variables, secrets and simulations included.
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { PROD_LIKE, prodLikeEnvironment, prodLikeSecretVariables } from '../../scripts/prodLike';
import { ROOT } from '../helpers/env';

const compose = parse(fs.readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8')) as { services: Record<string, { image?: string; environment?: Record<string, string> }> };
// scripts/prod-like and scripts/test build the server through setup-common.sh ensure_temporal_server.
const script = fs.readFileSync(path.join(ROOT, 'scripts', 'setup-common.sh'), 'utf8');

test('the same Temporal server version: the compose images, the script that builds it, the orchestrator', () => {
  const tag = (service: string) => compose.services[service].image!.split(':')[1].split(' ')[0];
  expect(tag('temporal')).toBe(PROD_LIKE.temporalVersion);
  expect(tag('temporal-schema')).toBe(PROD_LIKE.temporalVersion);
  expect(/^TEMPORAL_SERVER_VERSION=(\S+)$/m.exec(script)?.[1]).toBe(PROD_LIKE.temporalVersion);
});

test("the same environment variables for the application, but for where its files live and what the image sets", () => {
  const app = Object.keys(compose.services.app.environment!).sort();
  const prodLike = [...Object.keys(prodLikeEnvironment({ databaseUrl: 'postgresql://x', temporalAddress: 'x:1', smtpPort: 1, dataDir: '/x' })), ...prodLikeSecretVariables(), 'API_HOST', 'API_PORT'];
  // NODE_ENV: the image sets it (Dockerfile); DATA_DIR, BLOB_DIR: the container keeps its files in its own directory.
  const onlyProdLike = ['NODE_ENV', 'DATA_DIR', 'BLOB_DIR'];
  expect(app).toEqual(prodLike.filter((v) => !onlyProdLike.includes(v)).sort());
  expect(fs.readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8')).toMatch(/^ENV NODE_ENV=production$/m);
});

test('the same simulations allowed, by name', () => {
  const allowed = (v: string) => v.split(',').map((x) => x.trim()).sort();
  expect(allowed(compose.services.app.environment!.ALLOW_SIMULATED)).toEqual(allowed(prodLikeEnvironment({ databaseUrl: '', temporalAddress: '', smtpPort: 1, dataDir: '' }).ALLOW_SIMULATED));
});

// TLS and mTLS to Temporal (lib/temporal.ts temporalConnectionOptions, TEMPORAL_TLS_*): the client and the worker's
// native connection reach Temporal through a TLS endpoint that requires a client certificate. The endpoint is a
// TLS-terminating proxy (HTTP/2 by ALPN) in front of the test server; the CA, the server's and the client's
// certificates are made with openssl at test time.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { loadConfig } from '../../lib/config';
import { temporalConnectionOptions } from '../../lib/temporal';
import { requireEnv } from '../helpers/env';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'temporal-tls-'));
const f = (name: string) => path.join(dir, name);
const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'ignore' });
let proxy: tls.Server;
let port: number;

/** A CA, and a certificate it signs for `cn` (with the SANs given), key and certificate in PEM files. */
function issue(ca: string, cn: string, san?: string) {
  openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', f(`${cn}.key`), '-out', f(`${cn}.csr`), '-subj', `/CN=${cn}`);
  fs.writeFileSync(f(`${cn}.ext`), san ? `subjectAltName=${san}\n` : 'extendedKeyUsage=clientAuth\n');
  openssl('x509', '-req', '-in', f(`${cn}.csr`), '-CA', f(`${ca}.crt`), '-CAkey', f(`${ca}.key`), '-CAcreateserial', '-out', f(`${cn}.crt`), '-days', '1', '-extfile', f(`${cn}.ext`));
}

beforeAll(async () => {
  for (const ca of ['ca', 'other-ca']) openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', f(`${ca}.key`), '-out', f(`${ca}.crt`), '-days', '1', '-subj', `/CN=${ca}`);
  issue('ca', 'temporal.internal', 'DNS:temporal.internal');
  issue('ca', 'worker');
  issue('other-ca', 'stranger');
  const [host, upstreamPort] = requireEnv('TEMPORAL_TEST_ADDRESS').split(':');
  proxy = tls.createServer(
    { key: fs.readFileSync(f('temporal.internal.key')), cert: fs.readFileSync(f('temporal.internal.crt')), ca: fs.readFileSync(f('ca.crt')), requestCert: true, rejectUnauthorized: true, ALPNProtocols: ['h2'] },
    (socket) => {
      const upstream = net.connect(Number(upstreamPort), host);
      socket.pipe(upstream).pipe(socket);
      const close = () => {
        socket.destroy();
        upstream.destroy();
      };
      socket.on('error', close);
      upstream.on('error', close);
    },
  );
  proxy.on('tlsClientError', () => undefined);
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  port = (proxy.address() as net.AddressInfo).port;
});
afterAll(async () => {
  await new Promise<void>((r) => proxy.close(() => r()));
  fs.rmSync(dir, { recursive: true, force: true });
});

const settings = (over: Record<string, string> = {}) =>
  loadConfig({ TEMPORAL_TLS: 'true', TEMPORAL_TLS_CA: f('ca.crt'), TEMPORAL_TLS_CERT: f('worker.crt'), TEMPORAL_TLS_KEY: f('worker.key'), TEMPORAL_TLS_SERVER_NAME: 'temporal.internal', ...over });

test('with the CA, the client certificate and the server name: the client and the native connection reach Temporal', async () => {
  const options = temporalConnectionOptions(`127.0.0.1:${port}`, settings());
  const client = await Connection.connect({ ...options, connectTimeout: 5000 });
  try {
    const info = await client.workflowService.getSystemInfo({});
    expect(info.serverVersion).toMatch(/\d+\.\d+/);
  } finally {
    await client.close();
  }
  const native = await NativeConnection.connect(options);
  try {
    expect((await native.workflowService.getSystemInfo({})).serverVersion).toMatch(/\d+\.\d+/);
  } finally {
    await native.close();
  }
});

test('refused: without a client certificate (mTLS), with one of another CA, or trusting another CA', async () => {
  const attempt = async (over: Record<string, string>, drop: string[] = []) => {
    const s: Record<string, unknown> = { ...settings(over) };
    for (const k of drop) delete s[k];
    const c = await Connection.connect({ ...temporalConnectionOptions(`127.0.0.1:${port}`, s as any), connectTimeout: 3000 }).catch((err: Error) => err);
    if (c instanceof Error) return 'refused';
    try {
      await c.withDeadline(Date.now() + 3000, () => c.workflowService.getSystemInfo({}));
      return 'connected';
    } catch {
      return 'refused';
    } finally {
      await c.close();
    }
  };
  expect(await attempt({}, ['TEMPORAL_TLS_CERT', 'TEMPORAL_TLS_KEY'])).toBe('refused');
  expect(await attempt({ TEMPORAL_TLS_CERT: f('stranger.crt'), TEMPORAL_TLS_KEY: f('stranger.key') })).toBe('refused');
  expect(await attempt({ TEMPORAL_TLS_CA: f('other-ca.crt') })).toBe('refused');
});

test('settings: off by default; a certificate without its key, or a file that cannot be read, fails the start naming the setting', () => {
  expect(temporalConnectionOptions('127.0.0.1:7233', loadConfig({}))).toEqual({ address: '127.0.0.1:7233' });
  expect(() => temporalConnectionOptions('x:1', loadConfig({ TEMPORAL_TLS: 'true', TEMPORAL_TLS_CERT: f('worker.crt') }))).toThrow(/go together/);
  expect(() => temporalConnectionOptions('x:1', loadConfig({ TEMPORAL_TLS: 'true', TEMPORAL_TLS_CA: f('missing.crt') }))).toThrow(/TEMPORAL_TLS_CA: cannot read/);
});

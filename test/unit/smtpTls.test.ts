// The SMTP mailer verifies the server's certificate on STARTTLS (activities/mailer.ts; SMTP_TLS_VERIFY, default true):
// a relay offering STARTTLS with a certificate nobody vouches for gets no mail unless verification is turned off,
// and the transport never falls back to clear text after a failed STARTTLS.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SMTPServer } from 'smtp-server';
import { createSmtpMailer } from '../../activities/mailer';
import { loadConfig } from '../../lib/config';

let server: SMTPServer;
let port: number;
const received: string[] = [];
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'smtp-tls-'));

beforeAll(async () => {
  // A self-signed certificate for localhost, made now (no key material in the repository).
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'], { stdio: 'ignore' });
  server = new SMTPServer({
    key: fs.readFileSync(path.join(dir, 'key.pem')),
    cert: fs.readFileSync(path.join(dir, 'cert.pem')),
    authOptional: true,
    onAuth: (_auth, _session, cb) => cb(null, { user: 'relay' }),
    onData(stream, session, cb) {
      stream.resume();
      stream.on('end', () => {
        received.push(session.secure ? 'over TLS' : 'in clear');
        cb();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.server.address() as { port: number }).port;
});
afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  fs.rmSync(dir, { recursive: true, force: true });
});

const message = (n: number) => ({ to: 'someone@customer.test', subject: `notice ${n}`, text: 'hello', messageId: `<tls-${n}-${Date.now()}@casework.local>`, headers: {} });

test('STARTTLS to a certificate nobody vouches for: refused, nothing delivered, no fall-back to clear text', async () => {
  const mailer = createSmtpMailer({ host: '127.0.0.1', port, secure: false, user: 'relay', pass: 'secret', from: 'noreply@casework.local' });
  try {
    await expect(mailer.send(message(1))).rejects.toThrow(/self[- ]signed|certificate/i);
  } finally {
    mailer.close();
  }
  expect(received).toEqual([]);
});

test('verification turned off by the setting: delivered over TLS', async () => {
  const mailer = createSmtpMailer({ host: '127.0.0.1', port, secure: false, verifyTls: false, user: 'relay', pass: 'secret', from: 'noreply@casework.local' });
  try {
    await mailer.send(message(2));
  } finally {
    mailer.close();
  }
  expect(received).toEqual(['over TLS']);
});

test('the setting defaults to verifying', () => {
  expect(loadConfig({}).SMTP_TLS_VERIFY).toBe(true);
  expect(loadConfig({ SMTP_TLS_VERIFY: 'false' }).SMTP_TLS_VERIFY).toBe(false);
});

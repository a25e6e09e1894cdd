// A local SMTP server that catches mail: the embedded default for running the system, and the
// real SMTP peer in tests. Messages are kept in memory (tests read them) and, with a directory, written as .eml files.
import fs from 'node:fs';
import path from 'node:path';
import { SMTPServer } from 'smtp-server';

export interface CaughtMail {
  from: string;
  to: string[];
  raw: string;
  subject: string;
  messageId: string;
  headers: Record<string, string>;
  receivedAt: Date;
}

export interface MailCatcher {
  port: number;
  messages: CaughtMail[];
  close(): Promise<void>;
}

function header(raw: string, name: string): string {
  const head = raw.split(/\r?\n\r?\n/)[0].replace(/\r?\n[ \t]+/g, ' ');
  const m = new RegExp(`^${name}:\\s*(.*)$`, 'im').exec(head);
  return m ? m[1].trim() : '';
}

function decodeSubject(s: string): string {
  return s.replace(/=\?utf-8\?([BQ])\?([^?]*)\?=/gi, (_all, enc: string, text: string) =>
    enc.toUpperCase() === 'B'
      ? Buffer.from(text, 'base64').toString('utf8')
      : Buffer.from(text.replace(/_/g, ' ').replace(/=([0-9A-F]{2})/gi, (_m, h) => String.fromCharCode(parseInt(h, 16))), 'latin1').toString('utf8'),
  ).replace(/\?=\s+=\?/g, '');
}

/** The text of a caught message, whatever transfer encoding the mailer chose (quoted-printable, base64, none). */
export function mailText(raw: string): string {
  const [head, ...rest] = raw.split(/\r?\n\r?\n/);
  const body = rest.join('\n\n');
  if (/content-transfer-encoding:\s*quoted-printable/i.test(head)) {
    return Buffer.from(body.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/gi, (_m, h) => String.fromCharCode(parseInt(h, 16))), 'latin1').toString('utf8');
  }
  if (/content-transfer-encoding:\s*base64/i.test(head)) return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  return body;
}

/**
 * `keepInMemory: false` (the dev system): messages only go to `dir` and `onMail`, so a long-running system does not
 * hold every e-mail it ever caught.
 */
export async function startMailCatcher(opts: { port?: number; host?: string; dir?: string; keepInMemory?: boolean; onMail?: (m: CaughtMail) => void } = {}): Promise<MailCatcher> {
  const messages: CaughtMail[] = [];
  let received = 0;
  if (opts.dir) fs.mkdirSync(opts.dir, { recursive: true });
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const mail: CaughtMail = {
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw,
          subject: decodeSubject(header(raw, 'Subject')),
          messageId: header(raw, 'Message-ID'),
          headers: { 'x-case-id': header(raw, 'X-Case-Id'), 'x-notification-id': header(raw, 'X-Notification-Id') },
          receivedAt: new Date(),
        };
        received++;
        if (opts.keepInMemory !== false) messages.push(mail);
        if (opts.dir) {
          const name = `${mail.receivedAt.toISOString().replace(/[:.]/g, '-')}-${received}.eml`;
          fs.writeFileSync(path.join(opts.dir, name), raw);
        }
        opts.onMail?.(mail);
        callback();
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  // A client gone mid-session (a killed worker's pooled connection resets): its unfinished message was never accepted,
  // and the catcher goes on serving the others.
  server.on('error', () => undefined);
  const port = (server.server.address() as { port: number }).port;
  return { port, messages, close: () => new Promise<void>((r) => server.close(() => r())) };
}

/**
 * Deletes the development mail catcher's files (`dir`/*.eml) whose To header names one of `addresses` (a subject's
 * erasure, lib/personalData.ts store mailCatcher). Answers how many went. Never in production: the catcher is not there.
 */
export function removeCaughtMailTo(dir: string, addresses: readonly string[]): number {
  if (addresses.length === 0 || !fs.existsSync(dir)) return 0;
  const wanted = new Set(addresses.map((a) => a.toLowerCase()));
  let removed = 0;
  for (const name of fs.readdirSync(dir)) {
    if (!name.endsWith('.eml')) continue;
    const file = path.join(dir, name);
    const to = header(fs.readFileSync(file, 'utf8').slice(0, 16_384), 'To').toLowerCase();
    if ([...wanted].some((a) => to.includes(a))) {
      fs.rmSync(file, { force: true });
      removed++;
    }
  }
  return removed;
}

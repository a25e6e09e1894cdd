// The inbound SMTP listener (smtp-server, mailparser): replies to case notices arrive here. It takes mail for one
// domain only (INBOUND_MAIL_DOMAIN: never a relay), refuses a message past INBOUND_MAIL_MAX_BYTES (SIZE announced;
// 552 at DATA), parses it and hands it to `onMessage` (processes/inboundMail.ts decides: a thread message, or
// quarantine). The message is accepted (250) only once `onMessage` has kept it; its failure answers 451 (try later), so
// the sending server keeps the mail and retries. Deployed behind the organisation's MX, which checks SPF/DKIM/DMARC.
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface InboundEnvelope {
  mailFrom: string;
  rcptTo: string[];
  remoteAddress: string;
}

export interface InboundMailServer {
  port: number;
  close(): Promise<void>;
}

export interface InboundMailOptions {
  port: number;
  host: string;
  /** Recipients at this domain only (case-blind). */
  domain: string;
  maxBytes: number;
  onMessage(mail: { envelope: InboundEnvelope; parsed: ParsedMail; raw: Buffer }): Promise<void>;
  log?: { info(o: object, msg: string): void; warn(o: object, msg: string): void; error(o: object, msg: string): void };
}

const smtpError = (code: number, message: string) => Object.assign(new Error(message), { responseCode: code });

export async function startInboundMailServer(o: InboundMailOptions): Promise<InboundMailServer> {
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    logger: false,
    banner: 'casework inbound mail',
    size: o.maxBytes,
    maxClients: 50,
    onRcptTo(address, _session, callback) {
      const at = address.address.lastIndexOf('@');
      if (at < 0 || address.address.slice(at + 1).toLowerCase() !== o.domain.toLowerCase()) return callback(smtpError(550, `5.7.1 relaying denied: this server takes mail for ${o.domain} only`));
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      let size = 0;
      stream.on('data', (c: Buffer) => {
        size += c.length;
        if (size <= o.maxBytes) chunks.push(c);
      });
      stream.on('end', () => {
        const envelope: InboundEnvelope = {
          mailFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          rcptTo: session.envelope.rcptTo.map((r) => r.address),
          remoteAddress: session.remoteAddress,
        };
        if ((stream as unknown as { sizeExceeded?: boolean }).sizeExceeded || size > o.maxBytes) {
          o.log?.warn({ ...envelope, size, maxBytes: o.maxBytes }, 'inbound mail refused: too large');
          return callback(smtpError(552, `5.3.4 message too large: at most ${o.maxBytes} bytes`));
        }
        const raw = Buffer.concat(chunks);
        simpleParser(raw, { skipHtmlToText: true, skipTextToHtml: true, skipImageLinks: true })
          .then((parsed) => o.onMessage({ envelope, parsed, raw }))
          .then(
            () => callback(),
            (err: Error) => {
              o.log?.error({ err: err.message, ...envelope }, 'inbound mail not kept; the sender is asked to retry');
              callback(smtpError(451, '4.3.0 temporary failure, try again later'));
            },
          );
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => resolve());
  });
  server.on('error', (err) => o.log?.error({ err: err.message }, 'inbound mail listener error'));
  const port = (server.server.address() as { port: number }).port;
  o.log?.info({ port, host: o.host, domain: o.domain }, 'inbound mail listening');
  return { port, close: () => new Promise<void>((r) => server.close(() => r())) };
}

// SMTP delivery with nodemailer.
import nodemailer from 'nodemailer';

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  /** Stable per notification, so a receiving system can also deduplicate. */
  messageId: string;
  /** Where a reply goes: a notice about a case carries case+<token>@<INBOUND_MAIL_DOMAIN> (lib/replyTokens.ts). */
  replyTo?: string;
  headers?: Record<string, string>;
}

export interface Mailer {
  send(msg: MailMessage): Promise<{ messageId: string }>;
  close(): void;
}

export interface SmtpSettings {
  host: string;
  port: number;
  secure: boolean;
  /**
   * Verify the server's certificate on TLS, implicit (`secure`) or STARTTLS (default true; SMTP_TLS_VERIFY=false only
   * for a relay with a private certificate the machine cannot check).
   */
  verifyTls?: boolean;
  user?: string;
  pass?: string;
  from: string;
}

export function createSmtpMailer(s: SmtpSettings): Mailer {
  const transport = nodemailer.createTransport({
    // Pooled: the outbox sends batches, and a connection (TLS, AUTH) per message would cost more than the message.
    pool: true,
    maxConnections: 4,
    host: s.host,
    port: s.port,
    secure: s.secure,
    auth: s.user ? { user: s.user, pass: s.pass ?? '' } : undefined,
    tls: { rejectUnauthorized: s.verifyTls ?? true },
    ignoreTLS: !s.secure && !s.user,
  });
  return {
    async send(msg) {
      const info = await transport.sendMail({ from: s.from, to: msg.to, subject: msg.subject, text: msg.text, messageId: msg.messageId, headers: msg.headers, ...(msg.replyTo && { replyTo: msg.replyTo }) });
      return { messageId: info.messageId ?? msg.messageId };
    },
    close: () => transport.close(),
  };
}

/**
 * The demo's channel: writes each message to a folder — email as a standard `.eml` file (open it
 * in any mail client), other channels as `.json`. The file is named by the message's stable id
 * and written atomically (temporary file, then rename), so a re-sent message replaces its file
 * instead of adding a second one.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { createHash } from 'node:crypto';
import nodemailer from 'nodemailer';
import type { Channel, OutgoingMessage, SendOutcome } from '../app/send-messages.js';

export interface FileChannelOptions {
  readonly dir: string;
  readonly from?: string;
}

export function fileChannel(options: FileChannelOptions): Channel {
  const mailer = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  return {
    name: 'file',
    async send(m: OutgoingMessage): Promise<SendOutcome> {
      await fs.mkdir(options.dir, { recursive: true });
      const base = createHash('sha256').update(m.stableId).digest('hex').slice(0, 24);
      const isMail = m.channel === 'email' || m.channel === 'console';
      let content: Buffer | string;
      if (isMail) {
        const info = await mailer.sendMail({
          from: options.from ?? 'Patron <patron@localhost>',
          to: m.to.email ?? `${m.customerId}@customers.invalid`,
          subject: m.content.subject,
          html: m.content.html,
          text: m.content.text,
          messageId: m.stableId,
          headers: m.unsubscribeUrl ? { 'List-Unsubscribe': `<${m.unsubscribeUrl}>` } : {},
        });
        content = info.message as Buffer;
      } else {
        content = `${JSON.stringify({ id: m.stableId, channel: m.channel, to: m.to, text: m.content.short, unsubscribeUrl: m.unsubscribeUrl }, null, 2)}\n`;
      }
      const file = path.join(options.dir, `${base}.${isMail ? 'eml' : 'json'}`);
      const tmp = `${file}.${process.pid}.tmp`;
      await fs.writeFile(tmp, content);
      await fs.rename(tmp, file);
      return { type: 'sent', providerId: file };
    },
  };
}

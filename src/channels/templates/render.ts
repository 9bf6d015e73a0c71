/**
 * Compiles the template set once (MJML → HTML with the Liquid kept, then Liquid parsing of every
 * part) and renders a message per customer with Liquid only — MJML costs milliseconds per call,
 * Liquid microseconds. Every error surfaces at load time, naming the template and the part.
 */
import mjml2html from 'mjml';
import { Liquid, type Template } from 'liquidjs';
import type { MessageVariables, TemplateId } from '../../app/outbox.js';
import { MESSAGE_TEMPLATES } from '../../app/outbox.js';
import type { RenderedContent, Renderer } from '../../app/send-messages.js';
import { DEFAULT_TEMPLATES, type TemplateSource } from './catalog.js';

export class TemplateError extends Error {
  constructor(
    readonly templateId: string,
    readonly part: string,
    reason: string,
  ) {
    super(`template ${templateId} (${part}): ${reason.replace(/\s+/g, ' ').trim()}`);
  }
}

export interface RendererOptions {
  readonly storeName?: string;
  readonly storeUrl?: string;
  /** ISO 4217 code for money when a message does not say (default USD). */
  readonly currency?: string;
  /** Replace or add templates (a store's own copy); each is validated like the defaults. */
  readonly templates?: Partial<Record<TemplateId, TemplateSource>>;
}

function layout(t: TemplateSource): string {
  return `<mjml>
  <mj-head>
    <mj-preview>${t.preheader}</mj-preview>
    <mj-attributes>
      <mj-all font-family="Helvetica, Arial, sans-serif" />
      <mj-text font-size="15px" line-height="1.5" color="#222222" />
      <mj-button background-color="#1f6f5c" color="#ffffff" border-radius="4px" />
    </mj-attributes>
  </mj-head>
  <mj-body background-color="#f4f4f4">
    <mj-section background-color="#ffffff" padding="24px">
      <mj-column>
        <mj-text font-size="20px" font-weight="bold">{{ storeName }}</mj-text>
        ${t.body}
        <mj-raw>{% if unsubscribeUrl %}</mj-raw>
        <mj-text font-size="12px" color="#777777">You get this email because you are a customer of {{ storeName }}. <a href="{{ unsubscribeUrl }}">Unsubscribe</a> from these emails.</mj-text>
        <mj-raw>{% endif %}</mj-raw>
      </mj-column>
    </mj-section>
  </mj-body>
</mjml>`;
}

interface Compiled {
  readonly subject: Template[];
  readonly html: Template[];
  readonly text: Template[];
  readonly short: Template[];
}

function filters(engine: Liquid, currency: string): void {
  engine.registerFilter('money', (minor: unknown, cur?: unknown) => {
    const n = Number(minor);
    if (!Number.isFinite(n)) return '';
    const code = typeof cur === 'string' && /^[A-Z]{3}$/.test(cur) ? cur : currency;
    const digits =
      new Intl.NumberFormat('en', { style: 'currency', currency: code }).resolvedOptions()
        .maximumFractionDigits ?? 2;
    return new Intl.NumberFormat('en-US', { style: 'currency', currency: code }).format(n / 10 ** digits);
  });
  engine.registerFilter('percent', (v: unknown) => {
    const n = Number(v);
    return Number.isFinite(n) ? `${Math.round(n * 100)}%` : '';
  });
  engine.registerFilter('day', (v: unknown) => {
    const d = new Date(String(v));
    return Number.isNaN(d.getTime())
      ? ''
      : d.toLocaleDateString('en-US', { weekday: 'short', month: 'short', day: 'numeric', timeZone: 'UTC' });
  });
}

/** Loads and validates the template set; throws `TemplateError` for the first broken part. */
export async function loadRenderer(options: RendererOptions = {}): Promise<Renderer> {
  const currency = options.currency ?? 'USD';
  const html = new Liquid({ outputEscape: 'escape', strictFilters: true, ownPropertyOnly: true });
  const text = new Liquid({ strictFilters: true, ownPropertyOnly: true });
  filters(html, currency);
  filters(text, currency);
  const sources: Record<string, TemplateSource> = { ...DEFAULT_TEMPLATES, ...options.templates };
  const compiled = new Map<string, Compiled>();
  for (const id of MESSAGE_TEMPLATES) {
    const t = sources[id];
    if (!t) throw new TemplateError(id, 'all', 'missing');
    const parse = (engine: Liquid, part: string, source: string): Template[] => {
      try {
        return engine.parse(source);
      } catch (e) {
        throw new TemplateError(id, part, (e as Error).message);
      }
    };
    let mj;
    try {
      mj = await mjml2html(layout(t), { validationLevel: 'strict', keepComments: false });
    } catch (e) {
      throw new TemplateError(id, 'body (MJML)', (e as Error).message.trim());
    }
    if (mj.errors.length > 0) {
      throw new TemplateError(id, 'body (MJML)', mj.errors.map((e) => e.formattedMessage).join('; '));
    }
    compiled.set(id, {
      subject: parse(text, 'subject', t.subject),
      html: parse(html, 'body', mj.html),
      text: parse(text, 'text', t.text),
      short: parse(text, 'short', t.short),
    });
  }
  const defaults = {
    storeName: options.storeName ?? 'our store',
    storeUrl: options.storeUrl ?? '',
    currency,
  };
  return {
    async render(templateId: TemplateId, variables: MessageVariables, extra) {
      const c = compiled.get(templateId);
      if (!c) throw new TemplateError(templateId, 'all', 'no such template');
      const scope = { ...defaults, ...stripUndefined(variables), unsubscribeUrl: extra.unsubscribeUrl };
      const [subject, body, plain, short] = await Promise.all([
        text.render(c.subject, scope),
        html.render(c.html, scope),
        text.render(c.text, scope),
        text.render(c.short, scope),
      ]);
      const unsub = extra.unsubscribeUrl ? `\nUnsubscribe: ${extra.unsubscribeUrl}\n` : '';
      return {
        subject: squash(subject),
        html: body,
        text: `${tidy(plain)}${unsub}`,
        short: squash(short),
      } satisfies RenderedContent;
    },
  };
}

function stripUndefined(v: MessageVariables): Record<string, unknown> {
  return Object.fromEntries(Object.entries(v).filter(([, x]) => x !== undefined && x !== null));
}

const squash = (s: string): string => s.replace(/\s+/g, ' ').trim();
const tidy = (s: string): string =>
  s
    .replace(/<\/?strong>|<\/?em>/g, '')
    .replace(/[ \t]+\n/g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim() + '\n';

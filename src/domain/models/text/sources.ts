/**
 * Which events carry customer text and how to read it: a review's body (with its rating and
 * product), a ticket's subject and description, a survey's comment (with its NPS answer).
 */
export type TextSource = 'review' | 'ticket' | 'survey';

export const TEXT_EVENTS = ['Product Reviewed', 'Ticket Opened', 'Survey Answered'] as const;
export type TextEventName = (typeof TEXT_EVENTS)[number];

export interface EventText {
  readonly source: TextSource;
  readonly text: string;
  readonly productId: string | null;
  readonly rating: number | null;
  readonly nps: number | null;
}

const str = (v: unknown): string | null => (typeof v === 'string' && v.trim() !== '' ? v.trim() : null);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** The text of a stored event's properties, or null when the event carries none. */
export function textOfEvent(name: string, properties: Readonly<Record<string, unknown>>): EventText | null {
  switch (name) {
    case 'Product Reviewed': {
      const text = str(properties.review_body);
      if (text === null) return null;
      const productId = properties.product_id;
      return {
        source: 'review',
        text,
        productId: typeof productId === 'string' || typeof productId === 'number' ? String(productId) : null,
        rating: num(properties.rating),
        nps: null,
      };
    }
    case 'Ticket Opened': {
      const subject = str(properties.subject);
      const body = str(properties.text);
      if (subject === null && body === null) return null;
      // The subject is a sentence of its own ("Item arrived damaged" + the description).
      const text =
        subject !== null && body !== null
          ? `${subject}${/[.!?]$/.test(subject) ? '' : '.'} ${body}`
          : ((subject ?? body) as string);
      return { source: 'ticket', text, productId: null, rating: null, nps: null };
    }
    case 'Survey Answered': {
      const text = str(properties.comment);
      if (text === null) return null;
      return { source: 'survey', text, productId: null, rating: null, nps: num(properties.nps) };
    }
    default:
      return null;
  }
}

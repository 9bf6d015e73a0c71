/**
 * Text the simulated customers write: reviews, tickets, survey comments, email subjects.
 * Sentences come from templates that follow the customer's experience — the sentiment and the
 * theme are the truth a text model should find — with negations ("not worth the price") and
 * intensifiers ("really great") so a bag of words is not enough.
 */
import type { Random } from '../domain/random.js';

export type Theme = 'quality' | 'sizing' | 'shipping' | 'price' | 'service';
export type Sentiment = 'positive' | 'neutral' | 'negative';

const intensifiers = ['really', 'very', 'super', 'absolutely', 'truly', 'so'];

const categoryNoun: Readonly<Record<string, string>> = {
  coffee: 'coffee',
  tea: 'tea',
  skincare: 'cream',
  supplements: 'supplement',
  'pet food': 'food',
  apparel: 'fit',
  accessories: 'bag',
  home: 'piece',
};

const positiveOpeners = [
  '{int} great {noun}.',
  'Love this {noun}!',
  'Excellent {noun}, {int} happy with it.',
  'Best {noun} I have tried in a long time.',
  'Exactly what I hoped for.',
  'Five stars, {int} good value.',
  'Not disappointed at all.',
];
const positiveDetails = [
  'Will definitely buy again.',
  'Arrived quickly and well packed.',
  'Worth every penny.',
  'My whole family likes it.',
  'The quality is {int} good.',
  'Already ordered a second one.',
  'Customer service was friendly when I had a question.',
];
const neutralSentences = [
  'It is okay, nothing special.',
  'Does the job but {int} average.',
  'Decent {noun}, though not as good as the photos.',
  'Fine for the price, I guess.',
  'Not bad, not great.',
];
const negativeByTheme: Readonly<Record<Theme, readonly string[]>> = {
  quality: [
    'The {noun} fell apart after a week.',
    'Poor quality, not what I expected.',
    'Feels {int} cheap and flimsy.',
    'It arrived broken and the replacement was no better.',
    'Tastes stale, not fresh at all.',
    'Stopped working after two uses.',
  ],
  sizing: [
    'Runs small, I had to send it back.',
    'The fit is not right at all.',
    'Way too big even after ordering a size down.',
    'Sizing chart is {int} misleading.',
  ],
  shipping: [
    'Arrived two weeks late and the box was crushed.',
    'Shipping took forever.',
    'The parcel was lost and nobody told me.',
    'Delivery was {int} slow.',
  ],
  price: [
    'Not worth the price.',
    'Way too expensive for what you get.',
    'Overpriced, I found the same thing cheaper elsewhere.',
    'Not worth it unless it is on sale.',
  ],
  service: [
    'Customer service never replied.',
    'Support was not helpful at all.',
    'I waited days for an answer about my refund.',
    'Nobody from support followed up, {int} frustrating.',
  ],
};
const negativeClosers = [
  'Would not recommend.',
  'I will not buy this again.',
  'Disappointed.',
  'Returning it.',
  'Not happy.',
];

function fill(rng: Random, template: string, noun: string): string {
  return template.replace('{int}', rng.pick(intensifiers)).replace('{noun}', noun);
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** A review body that follows the experience: the sentiment and (for negative ones) the themes. */
export function reviewBody(
  rng: Random,
  sentiment: Sentiment,
  category: string,
  themes: readonly Theme[] = [],
): string {
  const noun = categoryNoun[category] ?? 'product';
  const parts: string[] = [];
  if (sentiment === 'positive') {
    parts.push(fill(rng, rng.pick(positiveOpeners), noun));
    if (rng.chance(0.7)) parts.push(fill(rng, rng.pick(positiveDetails), noun));
  } else if (sentiment === 'neutral') {
    parts.push(fill(rng, rng.pick(neutralSentences), noun));
    if (themes[0] && rng.chance(0.6)) parts.push(fill(rng, rng.pick(negativeByTheme[themes[0]]), noun));
  } else {
    for (const theme of themes.length > 0 ? themes : (['quality'] as const)) {
      parts.push(fill(rng, rng.pick(negativeByTheme[theme]), noun));
    }
    if (rng.chance(0.6)) parts.push(rng.pick(negativeClosers));
  }
  return parts.map(capitalise).join(' ');
}

export type TicketKind =
  'where_is_my_order' | 'damaged' | 'wrong_size' | 'refund' | 'account' | 'subscription';

const ticketTexts: Readonly<Record<TicketKind, { subject: string; texts: readonly string[] }>> = {
  where_is_my_order: {
    subject: 'Where is my order?',
    texts: [
      'My order {order} has not arrived yet and tracking has not moved for days.',
      'Tracking says delivered but I never received order {order}.',
      'Order {order} is late, can you tell me when it will arrive?',
    ],
  },
  damaged: {
    subject: 'Item arrived damaged',
    texts: [
      'The item in order {order} arrived damaged. I would like a replacement or a refund.',
      'Order {order} came broken, the packaging was not good enough.',
    ],
  },
  wrong_size: {
    subject: 'Wrong size',
    texts: [
      'The size in order {order} does not fit, how do I exchange it?',
      'I need a different size for order {order}.',
    ],
  },
  refund: {
    subject: 'Refund not received',
    texts: [
      'I returned order {order} two weeks ago and still have not received my refund.',
      'Where is my refund for order {order}?',
    ],
  },
  account: {
    subject: 'Cannot log in',
    texts: ['I cannot log in to my account, the reset email never arrives.', 'Please update my address.'],
  },
  subscription: {
    subject: 'Change my subscription',
    texts: [
      'I would like to change the delivery frequency of my subscription.',
      'Can I skip my next delivery?',
    ],
  },
};

export function ticketText(
  rng: Random,
  kind: TicketKind,
  orderId: string,
): { subject: string; text: string } {
  const t = ticketTexts[kind];
  return { subject: t.subject, text: rng.pick(t.texts).replace('{order}', orderId) };
}

export const followUpTexts = [
  'Still waiting for a reply about this. This is not acceptable.',
  'Second time writing. Nobody has answered me.',
  'I am really frustrated, please escalate this.',
];

export function resolutionText(rng: Random, satisfied: boolean): string {
  return satisfied
    ? rng.pick([
        'Resolved: replacement shipped, customer thanked the agent.',
        'Resolved: tracking updated, parcel delivered.',
        'Resolved: refund issued the same day.',
        'Resolved: answered the question.',
      ])
    : rng.pick([
        'Closed after escalation; refund issued late.',
        'Closed: customer did not accept the offered credit.',
        'Closed without resolution after several follow-ups.',
        'Resolved late; customer unhappy with the response time.',
      ]);
}

/** A survey comment consistent with the NPS score and the theme of a bad experience, if any. */
export function surveyComment(rng: Random, nps: number, theme: Theme | null): string {
  if (nps >= 9) {
    return rng.pick([
      'Love the products and the fast shipping.',
      'Great quality, I recommend you to all my friends.',
      'Really great experience every time.',
      'Always reliable, keep it up!',
    ]);
  }
  if (nps >= 7) {
    return rng.pick(['Good overall, a bit pricey.', 'Mostly happy, delivery could be faster.', 'Fine.', '']);
  }
  const themeSentence = fill(rng, rng.pick(negativeByTheme[theme ?? 'quality']), 'product');
  return `${themeSentence} ${rng.pick(['Not happy.', 'Disappointing.', 'I expected better.'])}`;
}

export const campaignSubjects = [
  'New arrivals in {category}',
  '{percent}% off {category} this weekend',
  'Our guide to better {category}',
  'Back in stock: your favourites',
  'What our customers love this month',
  'Free shipping on orders over $50',
  'The {category} edit',
];

export function campaignSubject(rng: Random, category: string): string {
  return rng
    .pick(campaignSubjects)
    .replace('{category}', category)
    .replace('{percent}', String(rng.pick([10, 15, 20, 25])));
}

export const firstNames = [
  'Emma',
  'Liam',
  'Olivia',
  'Noah',
  'Ava',
  'Mateo',
  'Sophia',
  'Lucas',
  'Mia',
  'Elijah',
  'Amelia',
  'James',
  'Hannah',
  'Leon',
  'Lea',
  'Finn',
  'Chloe',
  'Hugo',
  'Camille',
  'Louis',
  'Grace',
  'Oliver',
  'Isla',
  'Jack',
  'Yuki',
  'Haruto',
  'Sakura',
  'Ren',
  'Zoe',
  'Ethan',
  'Aisha',
  'Omar',
  'Priya',
  'Arjun',
  'Sofia',
  'Diego',
];
export const lastNames = [
  'Smith',
  'Johnson',
  'Garcia',
  'Miller',
  'Davis',
  'Martinez',
  'Brown',
  'Wilson',
  'Anderson',
  'Taylor',
  'Müller',
  'Schmidt',
  'Schneider',
  'Fischer',
  'Weber',
  'Martin',
  'Bernard',
  'Dubois',
  'Moreau',
  'Laurent',
  'Jones',
  'Williams',
  'Evans',
  'Thomas',
  'Roberts',
  'Sato',
  'Suzuki',
  'Tanaka',
  'Nguyen',
  'Patel',
  'Khan',
  'Kim',
  'Lee',
  'Rossi',
  'Silva',
  'Cohen',
];

// --- ground truth of the texts' themes -----------------------------------------------------------

/** A theme a template sentence speaks of, with the polarity it was written with. */
export interface TextThemeTruth {
  readonly theme: Theme | 'packaging';
  readonly polarity: Sentiment;
}

type Annotated = readonly [template: string, themes: readonly TextThemeTruth[]];
const neg = (...themes: Array<Theme | 'packaging'>): TextThemeTruth[] =>
  themes.map((theme) => ({ theme, polarity: 'negative' }));
const pos = (...themes: Array<Theme | 'packaging'>): TextThemeTruth[] =>
  themes.map((theme) => ({ theme, polarity: 'positive' }));
const neu = (...themes: Array<Theme | 'packaging'>): TextThemeTruth[] =>
  themes.map((theme) => ({ theme, polarity: 'neutral' }));

/**
 * Every template sentence that speaks of a theme, annotated by hand with what it says. Sentences
 * not listed speak of none ("Will definitely buy again."). `{noun}` is "fit" for apparel, so a
 * sentence about the {noun} of an apparel item is a sizing remark.
 */
const annotatedTemplates: readonly Annotated[] = [
  ['Five stars, {int} good value.', pos('price')],
  ['Arrived quickly and well packed.', pos('shipping', 'packaging')],
  ['Worth every penny.', pos('price')],
  ['The quality is {int} good.', pos('quality')],
  ['Customer service was friendly when I had a question.', pos('service')],
  ['Fine for the price, I guess.', neu('price')],
  ['Decent {noun}, though not as good as the photos.', []],
  ['The {noun} fell apart after a week.', neg('quality')],
  ['Poor quality, not what I expected.', neg('quality')],
  ['Feels {int} cheap and flimsy.', neg('quality')],
  ['It arrived broken and the replacement was no better.', neg('quality')],
  ['Tastes stale, not fresh at all.', neg('quality')],
  ['Stopped working after two uses.', neg('quality')],
  ['Runs small, I had to send it back.', neg('sizing')],
  ['The fit is not right at all.', neg('sizing')],
  ['Way too big even after ordering a size down.', neg('sizing')],
  ['Sizing chart is {int} misleading.', neg('sizing')],
  ['Arrived two weeks late and the box was crushed.', neg('shipping', 'packaging')],
  ['Shipping took forever.', neg('shipping')],
  ['The parcel was lost and nobody told me.', neg('shipping')],
  ['Delivery was {int} slow.', neg('shipping')],
  ['Not worth the price.', neg('price')],
  ['Way too expensive for what you get.', neg('price')],
  ['Overpriced, I found the same thing cheaper elsewhere.', neg('price')],
  ['Not worth it unless it is on sale.', neg('price')],
  ['Customer service never replied.', neg('service')],
  ['Support was not helpful at all.', neg('service')],
  ['I waited days for an answer about my refund.', neg('service')],
  ['Nobody from support followed up, {int} frustrating.', neg('service')],
  ['Love the products and the fast shipping.', pos('shipping')],
  ['Great quality, I recommend you to all my friends.', pos('quality')],
  ['Good overall, a bit pricey.', neg('price')],
  ['Mostly happy, delivery could be faster.', neg('shipping')],
  ['Where is my order?', neg('shipping')],
  ['Item arrived damaged', neg('quality')],
  ['Wrong size', neg('sizing')],
  ['Refund not received', neg('service')],
  ['My order {order} has not arrived yet and tracking has not moved for days.', neg('shipping')],
  ['Tracking says delivered but I never received order {order}.', neg('shipping')],
  ['Order {order} is late, can you tell me when it will arrive?', neg('shipping')],
  ['The item in order {order} arrived damaged.', neg('quality')],
  ['Order {order} came broken, the packaging was not good enough.', neg('quality', 'packaging')],
  ['The size in order {order} does not fit, how do I exchange it?', neg('sizing')],
  ['I need a different size for order {order}.', neu('sizing')],
  ['I returned order {order} two weeks ago and still have not received my refund.', neg('service')],
  ['Where is my refund for order {order}?', neu('service')],
  ['I would like to change the delivery frequency of my subscription.', neu('shipping')],
  ['Can I skip my next delivery?', neu('shipping')],
  ['Still waiting for a reply about this.', neg('service')],
  ['Nobody has answered me.', neg('service')],
];

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const nouns = [...new Set([...Object.values(categoryNoun), 'product'])];
const truthPatterns = annotatedTemplates.map(([template, themes]) => {
  const source = escapeRegExp(template)
    .replace(escapeRegExp('{int}'), `(?:${intensifiers.join('|')})`)
    .replace(escapeRegExp('{noun}'), `(?<noun>${nouns.join('|')})`)
    .replace(escapeRegExp('{order}'), '\\S+?');
  return { re: new RegExp(source, 'i'), themes };
});
const nounPatterns = [
  '{int} great {noun}.',
  'Love this {noun}!',
  'Excellent {noun}, {int} happy with it.',
  'Best {noun} I have tried in a long time.',
].map(
  (t) =>
    new RegExp(
      escapeRegExp(t)
        .replace(escapeRegExp('{int}'), `(?:${intensifiers.join('|')})`)
        .replace(escapeRegExp('{noun}'), 'fit'),
      'i',
    ),
);

/**
 * The themes a generated text speaks of, from the templates it was built from: the ground truth
 * a theme detector is checked against. Deterministic, and draws nothing from the generator's
 * random source (the events stay the same).
 */
export function textThemesTruth(text: string): TextThemeTruth[] {
  const found = new Map<string, TextThemeTruth>();
  for (const { re, themes } of truthPatterns) {
    const m = re.exec(text);
    if (!m) continue;
    for (const t of themes) found.set(t.theme, t);
    // "Decent fit, though …" (apparel): a sizing remark; "The fit fell apart" stays a quality one.
    if (themes.length === 0 && m.groups?.noun?.toLowerCase() === 'fit') {
      found.set('sizing', { theme: 'sizing', polarity: 'neutral' });
    }
  }
  if (nounPatterns.some((re) => re.test(text)) && !found.has('sizing')) {
    found.set('sizing', { theme: 'sizing', polarity: 'positive' });
  }
  return [...found.values()];
}

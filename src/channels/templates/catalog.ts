/**
 * The default template set: one per action type, in LiquidJS (the language Shopify themes use)
 * with the email body in MJML. A template shows only the parts whose variables were supplied —
 * every block is wrapped in `{% if … %}` — so the same template works with a bare first name or
 * with products, recommendations, points and tier progress. Block tags that sit between MJML
 * elements go in `<mj-raw>` so that MJML compiles once per template and Liquid runs per message.
 */
import type { TemplateId } from '../../app/outbox.js';

export interface TemplateSource {
  /** Liquid, plain text. */
  readonly subject: string;
  /** Liquid, plain text: the inbox preview line. */
  readonly preheader: string;
  /** Liquid inside MJML: the content of the email's one column. */
  readonly body: string;
  /** Liquid, plain text: the text/plain part. */
  readonly text: string;
  /** Liquid, plain text: SMS and push (keep it under 160 characters). */
  readonly short: string;
}

interface Block {
  readonly mjml: string;
  readonly text: string;
}

const when = (cond: string, b: Block): Block => ({
  mjml: `<mj-raw>{% if ${cond} %}</mj-raw>${b.mjml}<mj-raw>{% endif %}</mj-raw>`,
  text: `{% if ${cond} %}${b.text}{% endif %}`,
});

const para = (liquid: string): Block => ({ mjml: `<mj-text>${liquid}</mj-text>`, text: `${liquid}\n\n` });

const button = (label: string, href: string): Block => ({
  mjml: `<mj-button href="${href}">${label}</mj-button>`,
  text: `${label}: ${href}\n\n`,
});

const greeting = para(`Hi {{ firstName | default: 'there' }},`);

const orderItems = when('order.items.size > 0', {
  mjml: `<mj-text><h3>Your order {{ order.id }}</h3>{% for item in order.items %}<p><strong>{{ item.name }}</strong>{% if item.quantity > 1 %} × {{ item.quantity }}{% endif %}{% if item.priceMinor %} — {{ item.priceMinor | money: currency }}{% endif %}{% if item.guidance %}<br/>{{ item.guidance }}{% endif %}</p>{% endfor %}{% if order.totalMinor %}<p>Total: {{ order.totalMinor | money: currency }}</p>{% endif %}</mj-text>`,
  text: `Your order {{ order.id }}:\n{% for item in order.items %}- {{ item.name }}{% if item.quantity > 1 %} x {{ item.quantity }}{% endif %}{% if item.priceMinor %} ({{ item.priceMinor | money: currency }}){% endif %}{% if item.guidance %}\n  {{ item.guidance }}{% endif %}\n{% endfor %}{% if order.totalMinor %}Total: {{ order.totalMinor | money: currency }}\n{% endif %}\n`,
});

const products = when('products.size > 0', {
  mjml: `<mj-text>{% for p in products limit: 4 %}<p><strong>{{ p.name }}</strong>{% if p.guidance %}<br/>{{ p.guidance }}{% endif %}</p>{% endfor %}</mj-text>`,
  text: `{% for p in products limit: 4 %}- {{ p.name }}{% if p.guidance %}: {{ p.guidance }}{% endif %}\n{% endfor %}\n`,
});

const recommendations = (heading: string): Block =>
  when('recommendations.size > 0', {
    mjml: `<mj-text><h3>${heading}</h3>{% for r in recommendations limit: 4 %}<p><a href="{{ r.url | default: storeUrl }}">{{ r.name }}</a>{% if r.priceMinor %} — {{ r.priceMinor | money: currency }}{% endif %}<br/><em>Because {{ r.reason }}</em></p>{% endfor %}</mj-text>`,
    text: `${heading}:\n{% for r in recommendations limit: 4 %}- {{ r.name }}{% if r.priceMinor %} ({{ r.priceMinor | money: currency }}){% endif %} — because {{ r.reason }}{% if r.url %}\n  {{ r.url }}{% endif %}\n{% endfor %}\n`,
  });

const loyalty = when('points or tier', {
  mjml: `<mj-text>{% if points %}<p>You have <strong>{{ points.balance }} points</strong>{% if points.pending > 0 %} (+{{ points.pending }} pending){% endif %}.{% if points.expiring > 0 %} {{ points.expiring }} of them expire{% if points.expiresAt %} on {{ points.expiresAt | day }}{% endif %}.{% endif %}</p>{% endif %}{% if tier %}<p>Tier: <strong>{{ tier.current }}</strong>{% if tier.next %} — {{ tier.progress | percent }} of the way to {{ tier.next }}{% if tier.remaining %}: {{ tier.remaining }} to go{% endif %}{% endif %}.</p>{% endif %}</mj-text>`,
  text: `{% if points %}You have {{ points.balance }} points{% if points.pending > 0 %} (+{{ points.pending }} pending){% endif %}.{% if points.expiring > 0 %} {{ points.expiring }} of them expire{% if points.expiresAt %} on {{ points.expiresAt | day }}{% endif %}.{% endif %}\n{% endif %}{% if tier %}Tier: {{ tier.current }}{% if tier.next %} — {{ tier.progress | percent }} of the way to {{ tier.next }}{% if tier.remaining %}: {{ tier.remaining }} to go{% endif %}{% endif %}.\n{% endif %}\n`,
});

const offer = when('offer', {
  mjml: `<mj-text><p style="font-size:18px"><strong>{{ offer.description }}</strong></p>{% if offer.code %}<p>Use code <strong>{{ offer.code }}</strong> at checkout{% if offer.expiresAt %} by {{ offer.expiresAt | day }}{% endif %}.</p>{% endif %}</mj-text>`,
  text: `{{ offer.description }}{% if offer.code %} — use code {{ offer.code }} at checkout{% if offer.expiresAt %} by {{ offer.expiresAt | day }}{% endif %}{% endif %}.\n\n`,
});

const content = when('content.size > 0', {
  mjml: `<mj-text>{% for a in content limit: 3 %}<p><a href="{{ a.url | default: storeUrl }}"><strong>{{ a.title }}</strong></a>{% if a.summary %}<br/>{{ a.summary }}{% endif %}</p>{% endfor %}</mj-text>`,
  text: `{% for a in content limit: 3 %}- {{ a.title }}{% if a.summary %}: {{ a.summary }}{% endif %}{% if a.url %} ({{ a.url }}){% endif %}\n{% endfor %}\n`,
});

const shop = when('storeUrl', button('Visit {{ storeName }}', '{{ storeUrl }}'));
const signOff = para(`Thank you,<br/>{{ storeName }}`);
const textSignOff = { mjml: '', text: '' };

function compose(parts: readonly Block[]): { body: string; text: string } {
  const all = [greeting, ...parts, signOff, textSignOff];
  return {
    body: all.map((b) => b.mjml).join('\n'),
    text: all
      .map((b) => b.text)
      .join('')
      .replace(/<br\/>/g, '\n'),
  };
}

function template(
  subject: string,
  preheader: string,
  parts: readonly Block[],
  short: string,
): TemplateSource {
  return { subject, preheader, ...compose(parts), short };
}

export const DEFAULT_TEMPLATES: Record<TemplateId, TemplateSource> = {
  order_confirmation: template(
    'Your order {{ order.id }} is confirmed',
    'Thank you for your order — here is how to get the most from it.',
    [
      para(`Thank you for your order{% if order.id %} {{ order.id }}{% endif %}. We are getting it ready.`),
      orderItems,
      when('order.expectedDeliveryAt', para(`It should arrive by {{ order.expectedDeliveryAt | day }}.`)),
      when('order.trackingUrl', button('Track your order', '{{ order.trackingUrl }}')),
      loyalty,
    ],
    '{{ storeName }}: order {{ order.id }} confirmed. Thank you{% if firstName %}, {{ firstName }}{% endif %}!',
  ),
  delay_notice: template(
    'An update on your order {{ order.id }}',
    'Your order is running late — we are sorry.',
    [
      para(
        `We are sorry: your order{% if order.id %} {{ order.id }}{% endif %} is running late{% if order.delayReason %} ({{ order.delayReason }}){% endif %}.{% if order.newExpectedDeliveryAt %} It should now arrive by {{ order.newExpectedDeliveryAt | day }}.{% endif %}`,
      ),
      when('order.trackingUrl', button('Track your order', '{{ order.trackingUrl }}')),
      offer,
    ],
    '{{ storeName }}: order {{ order.id }} is delayed{% if order.newExpectedDeliveryAt %}, now due {{ order.newExpectedDeliveryAt | day }}{% endif %}. Sorry!',
  ),
  onboarding: template(
    'Welcome to {{ storeName }}',
    'A few tips to get started.',
    [
      para(`Welcome — we are glad you found us. Here is how to get the most from your first order.`),
      products,
      content,
      loyalty,
      recommendations('You might also like'),
    ],
    'Welcome to {{ storeName }}{% if firstName %}, {{ firstName }}{% endif %}! Tips for your first order: {{ storeUrl }}',
  ),
  review_request: template(
    'How is your {{ products.first.name | default: "order" }}?',
    'Tell us and other customers what you think.',
    [
      para(
        `You have had a little time with your order now. How is it working out? A short review helps other customers choose.`,
      ),
      products,
      button('Write a review', '{{ reviewUrl | default: storeUrl }}'),
      when('points', para(`Reviews earn points: you have {{ points.balance }} now.`)),
    ],
    '{{ storeName }}: how is your {{ products.first.name | default: "order" }}? Leave a quick review: {{ reviewUrl | default: storeUrl }}',
  ),
  cross_sell: template(
    'Picked for you{% if firstName %}, {{ firstName }}{% endif %}',
    'Goes well with what you bought.',
    [
      para(`Based on what you bought, we think you will like these.`),
      recommendations('Picked for you'),
      loyalty,
      shop,
    ],
    '{{ storeName }}: picked for you{% if recommendations.first %} — {{ recommendations.first.name }}{% endif %}. {{ storeUrl }}',
  ),
  replenishment_reminder: template(
    'Running low on {{ products.first.name | default: "your favourites" }}?',
    'Time to restock?',
    [
      para(`If you use it as most customers do, you may be running low about now.`),
      products,
      offer,
      button('Reorder', '{{ products.first.url | default: storeUrl }}'),
    ],
    '{{ storeName }}: running low on {{ products.first.name | default: "your favourites" }}? Reorder: {{ products.first.url | default: storeUrl }}',
  ),
  churn_save_price: template(
    'Something for you{% if firstName %}, {{ firstName }}{% endif %}',
    'A thank-you offer, just for you.',
    [
      para(`You have been a valued customer, and we would like to say thank you.`),
      offer,
      recommendations('Ideas to use it on'),
      loyalty,
      shop,
    ],
    '{{ storeName }}: {% if offer %}{{ offer.description }}{% if offer.code %} — code {{ offer.code }}{% endif %}{% else %}a thank-you from us{% endif %}. {{ storeUrl }}',
  ),
  churn_save_service: template(
    'We would like to make this right',
    'A person from our team will be in touch.',
    [
      para(
        `We are sorry your recent experience with us was not what it should have been. {% if contact %}{{ contact.name }} from our team will contact you personally{% if contact.email %} — or write to {{ contact.email }}{% endif %}{% if contact.phone %}, call {{ contact.phone }}{% endif %}.{% else %}Someone from our team will contact you personally.{% endif %}`,
      ),
      offer,
    ],
    '{{ storeName }}: sorry about your recent experience. {% if contact %}{{ contact.name }}{% else %}Our team{% endif %} will be in touch personally.',
  ),
  churn_save_quality: template(
    'We are sorry about your {{ products.first.name | default: "order" }}',
    'A replacement or help getting it right.',
    [
      para(
        `We are sorry your purchase did not live up to what you expected. We would like to put it right: reply to this email for a replacement, or try the guidance below.`,
      ),
      products,
      content,
      offer,
    ],
    '{{ storeName }}: sorry about your {{ products.first.name | default: "order" }}. Reply for a replacement or help.',
  ),
  churn_save_disengagement: template(
    'What is new at {{ storeName }}',
    'A few things we think you will like.',
    [
      para(`It has been a while — here is what is new, picked for you.`),
      content,
      recommendations('New for you'),
      loyalty,
      shop,
    ],
    '{{ storeName }}: new for you{% if recommendations.first %} — {{ recommendations.first.name }}{% endif %}. {{ storeUrl }}',
  ),
  win_back: template(
    'We miss you{% if firstName %}, {{ firstName }}{% endif %}',
    'Come back for something special.',
    [
      para(`It has been a while since your last visit. Here is a reason to come back.`),
      offer,
      recommendations('Picked for you'),
      loyalty,
      shop,
    ],
    '{{ storeName }} misses you! {% if offer %}{{ offer.description }}{% if offer.code %} — code {{ offer.code }}{% endif %}{% endif %}',
  ),
  tier_nudge: template(
    'You are close to {{ tier.next | default: "the next tier" }}',
    'A little more and you level up.',
    [
      para(
        `{% if tier.progress %}You are {{ tier.progress | percent }} of the way to {{ tier.next | default: 'the next tier' }}{% if tier.remaining %}: {{ tier.remaining }} to go{% endif %}.{% else %}You are closer to {{ tier.next | default: 'the next tier' }} than you might think.{% endif %}`,
      ),
      loyalty,
      recommendations('Ideas to get there'),
      shop,
    ],
    '{{ storeName }}: {% if tier.progress %}{{ tier.progress | percent }} of the way{% else %}close{% endif %} to {{ tier.next | default: "the next tier" }}{% if tier.remaining %} — {{ tier.remaining }} to go{% endif %}.',
  ),
  challenge: template(
    'A challenge for you{% if challenge %}: {{ challenge.name }}{% endif %}',
    '{{ challenge.description }}',
    [
      para(
        `{% if challenge %}<strong>{{ challenge.name }}</strong>{% else %}We have a challenge for you{% endif %}{% if challenge.description %} — {{ challenge.description }}{% endif %}.{% if challenge.rewardPoints %} Complete it for {{ challenge.rewardPoints }} points.{% endif %}{% if challenge.progress %} You are {{ challenge.progress | percent }} there.{% endif %}{% if challenge.endsAt %} Ends {{ challenge.endsAt | day }}.{% endif %}`,
      ),
      loyalty,
      shop,
    ],
    '{{ storeName }} challenge{% if challenge %}: {{ challenge.name }}{% endif %}{% if challenge.rewardPoints %} — earn {{ challenge.rewardPoints }} points{% endif %}{% if challenge.endsAt %} by {{ challenge.endsAt | day }}{% endif %}.',
  ),
  surprise_reward: template(
    'A surprise for you{% if firstName %}, {{ firstName }}{% endif %}',
    'Just because.',
    [
      para(
        `No reason — just a thank you for being a customer.{% if reward %} We have added <strong>{{ reward.name }}</strong> to your account{% if reward.points %} ({{ reward.points }} points){% endif %}.{% endif %}`,
      ),
      when('reward.description', para(`{{ reward.description }}`)),
      offer,
      loyalty,
    ],
    '{{ storeName }}: a surprise for you{% if reward %} — {{ reward.name }}{% endif %}. Thank you!',
  ),
  advocate_invitation: template(
    'Share {{ storeName }} with a friend',
    'Your friends get a treat, and so do you.',
    [
      para(
        `You clearly love what we do — would you share it?{% if referral.rewardDescription %} {{ referral.rewardDescription }}{% endif %}`,
      ),
      when('referral', para(`Your code: <strong>{{ referral.code }}</strong>`)),
      when('referral.url', button('Invite a friend', '{{ referral.url }}')),
      loyalty,
    ],
    '{{ storeName }}: share {% if referral %}your code {{ referral.code }}{% else %}us{% endif %} with a friend{% if referral.rewardDescription %} — {{ referral.rewardDescription }}{% endif %}.',
  ),
  feedback_survey: template(
    'Two minutes to tell us how we are doing?',
    '{{ survey.question | default: "How likely are you to recommend us?" }}',
    [
      para(
        `{{ survey.question | default: 'How likely are you to recommend us to a friend?' }} Your answer shapes what we do next.`,
      ),
      when('survey', button('Answer the survey', '{{ survey.url }}')),
    ],
    '{{ storeName }}: {{ survey.question | default: "how are we doing?" }} {{ survey.url }}',
  ),
};

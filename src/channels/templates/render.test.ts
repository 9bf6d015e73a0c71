import { beforeAll, describe, expect, it } from 'vitest';
import { MESSAGE_TEMPLATES, type MessageVariables } from '../../app/outbox.js';
import type { Renderer } from '../../app/send-messages.js';
import { loadRenderer, TemplateError } from './render.js';

const full: MessageVariables = {
  firstName: 'Ada',
  order: {
    id: 'ord_42',
    totalMinor: 4599,
    items: [
      {
        name: 'Pour-over kettle',
        quantity: 1,
        priceMinor: 4599,
        guidance: 'Descale monthly with citric acid.',
      },
    ],
    expectedDeliveryAt: '2026-03-05T12:00:00Z',
    newExpectedDeliveryAt: '2026-03-08T12:00:00Z',
    delayReason: 'a carrier backlog',
    trackingUrl: 'https://track.example/42',
  },
  products: [{ name: 'Pour-over kettle', url: 'https://shop.example/kettle', guidance: 'Descale monthly.' }],
  recommendations: [
    { name: 'Paper filters', reason: 'customers who bought the kettle reorder them', priceMinor: 599 },
  ],
  points: { balance: 1250, pending: 100, expiring: 200, expiresAt: '2026-04-01T00:00:00Z' },
  tier: { current: 'Silver', next: 'Gold', progress: 0.62, remaining: '2 more orders' },
  offer: {
    description: '15% off your next order',
    code: 'THANKS15',
    percentOff: 15,
    expiresAt: '2026-03-31T00:00:00Z',
  },
  challenge: {
    name: 'Three brews in March',
    description: 'Order three times this month',
    rewardPoints: 300,
    progress: 0.33,
  },
  reward: { name: 'Free tasting set', points: 250 },
  referral: { code: 'ADA-7K', url: 'https://shop.example/r/ADA-7K', rewardDescription: 'You both get $10.' },
  survey: { url: 'https://shop.example/s/1', question: 'How likely are you to recommend us?' },
  contact: { name: 'Sam', email: 'sam@shop.example' },
  content: [
    { title: 'Five brewing tips', url: 'https://shop.example/tips', summary: 'Better coffee in a week.' },
  ],
};

describe('the default templates', () => {
  let renderer: Renderer;
  beforeAll(async () => {
    renderer = await loadRenderer({ storeName: 'Brewline', storeUrl: 'https://shop.example' });
  });

  it.each(MESSAGE_TEMPLATES)('renders %s with every variable and with none', async (id) => {
    const rich = await renderer.render(id, full, {
      unsubscribeUrl: 'https://p.example/v1/unsubscribe?token=t',
    });
    expect(rich.subject.length).toBeGreaterThan(5);
    expect(rich.subject).not.toMatch(/\{\{|\{%/);
    expect(rich.html).toContain('<html');
    expect(rich.html).not.toMatch(/\{\{|\{%|<mj-/);
    expect(rich.html).toContain('Ada');
    expect(rich.html).toContain('https://p.example/v1/unsubscribe?token=t');
    expect(rich.text).toContain('Ada');
    expect(rich.short.length).toBeLessThanOrEqual(200);
    const bare = await renderer.render(id, {}, { unsubscribeUrl: null });
    expect(bare.html).toContain('Hi there,');
    expect(bare.html).not.toContain('Unsubscribe');
    expect(bare.text).not.toMatch(/undefined|NaN|\{\{| {2}of |^\.$/m);
    expect(bare.short).not.toMatch(/undefined|NaN|\{\{| {2}/);
  });

  it('personalises with products, recommendations and their reasons, points and tier progress', async () => {
    const r = await renderer.render('cross_sell', full, { unsubscribeUrl: null });
    expect(r.text).toContain('Paper filters ($5.99) — because customers who bought the kettle reorder them');
    expect(r.text).toContain('You have 1250 points (+100 pending). 200 of them expire on Wed, Apr 1.');
    expect(r.text).toContain('Tier: Silver — 62% of the way to Gold: 2 more orders to go.');
    const o = await renderer.render('order_confirmation', full, { unsubscribeUrl: null });
    expect(o.html).toContain('Descale monthly with citric acid.');
    expect(o.text).toContain('Total: $45.99');
  });

  it('escapes customer-supplied text in the HTML but not in the plain text', async () => {
    const r = await renderer.render('cross_sell', { firstName: '<b>Bo</b>' }, { unsubscribeUrl: null });
    expect(r.html).toContain('&lt;b&gt;Bo&lt;/b&gt;');
    expect(r.text).toContain('Hi <b>Bo</b>,');
  });

  it('reports a broken template at load time, naming the template and the part', async () => {
    const bad = {
      subject: 'Hi {{ firstName | shout }}',
      preheader: '',
      body: '<mj-text>x</mj-text>',
      text: '',
      short: '',
    };
    await expect(loadRenderer({ templates: { win_back: bad } })).rejects.toThrow(
      /template win_back \(subject\).*shout/,
    );
    const badMjml = { ...bad, subject: 'ok', body: '<mj-texts>x</mj-texts>' };
    await expect(loadRenderer({ templates: { win_back: badMjml } })).rejects.toThrow(TemplateError);
    await expect(loadRenderer({ templates: { win_back: badMjml } })).rejects.toThrow(
      /win_back \(body \(MJML\)\).*mj-texts/,
    );
    const badLiquid = { ...bad, subject: 'ok', body: '<mj-text>{% if x %}open</mj-text>' };
    await expect(loadRenderer({ templates: { win_back: badLiquid } })).rejects.toThrow(/win_back \(body\)/);
  });
});

/**
 * Every entry in plain words — "why did my points change?" — for the member and for the store:
 * which rule, which order line, which lots, which programme version.
 */
import type { BonusRule } from './config.js';
import type { LotDraw } from './ledger.js';

export type EntryContext =
  | {
      type: 'earn';
      points: number;
      orderId: string;
      lineNo: number;
      netMinor: number;
      currency: string;
      perUnit: number;
      multiplier: number;
      version: number;
      releaseAt: string | null;
      expiresAt: string;
    }
  | { type: 'bonus'; points: number; rule: BonusRule; detail: string; version: number; expiresAt: string }
  | { type: 'release'; points: number; lotId: string; repaid: number }
  | { type: 'expire'; points: number; lotId: string; expiresAt: string }
  | { type: 'redeem'; points: number; draws: readonly LotDraw[]; reward: string | null }
  | { type: 'redeem_return'; points: number; draws: readonly LotDraw[]; redemptionId: string }
  | {
      type: 'reverse';
      points: number;
      orderId: string;
      lineNo: number;
      earned: number;
      update: 'refunded' | 'cancelled';
      share: string;
      shortfall: number;
      policy: string;
    }
  | { type: 'adjust'; points: number; reason: string; by: string };

const BONUS_WORDS: Record<BonusRule, string> = {
  first_order: 'your first order',
  review_text: 'a written review',
  photo_review: 'a review with a photo',
  referral_converted: 'a friend you referred placing their first order',
  profile_completed: 'completing your profile',
  birthday: 'your birthday',
  community_help: 'helping others in the community',
};

const day = (iso: string): string => iso.slice(0, 10);
const n = (v: number): string => v.toLocaleString('en-US');
const money = (minor: number, currency: string): string => `${(minor / 100).toFixed(2)} ${currency}`;
const lots = (draws: readonly LotDraw[]): string =>
  draws.map((d) => `${n(d.points)} from ${d.lotId}`).join(', ');

export function explainEntry(c: EntryContext): string {
  switch (c.type) {
    case 'earn': {
      const mult = c.multiplier === 1 ? '' : ` × ${c.multiplier} (tier and campaign multipliers)`;
      const when =
        c.releaseAt === null
          ? `available now until ${day(c.expiresAt)}`
          : `pending until the return window closes on ${day(c.releaseAt)}, then available until ${day(c.expiresAt)}`;
      return `Earned ${n(c.points)} points on order ${c.orderId}${c.lineNo > 0 ? ` line ${c.lineNo}` : ''}: ${money(c.netMinor, c.currency)} after discounts, without shipping and tax, at ${c.perUnit} point(s) per ${c.currency}${mult} (programme version ${c.version}); ${when}.`;
    }
    case 'bonus':
      return `Bonus of ${n(c.points)} points for ${BONUS_WORDS[c.rule]}${c.detail ? ` (${c.detail})` : ''} (programme version ${c.version}); available until ${day(c.expiresAt)}.`;
    case 'release':
      return `${n(c.points)} points of ${c.lotId} became available: the return window closed.${c.repaid > 0 ? ` ${n(c.repaid)} of them repaid points owed after an earlier refund.` : ''}`;
    case 'expire':
      return `${n(c.points)} points of ${c.lotId} expired on ${day(c.expiresAt)} unused.`;
    case 'redeem':
      return `Redeemed ${n(c.points)} points${c.reward ? ` for ${c.reward}` : ''}, taken from the points that expire first: ${lots(c.draws)}.`;
    case 'redeem_return':
      return `The redemption ${c.redemptionId} was refunded: ${n(c.points)} points went back to the lots they came from, with their original expiry (${lots(c.draws)}).`;
    case 'reverse': {
      const why =
        c.update === 'cancelled' ? 'was cancelled' : `was refunded (${c.share} of the order so far)`;
      const short =
        c.shortfall === 0
          ? ''
          : c.policy === 'write_off'
            ? ` ${n(c.shortfall)} of them had already been spent and were written off.`
            : ` ${n(c.shortfall)} of them had already been spent and are owed: future points repay them first.`;
      return `${n(c.points)} points reversed because order ${c.orderId}${c.lineNo > 0 ? ` line ${c.lineNo}` : ''} ${why}; that line earned ${n(c.earned)}.${short}`;
    }
    case 'adjust':
      return `${c.points >= 0 ? 'Added' : 'Removed'} ${n(Math.abs(c.points))} points by hand (${c.by}): ${c.reason}.`;
    default: {
      const _exhaustive: never = c;
      return _exhaustive;
    }
  }
}

/**
 * `patron loyalty tiers|challenges|calibrate|referrals|flags|rewards|whatif|health|member`: the
 * loyalty programme around the ledger. Thin: the same use cases as the HTTP API.
 */
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { programmeHealth, whatIf, type ProgrammeHealth } from '../../app/loyalty-health.js';
import { memberBalance } from '../../app/loyalty-ledger.js';
import {
  calibrateChallenges,
  createReward,
  evaluateTiers,
  flagRefundCycling,
  formatMoney,
  memberProgramme,
  processReferrals,
  refreshChallenges,
} from '../../app/loyalty-programme.js';
import type { Store } from '../../store/database.js';
import { programmeStore } from '../../store/loyalty-programme-repository.js';
import { ledgerFigures, ledgerPoints } from '../../store/loyalty-programme-ledger.js';
import { loyaltyStore } from '../../store/loyalty-repository.js';
import { print, UsageError, withStore, type GlobalFlags } from '../context.js';

const instant = (v: string): string => {
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw new InvalidArgumentError(`"${v}" is not a date or ISO 8601 time`);
  return new Date(t).toISOString();
};

const pct = (x: number) => `${(x * 100).toFixed(1)} %`;

export async function runTiers(store: Store, now: string, json: boolean): Promise<void> {
  const r = await evaluateTiers(programmeStore(store), { now });
  if (json) return print(JSON.stringify(r));
  print(`Evaluated ${r.evaluated.toLocaleString('en-US')} members as of ${now.slice(0, 10)}.`);
  print(
    `  upgrades ${r.transitions.TierUpgraded}, demotions scheduled ${r.transitions.DemotionScheduled}, reminders ${r.transitions.DemotionReminder}, cancelled ${r.transitions.DemotionCancelled}, downgrades ${r.transitions.TierDowngraded}`,
  );
  for (const [tier, n] of Object.entries(r.byTier))
    print(`  ${tier.padEnd(10)} ${n.toLocaleString('en-US')}`);
}

export async function runChallenges(
  store: Store,
  o: { now: string; seed: number; json: boolean },
): Promise<void> {
  const r = await refreshChallenges(programmeStore(store), ledgerPoints(store), { now: o.now, seed: o.seed });
  if (o.json) return print(JSON.stringify(r));
  print(
    `Challenges: ${r.generated} offered, ${r.completed} completed, ${r.expired} expired, ${r.rewarded} rewards posted (${r.rewardedPoints} points); ${r.active} active.`,
  );
}

export function registerLoyaltyProgrammeCommands(loyalty: Command, globals: () => GlobalFlags): void {
  const now = () => new Date().toISOString();
  loyalty
    .command('tiers')
    .description(
      're-evaluate every member’s tier (rolling window, grace periods) and print the members per tier',
    )
    .option('--now <time>', 'evaluate as of this time (default: now)', instant)
    .option('--json', 'print JSON')
    .action(async (o: { now?: string; json?: boolean }) => {
      await withStore(globals(), (store) => runTiers(store, o.now ?? now(), o.json === true));
    });

  loyalty
    .command('challenges')
    .description('track progress, post rewards of completed challenges, offer new personal challenges')
    .option('--now <time>', 'as of this time (default: now)', instant)
    .option('--seed <n>', 'seed for the discovery pick', (v) => Number(v), 1)
    .option('--json', 'print JSON')
    .action(async (o: { now?: string; seed: number; json?: boolean }) => {
      await withStore(globals(), (store) =>
        runChallenges(store, { now: o.now ?? now(), seed: o.seed, json: o.json === true }),
      );
    });

  loyalty
    .command('calibrate')
    .description('move the challenge stretch toward the target completion rate')
    .option('--now <time>', 'as of this time (default: now)', instant)
    .action(async (o: { now?: string }) => {
      await withStore(globals(), async (store) => {
        for (const r of await calibrateChallenges(programmeStore(store), o.now ?? now()))
          print(`${r.kind}: ${r.completed}/${r.offered} completed → stretch ${r.before} → ${r.after}`);
      });
    });

  loyalty
    .command('referrals')
    .description('attribute first orders, reward both sides after the return window, flag refund cycling')
    .option('--now <time>', 'as of this time (default: now)', instant)
    .action(async (o: { now?: string }) => {
      await withStore(globals(), async (store) => {
        const at = o.now ?? now();
        const ps = programmeStore(store);
        const r = await processReferrals(ps, ledgerPoints(store), at);
        const flagged = await flagRefundCycling(ps, at);
        print(
          `Referrals: ${r.checked} open, ${r.due} due, ${r.rewarded} rewarded, ${r.void} void; ${flagged} new refund-cycling flags.`,
        );
      });
    });

  loyalty
    .command('flags')
    .description('list abuse flags for review (self-referral, velocity, refund cycling)')
    .action(async () => {
      await withStore(globals(), async (store) => {
        for (const f of await programmeStore(store).flags(null))
          print(
            `${f.createdAt.slice(0, 10)} ${f.status.padEnd(6)} ${f.kind.padEnd(15)} ${f.customerId} ${JSON.stringify(f.detail)}`,
          );
      });
    });

  const rewards = loyalty.command('rewards').description('the rewards catalog');
  rewards
    .command('list')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }) => {
      await withStore(globals(), async (store) => {
        const list = await programmeStore(store).rewards();
        if (o.json) return print(JSON.stringify(list));
        for (const r of list)
          print(
            `${r.id}  ${String(r.costPoints).padStart(6)} pts  ${r.stockLeft === null ? 'unlimited' : `${r.stockLeft}/${r.stock} left`}  ${r.name}${r.active ? '' : ' (inactive)'}`,
          );
      });
    });
  rewards
    .command('add')
    .description(
      'add a reward: --json \'{"name":"€10 off","benefit":{"type":"amount_off","amountMinor":1000},"costPoints":500}\'',
    )
    .requiredOption('--json <reward>', 'the reward as JSON (see docs/API.md)')
    .action(async (o: { json: string }) => {
      let body: unknown;
      try {
        body = JSON.parse(o.json);
      } catch (e) {
        throw new UsageError(`--json: not valid JSON (${(e as Error).message})`);
      }
      await withStore(globals(), async (store) => {
        const r = await createReward(programmeStore(store), body, now());
        if (!r.ok) {
          const msg =
            r.error.type === 'Invalid'
              ? r.error.errors.map((e) => `${e.path}: ${e.message}`).join('; ')
              : r.error.type;
          throw new UsageError(`--json: ${msg}`);
        }
        print(`Added ${r.value.id}: ${r.value.name} for ${r.value.costPoints} points.`);
      });
    });

  loyalty
    .command('whatif')
    .description('members per tier under proposed thresholds, replayed over the real history')
    .requiredOption(
      '--threshold <tier=score...>',
      'a proposed threshold, e.g. --threshold silver=300 gold=800',
    )
    .option('--now <time>', 'as of this time (default: now)', instant)
    .option('--json', 'print JSON')
    .action(async (o: { threshold: string[]; now?: string; json?: boolean }) => {
      const thresholds: Record<string, number> = {};
      for (const t of o.threshold) {
        const m = /^([^=]+)=(\d+)$/.exec(t);
        if (!m) throw new UsageError(`--threshold: "${t}" is not tier=score`);
        thresholds[m[1] as string] = Number(m[2]);
      }
      await withStore(globals(), async (store) => {
        const r = await whatIf(programmeStore(store), { thresholds, now: o.now ?? now() });
        if (!r.ok) throw new UsageError(r.error.errors.map((e) => `${e.path}: ${e.message}`).join('; '));
        if (o.json) return print(JSON.stringify(r.value));
        print(`What-if over ${r.value.members.toLocaleString('en-US')} members' history:`);
        print(`  ${'tier'.padEnd(10)} ${'now'.padStart(8)} ${'proposed'.padStart(9)}`);
        for (const t of r.value.tiers)
          print(`  ${t.id.padEnd(10)} ${String(t.current).padStart(8)} ${String(t.proposed).padStart(9)}`);
      });
    });

  loyalty
    .command('health')
    .description('points liability, expected breakage, participation this quarter, members per tier')
    .option('--now <time>', 'as of this time (default: now)', instant)
    .option('--json', 'print JSON')
    .action(async (o: { now?: string; json?: boolean }) => {
      await withStore(globals(), async (store) => {
        const h = await programmeHealth(programmeStore(store), ledgerFigures(store), o.now ?? now());
        if (o.json) return print(JSON.stringify(h));
        printHealth(h);
      });
    });

  loyalty
    .command('member')
    .description('one member’s tier, progress, challenges, suggested rewards and referral code')
    .argument('<customer>', 'cus_ id or the store’s userId')
    .option('--now <time>', 'as of this time (default: now)', instant)
    .action(async (customer: string, o: { now?: string }) => {
      await withStore(globals(), async (store) => {
        const ps = programmeStore(store);
        const id = await ps.customerIdFor(customer);
        if (!id) throw new UsageError(`no customer with id or userId "${customer}"`);
        const at = o.now ?? now();
        const balance = await memberBalance(loyaltyStore(store), id, at);
        const view = await memberProgramme(ps, { customerId: id, available: balance.available, now: at });
        print(JSON.stringify({ customerId: id, balance, ...view }, null, 2));
      });
    });
}

export function printHealth(h: ProgrammeHealth): void {
  const m = formatMoney(h.currency);
  const l = h.liability;
  print(`Programme health as of ${h.asOf.slice(0, 10)}`);
  print(
    `  points outstanding   ${(l.pendingPoints + l.availablePoints).toLocaleString('en-US')} (pending ${l.pendingPoints.toLocaleString('en-US')}, available ${l.availablePoints.toLocaleString('en-US')})`,
  );
  print(
    `  liability            ${m(l.pendingMinor + l.availableMinor)} (pending ${m(l.pendingMinor)}, available ${m(l.availableMinor)})`,
  );
  print(
    `  expected breakage    ${pct(l.breakageRate)} (${l.breakageBasis === 'history' ? `${l.expiredPoints.toLocaleString('en-US')} of ${l.maturedPoints.toLocaleString('en-US')} matured points expired` : `assumed: ${l.maturedPoints > 0 ? 'no matured point was ever redeemed' : 'no lot has matured yet'}`}) → ${m(l.expectedBreakageMinor)}`,
  );
  print(`  expected cost        ${m(l.expectedCostMinor)}`);
  const p = h.participation;
  print(
    `  participation ${p.quarter}  ${p.active.toLocaleString('en-US')} of ${p.members.toLocaleString('en-US')} members (${pct(p.rate)}): ${p.earning} earning, ${p.redeeming} redeeming`,
  );
  print(
    `  tiers                ${Object.entries(h.tiers)
      .map(([t, n]) => `${t} ${n.toLocaleString('en-US')}`)
      .join(', ')}`,
  );
  print(`  open flags           ${h.openFlags}`);
}

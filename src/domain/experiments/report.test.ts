import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CONTROL } from './assignment.js';
import { buildExperimentReport, type ExposureOutcome } from './report.js';

const outcome = (variant: string, o: Partial<ExposureOutcome> = {}): ExposureOutcome => ({
  variant,
  atRisk: false,
  purchased: false,
  retained: false,
  revenueMinor: 0,
  redeemed: false,
  ...o,
});

const repeat = (n: number, o: ExposureOutcome): ExposureOutcome[] => Array.from({ length: n }, () => o);

describe('buildExperimentReport', () => {
  it('counts retention apart from buying at all, and the save rate among the at-risk only', () => {
    const outcomes = [
      // Control: 100 at risk, all buy once more, 10 still active at the end; 100 not at risk, all retained.
      ...repeat(10, outcome(CONTROL, { atRisk: true, purchased: true, retained: true })),
      ...repeat(90, outcome(CONTROL, { atRisk: true, purchased: true })),
      ...repeat(100, outcome(CONTROL, { purchased: true, retained: true })),
      // Treated: 100 at risk, 40 retained; 100 not at risk, all retained.
      ...repeat(40, outcome('treatment', { atRisk: true, purchased: true, retained: true })),
      ...repeat(60, outcome('treatment', { atRisk: true, purchased: true })),
      ...repeat(100, outcome('treatment', { purchased: true, retained: true })),
    ];
    const r = buildExperimentReport(outcomes, { margin: 0.3, costPerTreatedMinor: 0 });
    const control = r.arms.find((a) => a.variant === CONTROL)!;
    const treated = r.arms.find((a) => a.variant === 'treatment')!;
    expect(control.purchaseRate.estimate).toBe(1);
    expect(control.retentionRate.estimate).toBeCloseTo(110 / 200, 12);
    expect(treated.retentionRate.estimate).toBeCloseTo(140 / 200, 12);
    expect(control.atRisk.saveRate.estimate).toBeCloseTo(0.1, 12);
    expect(treated.atRisk.saveRate.estimate).toBeCloseTo(0.4, 12);
    const c = r.comparisons[0]!;
    expect(c.purchaseUplift.estimate).toBe(0);
    expect(c.purchaseUplift.significant).toBe(false);
    expect(c.retentionUplift.estimate).toBeCloseTo(0.15, 12);
    expect(c.retentionUplift.significant).toBe(true);
    expect(c.saveRateUplift!.estimate).toBeCloseTo(0.3, 12);
    expect(c.saveRateUplift!.significant).toBe(true);
    expect(c.retentionRoi).toBeNull();
  });

  it('has no save rate uplift without at-risk customers in both arms', () => {
    const r = buildExperimentReport(
      [outcome(CONTROL, { atRisk: true }), outcome('treatment', { retained: true })],
      { margin: 0.3, costPerTreatedMinor: 10 },
    );
    expect(r.comparisons[0]!.saveRateUplift).toBeNull();
  });

  it('property: retention uplift is the difference of the arms’ retention rates, inside its interval', () => {
    const arb = fc.array(
      fc.record({
        variant: fc.constantFrom(CONTROL, 'treatment'),
        atRisk: fc.boolean(),
        purchased: fc.boolean(),
        retained: fc.boolean(),
        revenueMinor: fc.integer({ min: 0, max: 100_000 }),
        redeemed: fc.boolean(),
      }),
      { minLength: 2, maxLength: 200 },
    );
    fc.assert(
      fc.property(arb, (outcomes) => {
        const r = buildExperimentReport(outcomes, { margin: 0.3, costPerTreatedMinor: 0 });
        const rate = (v: string) => {
          const mine = outcomes.filter((o) => o.variant === v);
          return mine.filter((o) => o.retained).length / mine.length;
        };
        const c = r.comparisons[0];
        const hasBoth =
          outcomes.some((o) => o.variant === CONTROL) && outcomes.some((o) => o.variant === 'treatment');
        if (!hasBoth) return c === undefined || outcomes.every((o) => o.variant !== CONTROL);
        expect(c!.retentionUplift.estimate).toBeCloseTo(rate('treatment') - rate(CONTROL), 12);
        expect(c!.retentionUplift.lower).toBeLessThanOrEqual(c!.retentionUplift.estimate + 1e-12);
        expect(c!.retentionUplift.upper).toBeGreaterThanOrEqual(c!.retentionUplift.estimate - 1e-12);
        return true;
      }),
    );
  });
});

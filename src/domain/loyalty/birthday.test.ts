import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addDays } from './calendar.js';
import { birthdayOf, birthdaysCelebratedOn, celebratesOn, isLeapYear, parseBirthday } from './birthday.js';

describe('birthdays', () => {
  it('reads YYYY-MM-DD and MM-DD, and nothing else', () => {
    expect(parseBirthday('1990-06-01')).toEqual({ month: 6, day: 1 });
    expect(parseBirthday('06-01')).toEqual({ month: 6, day: 1 });
    expect(parseBirthday(' 12-31 ')).toEqual({ month: 12, day: 31 });
    for (const bad of [
      '1990-13-01',
      '1990-04-31',
      '00-10',
      '6-1',
      '1990/06/01',
      '1990-06-01T00:00:00Z',
      '',
      19900601,
      null,
    ])
      expect(parseBirthday(bad)).toBeNull();
  });

  it('accepts 29 February without a year or in a leap year, never in another year', () => {
    expect(parseBirthday('02-29')).toEqual({ month: 2, day: 29 });
    expect(parseBirthday('1988-02-29')).toEqual({ month: 2, day: 29 });
    expect(parseBirthday('1989-02-29')).toBeNull();
    expect(parseBirthday('02-30')).toBeNull();
  });

  it('takes the first birthday trait that reads as a date', () => {
    expect(birthdayOf({ birthday: 'soon', birthdate: '1990-06-01' })).toEqual({ month: 6, day: 1 });
    expect(birthdayOf({ date_of_birth: '07-04' })).toEqual({ month: 7, day: 4 });
    expect(birthdayOf({ email: 'a@example.com' })).toBeNull();
  });

  it('celebrates 29 February on 28 February in a year without one, and on the 29th otherwise', () => {
    const leapling = { month: 2, day: 29 };
    expect(celebratesOn(leapling, '2027-02-28')).toBe(true);
    expect(celebratesOn(leapling, '2027-03-01')).toBe(false);
    expect(celebratesOn(leapling, '2028-02-28')).toBe(false);
    expect(celebratesOn(leapling, '2028-02-29')).toBe(true);
    expect(celebratesOn({ month: 2, day: 28 }, '2027-02-28')).toBe(true);
    expect(birthdaysCelebratedOn('2027-02-28')).toEqual(['02-28', '02-29']);
    expect(birthdaysCelebratedOn('2100-02-28')).toEqual(['02-28', '02-29']);
    expect(birthdaysCelebratedOn('2000-02-28')).toEqual(['02-28']);
  });

  it('celebrates every valid birthday on exactly one day of every year', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 31 }),
        fc.integer({ min: 1900, max: 2400 }),
        (month, day, year) => {
          const b = parseBirthday(`${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`);
          fc.pre(b !== null);
          let days = 0;
          for (let d = `${year}-01-01`; d.startsWith(String(year)); d = addDays(d, 1))
            if (celebratesOn(b as NonNullable<typeof b>, d)) days++;
          return days === 1;
        },
      ),
      { numRuns: 40 },
    );
    expect(isLeapYear(1900)).toBe(false);
    expect(isLeapYear(2000)).toBe(true);
  });
});

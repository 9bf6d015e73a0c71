/**
 * Birthdays for the birthday bonus: where a customer's birthday is in their traits, which
 * birthdays fall on a local date of the programme, and the year the bonus counts for. Pure.
 *
 * A birthday is the first of the traits `birthday`, `birthdate`, `birth_date`, `birthDate`,
 * `date_of_birth`, `dateOfBirth` that reads as `YYYY-MM-DD` (a real calendar date) or `MM-DD`
 * (a month and a day that exists in some year, so `02-29` is accepted). The year of birth is never
 * needed. A 29 February birthday is celebrated on **28 February** in years without a 29 February
 * (it stays in the member's birth month, as most people born on the day celebrate it).
 */

export interface MonthDay {
  readonly month: number;
  readonly day: number;
}

export const BIRTHDAY_TRAITS = [
  'birthday',
  'birthdate',
  'birth_date',
  'birthDate',
  'date_of_birth',
  'dateOfBirth',
] as const;

export const isLeapYear = (year: number): boolean => (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;

const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** A birthday from one trait value, or null when it is not `YYYY-MM-DD` or `MM-DD`. */
export function parseBirthday(value: unknown): MonthDay | null {
  if (typeof value !== 'string') return null;
  const m = /^(?:(\d{4})-)?(\d{2})-(\d{2})$/.exec(value.trim());
  if (!m) return null;
  const year = m[1] === undefined ? null : Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  if (month < 1 || month > 12 || day < 1) return null;
  const max = year !== null && month === 2 && !isLeapYear(year) ? 28 : (DAYS_IN_MONTH[month - 1] as number);
  if (day > max) return null;
  return { month, day };
}

/** The customer's birthday from their traits (the first trait of BIRTHDAY_TRAITS that parses). */
export function birthdayOf(traits: Readonly<Record<string, unknown>>): MonthDay | null {
  for (const k of BIRTHDAY_TRAITS) {
    const b = parseBirthday(traits[k]);
    if (b) return b;
  }
  return null;
}

const pad = (n: number) => String(n).padStart(2, '0');

/**
 * The birthdays (`MM-DD`) celebrated on a local date (`YYYY-MM-DD`): its own month and day, and on
 * 28 February of a year without a 29 February also `02-29`.
 */
export function birthdaysCelebratedOn(localDate: string): string[] {
  const [y, m, d] = localDate.split('-').map(Number) as [number, number, number];
  const out = [`${pad(m)}-${pad(d)}`];
  if (m === 2 && d === 28 && !isLeapYear(y)) out.push('02-29');
  return out;
}

/** Whether the birthday is celebrated on the local date (`YYYY-MM-DD`). */
export function celebratesOn(birthday: MonthDay, localDate: string): boolean {
  return birthdaysCelebratedOn(localDate).includes(`${pad(birthday.month)}-${pad(birthday.day)}`);
}

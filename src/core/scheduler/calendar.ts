// UTC calendar arithmetic on explicit timestamps (no Date objects: the core takes time only as an input).

export interface CivilTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

const DAY = 86_400;

/** Days since 1970-01-01 → proleptic Gregorian year/month/day (Hinnant's civil_from_days). */
function civilFromDays(z0: number): { year: number; month: number; day: number } {
  const z = z0 + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return { year: yoe + era * 400 + (month <= 2 ? 1 : 0), month, day };
}

/** year/month/day (month may overflow, as in Date.UTC) → days since 1970-01-01. */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y0 = year + Math.floor((month - 1) / 12);
  const m0 = ((((month - 1) % 12) + 12) % 12) + 1;
  const y = m0 <= 2 ? y0 - 1 : y0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m0 + (m0 > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

export function toCivil(sec: number): CivilTime {
  const days = Math.floor(sec / DAY);
  const rest = sec - days * DAY;
  return {
    ...civilFromDays(days),
    hour: Math.floor(rest / 3600),
    minute: Math.floor((rest % 3600) / 60),
    second: Math.floor(rest % 60),
  };
}

export function fromCivil(t: CivilTime): number {
  return daysFromCivil(t.year, t.month, t.day) * DAY + t.hour * 3600 + t.minute * 60 + t.second;
}

/** ISO weekday: Monday 1 … Sunday 7. */
export function isoWeekday(sec: number): number {
  const days = Math.floor(sec / DAY);
  return ((((days + 3) % 7) + 7) % 7) + 1; // 1970-01-01 was a Thursday
}

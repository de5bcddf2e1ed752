/**
 * Calendar arithmetic for the RTC: seconds since the Unix epoch (UTC) to and from broken-down
 * date and time, with the day of week. Proleptic Gregorian calendar, days-from-civil method
 * (as described by H. Hinnant, "chrono-Compatible Low-Level Date Algorithms").
 */

export interface BrokenDownTime {
  year: number; // full year, e.g. 2026
  month: number; // 1..12
  day: number; // 1..31
  hour: number; // 0..23
  minute: number;
  second: number;
  /** 1 = Sunday .. 7 = Saturday (the MC146818 convention). */
  weekday: number;
}

/** Days since 1970-01-01 of a civil date. */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const mp = (month + 9) % 12; // March = 0
  const doy = Math.floor((153 * mp + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** Civil date of a day count since 1970-01-01. */
export function civilFromDays(days: number): { year: number; month: number; day: number } {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return { year: yoe + era * 400 + (month <= 2 ? 1 : 0), month, day };
}

export function breakDown(epochSeconds: number): BrokenDownTime {
  const days = Math.floor(epochSeconds / 86400);
  let sod = epochSeconds - days * 86400;
  const { year, month, day } = civilFromDays(days);
  const hour = Math.floor(sod / 3600);
  sod -= hour * 3600;
  const minute = Math.floor(sod / 60);
  const second = sod - minute * 60;
  const weekday = ((((days + 4) % 7) + 7) % 7) + 1; // 1970-01-01 was a Thursday
  return { year, month, day, hour, minute, second, weekday };
}

/** Seconds since the epoch; out-of-range fields are normalised arithmetically. */
export function compose(t: Omit<BrokenDownTime, 'weekday'>): number {
  return daysFromCivil(t.year, t.month, t.day) * 86400 + t.hour * 3600 + t.minute * 60 + t.second;
}

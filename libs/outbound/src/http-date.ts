const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

// The three forms of RFC 9110 §5.6.7, all in GMT. Date.parse is not used: it accepts far more,
// and reads the zone-less asctime form in the local time zone.
const IMF_FIXDATE = /^[A-Z][a-z]{2}, (\d{2}) ([A-Z][a-z]{2}) (\d{4}) (\d{2}):(\d{2}):(\d{2}) GMT$/;
const RFC_850 = /^[A-Z][a-z]+, (\d{2})-([A-Z][a-z]{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2}) GMT$/;
const ASCTIME = /^[A-Z][a-z]{2} ([A-Z][a-z]{2}) ([ \d]\d) (\d{2}):(\d{2}):(\d{2}) (\d{4})$/;

interface DateParts {
  day: string;
  month: string;
  year: number;
  hours: string;
  minutes: string;
  seconds: string;
}

function toTime({ day, month, year, hours, minutes, seconds }: DateParts): number | undefined {
  const monthIndex = MONTHS.indexOf(month);
  const time = Date.UTC(year, monthIndex, Number(day), Number(hours), Number(minutes), Number(seconds));
  const date = new Date(time);
  const exact =
    monthIndex >= 0 &&
    date.getUTCDate() === Number(day) &&
    date.getUTCMonth() === monthIndex &&
    date.getUTCHours() === Number(hours) &&
    date.getUTCMinutes() === Number(minutes) &&
    date.getUTCSeconds() === Number(seconds);
  return exact ? time : undefined;
}

/** RFC 850's two-digit year: a year more than 50 years ahead is taken to be in the past (RFC 9110). */
function fullYear(twoDigits: number, now: number): number {
  const currentYear = new Date(now).getUTCFullYear();
  const candidate = currentYear - (currentYear % 100) + twoDigits;
  return candidate > currentYear + 50 ? candidate - 100 : candidate;
}

/** Milliseconds since the epoch for an HTTP-date, or undefined when the text is not one. */
export function parseHttpDate(text: string, now: number = Date.now()): number | undefined {
  let match = IMF_FIXDATE.exec(text);
  if (match) {
    const [, day, month, year, hours, minutes, seconds] = match;
    return toTime({ day, month, year: Number(year), hours, minutes, seconds });
  }
  match = RFC_850.exec(text);
  if (match) {
    const [, day, month, year, hours, minutes, seconds] = match;
    return toTime({ day, month, year: fullYear(Number(year), now), hours, minutes, seconds });
  }
  match = ASCTIME.exec(text);
  if (match) {
    const [, month, day, hours, minutes, seconds, year] = match;
    return toTime({ day: day.trim(), month, year: Number(year), hours, minutes, seconds });
  }
  return undefined;
}

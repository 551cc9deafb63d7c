/**
 * ISO 8601 timestamps as strings, never as `Date`: the upstream sends microseconds, a `Date` keeps
 * milliseconds, and a `createdAt` copied from a result into a filter must still select that job.
 * So offsets are folded into UTC by arithmetic on the whole seconds, and the fraction digits are
 * carried over exactly as they came.
 */

const TIMESTAMP =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d{1,9}))?(?:([Zz])|([+-])(\d{2}):?(\d{2}))?$/;

/** Why a timestamp was refused, for the error message. */
export class TimestampError extends Error {
  override name = "TimestampError";
}

/**
 * Returns `value` as UTC with a `Z`, keeping its fraction digits (`2025-01-02T03:04:05.123456Z`).
 * A value without an offset is refused when `offset` is "required", and read as UTC when "utc-if-missing".
 */
export function toUtcTimestamp(value: string, offset: "required" | "utc-if-missing"): string {
  return alreadyUtc(value, offset) ?? convertToUtc(value, offset);
}

/** The most fraction digits LlamaCloud keeps (microseconds). */
const MAX_FRACTION_DIGITS = 6;

/**
 * One spelling per instant, for input: UTC with `Z` and the fraction without trailing zeros (none
 * at all when it is zero), so that `…00Z`, `…00.000Z` and `…01:00+01:00` make one filter (and
 * one cursor binding). A fraction finer than microseconds is refused: LlamaCloud keeps six digits,
 * so the extra ones could not select anything different, and quietly dropping them would make a
 * bound mean something other than what was written.
 */
export function canonicalInstant(value: string): string {
  const utc = toUtcTimestamp(value, "required");
  const dot = utc.indexOf(".");
  if (dot === -1) return utc;
  let end = utc.length - 1;
  while (utc.charCodeAt(end - 1) === 48) end--;
  const digits = end - dot - 1;
  if (digits > MAX_FRACTION_DIGITS) {
    throw new TimestampError(
      `${JSON.stringify(value)} has ${digits} significant fraction digits; LlamaCloud keeps at most ${MAX_FRACTION_DIGITS} (microseconds): round it to microseconds`,
    );
  }
  return digits === 0 ? `${utc.slice(0, dot)}Z` : `${utc.slice(0, end)}Z`;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const ZERO_OFFSETS = new Set(["Z", "z", "+00:00", "-00:00", "+0000", "-0000"]);

/** The number written by the ASCII digits of `value` from `start` to `end`, or -1 for a non-digit. */
function digits(value: string, start: number, end: number): number {
  let number = 0;
  for (let index = start; index < end; index++) {
    const digit = value.charCodeAt(index) - 48;
    if (digit < 0 || digit > 9) return -1;
    number = number * 10 + digit;
  }
  return number;
}

/**
 * The common case, done without a regular expression or `Date` (it runs twice per job on every
 * page): a valid timestamp already in UTC, what the upstream sends, read character by character.
 * Returns undefined for anything else, which the general path then converts or refuses with its
 * usual message. Years before 1000 go the general way too.
 */
function alreadyUtc(value: string, offset: "required" | "utc-if-missing"): string | undefined {
  if (value.length < 19) return undefined;
  const separator = value[10];
  if (value[4] !== "-" || value[7] !== "-" || value[13] !== ":" || value[16] !== ":")
    return undefined;
  if (separator !== "T" && separator !== "t" && separator !== " ") return undefined;
  const year = digits(value, 0, 4);
  const month = digits(value, 5, 7);
  const day = digits(value, 8, 10);
  const hour = digits(value, 11, 13);
  const minute = digits(value, 14, 16);
  const second = digits(value, 17, 19);
  if (year < 1000 || month < 1 || month > 12 || day < 1) return undefined;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const days = month === 2 && leap ? 29 : (DAYS_IN_MONTH[month - 1] as number);
  if (day > days || hour < 0 || hour > 23 || minute < 0 || minute > 59) return undefined;
  if (second < 0 || second > 59) return undefined;
  let end = 19;
  if (value[19] === "." || value[19] === ",") {
    end = 20;
    while (end < value.length && end < 29 && digits(value, end, end + 1) >= 0) end++;
    if (end === 20) return undefined;
  }
  // Already canonical (`T`, a `.` fraction if any, then `Z`): the value itself, with no new
  // string; the upstream's millisecond timestamps are all like this.
  const canonical = separator === "T" && (end === 19 || value[19] === ".");
  if (canonical && end === value.length - 1 && value[end] === "Z") return value;
  const zone = value.slice(end);
  if (zone === "" ? offset === "required" : !ZERO_OFFSETS.has(zone)) return undefined;
  const wholeSeconds = `${value.slice(0, 10)}T${value.slice(11, 19)}`;
  return end === 19 ? `${wholeSeconds}Z` : `${wholeSeconds}.${value.slice(20, end)}Z`;
}

/** The general path: any offset, every check, every error message. */
function convertToUtc(value: string, offset: "required" | "utc-if-missing"): string {
  const match = TIMESTAMP.exec(value);
  if (!match) {
    throw new TimestampError(
      `${JSON.stringify(value)} is not an ISO 8601 date-time such as 2025-06-01T12:00:00Z`,
    );
  }
  const [, y, mo, d, h, mi, s, fraction, zulu, sign, offH, offM] = match as unknown as string[];
  const hasOffset = zulu !== undefined || sign !== undefined;
  if (!hasOffset && offset === "required") {
    throw new TimestampError(
      `${JSON.stringify(value)} has no UTC offset: add Z or an offset such as +02:00`,
    );
  }
  const fields = [y, mo, d, h, mi, s].map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const [year, month, day, hour, minute, second] = fields;
  const localMs = Date.UTC(year, month - 1, day, hour, minute, second);
  const check = new Date(localMs);
  // Date.UTC rolls 2025-02-30 over into March; a round trip that changes a field means it was invalid.
  if (
    check.getUTCFullYear() !== year ||
    check.getUTCMonth() !== month - 1 ||
    check.getUTCDate() !== day ||
    check.getUTCHours() !== hour ||
    check.getUTCMinutes() !== minute ||
    check.getUTCSeconds() !== second
  ) {
    throw new TimestampError(`${JSON.stringify(value)} is not a valid calendar date and time`);
  }
  let offsetMinutes = 0;
  if (sign !== undefined) {
    const hours = Number(offH);
    const minutes = Number(offM);
    if (hours > 23 || minutes > 59) {
      throw new TimestampError(`${JSON.stringify(value)} has an invalid UTC offset`);
    }
    offsetMinutes = (sign === "-" ? -1 : 1) * (hours * 60 + minutes);
  }
  const utc = new Date(localMs - offsetMinutes * 60_000);
  const utcYear = utc.getUTCFullYear();
  if (utcYear < 0 || utcYear > 9999) {
    throw new TimestampError(`${JSON.stringify(value)} is outside the years 0000 to 9999`);
  }
  const wholeSeconds = utc.toISOString().slice(0, 19);
  return fraction === undefined ? `${wholeSeconds}Z` : `${wholeSeconds}.${fraction}Z`;
}

/**
 * A key that sorts like the instant it names: whole seconds plus the fraction padded to 9 digits.
 * Takes the output of `toUtcTimestamp`.
 */
export function timestampSortKey(utcTimestamp: string): string {
  const dot = utcTimestamp.indexOf(".");
  const seconds = utcTimestamp.slice(0, 19);
  const fraction = dot === -1 ? "" : utcTimestamp.slice(dot + 1, -1);
  return `${seconds}.${fraction.padEnd(9, "0")}`;
}

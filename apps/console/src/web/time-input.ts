import { InstantSchema } from "@concord/contracts";

/** A form's time as people type it: a date, a `datetime-local` value, or an ISO instant with its zone. */
const LOCAL = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,3})?)?)?$/;

/** How far `timeZone`'s wall clock is ahead of UTC at `at`, in ms. */
function zoneOffsetMs(at: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat("en-US", { timeZone, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit" }).formatToParts(new Date(at));
  const part = (type: Intl.DateTimeFormatPartTypes) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  const wall = Date.UTC(part("year"), part("month") - 1, part("day"), part("hour"), part("minute"), part("second"));
  return wall - Math.floor(at / 1000) * 1000;
}

/**
 * A time from a filter form as an ISO instant: a wall-clock time (`2026-05-01T14:30`, or a date)
 * is read in the console's time zone; an instant with its zone is taken as it is. A bare date is
 * the start of that day, or with `endOfDay` its last millisecond (a "to" date includes the day).
 * `undefined` for an empty value, `null` for one that is not a time.
 */
export function parseTimeInput(value: string | undefined, timeZone: string, endOfDay = false): string | undefined | null {
  const text = value?.trim();
  if (!text) return undefined;
  if (InstantSchema.safeParse(text).success) return new Date(text).toISOString();
  const m = LOCAL.exec(text);
  if (!m) return null;
  const [year, month, day, hour, minute, second] = m.slice(1).map((v) => Number(v ?? 0)) as [number, number, number, number, number, number];
  const day0 = new Date(Date.UTC(year, month - 1, day));
  if (day0.getUTCMonth() !== month - 1 || day0.getUTCDate() !== day || hour > 23 || minute > 59 || second > 59) return null;
  const dateOnly = m[4] === undefined;
  const wall = Date.UTC(year, month - 1, day, hour, minute, second) + (dateOnly && endOfDay ? 24 * 3600_000 - 1 : 0);
  // Two rounds: the offset at the guessed instant, then at the corrected one (a change of offset in between).
  const guess = wall - zoneOffsetMs(wall, timeZone);
  return new Date(wall - zoneOffsetMs(guess, timeZone)).toISOString();
}

/** An instant as a `datetime-local` value in the console's time zone (what the form shows back). */
export function toTimeInput(instant: string | undefined, timeZone: string): string {
  if (!instant) return "";
  const at = new Date(instant).getTime();
  if (Number.isNaN(at)) return "";
  return new Date(at + zoneOffsetMs(at, timeZone)).toISOString().slice(0, 19);
}

// Portal time. Bitrix24 answers with ISO datetimes carrying the portal's offset; the sandbox's
// portal lives in Moscow time (+03:00, no DST) and stores datetimes with second precision, like
// the MySQL DATETIME columns behind the real thing.

export const PORTAL_OFFSET_MINUTES = 180;
const OFFSET_MS = PORTAL_OFFSET_MINUTES * 60_000;
const OFFSET_TEXT = "+03:00";

const pad = (n: number, width = 2): string => String(n).padStart(width, "0");

/** `2024-08-30T14:29:00+03:00` for an epoch-ms instant. */
export function formatDateTime(ms: number): string {
  const d = new Date(ms + OFFSET_MS);
  return (
    `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}` +
    `T${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}${OFFSET_TEXT}`
  );
}

/** Drops milliseconds: DATE_MODIFY and friends have second precision. */
export function truncateToSecond(ms: number): number {
  return Math.floor(ms / 1000) * 1000;
}

/** Midnight (portal time) of the day containing `ms`. */
export function truncateToPortalDay(ms: number): number {
  const local = ms + OFFSET_MS;
  return local - (((local % 86_400_000) + 86_400_000) % 86_400_000) - OFFSET_MS;
}

const ISO_RE =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?\s*(Z|[+-]\d{2}:?\d{2})?$/i;
const RU_RE = /^(\d{2})\.(\d{2})\.(\d{4})(?:\s+(\d{2}):(\d{2})(?::(\d{2}))?)?$/;

/**
 * Parses what clients send for date/datetime fields and filters: ISO with or without an offset
 * (no offset = portal time), a bare date, or the portal's `dd.mm.yyyy[ hh:mm[:ss]]` format.
 * Returns epoch ms, or null for empty/unparseable input.
 */
export function parseDateTime(input: unknown): number | null {
  if (input === null || input === undefined) return null;
  if (input instanceof Date) return Number.isNaN(input.getTime()) ? null : input.getTime();
  if (typeof input === "number") return Number.isFinite(input) ? input : null;
  const text = String(input).trim();
  if (text === "") return null;
  let y: number, mo: number, d: number, h = 0, mi = 0, s = 0;
  let offsetMs = OFFSET_MS;
  const iso = ISO_RE.exec(text);
  const ru = iso ? null : RU_RE.exec(text);
  if (iso) {
    y = Number(iso[1]); mo = Number(iso[2]); d = Number(iso[3]);
    h = Number(iso[4] ?? 0); mi = Number(iso[5] ?? 0); s = Number(iso[6] ?? 0);
    const tz = iso[7];
    if (tz) {
      if (tz.toUpperCase() === "Z") offsetMs = 0;
      else {
        const sign = tz.startsWith("-") ? -1 : 1;
        const digits = tz.slice(1).replace(":", "");
        offsetMs = sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4))) * 60_000;
      }
    }
  } else if (ru) {
    d = Number(ru[1]); mo = Number(ru[2]); y = Number(ru[3]);
    h = Number(ru[4] ?? 0); mi = Number(ru[5] ?? 0); s = Number(ru[6] ?? 0);
  } else {
    return null;
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 59) return null;
  return Date.UTC(y, mo - 1, d, h, mi, s) - offsetMs;
}

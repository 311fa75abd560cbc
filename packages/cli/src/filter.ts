import { DlqFilterSchema, type DlqFilter } from "@concord/contracts";

/** Keys `--filter` understands; `since`/`until` are aliases of `from`/`to`. */
export const FILTER_KEYS = ["flow", "system", "code", "status", "since", "until", "from", "to"] as const;

const UNITS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/**
 * A point in time as a person types it: an ISO date or instant (`2026-05-01`,
 * `2026-05-01T10:00:00Z`) or an age (`30m`, `2h`, `7d`, `1w`) counted back from now.
 */
export function parseTime(value: string, now = new Date()): string {
  const text = value.trim();
  const age = /^(\d+)\s*([smhdw])$/i.exec(text);
  if (age) return new Date(now.getTime() - Number(age[1]) * (UNITS[age[2]!.toLowerCase()] ?? 0)).toISOString();
  if (/^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(text)) {
    const ms = Date.parse(text.includes("T") || text.includes(" ") ? text.replace(" ", "T") : `${text}T00:00:00Z`);
    if (Number.isFinite(ms)) return new Date(ms).toISOString();
  }
  throw new Error(`"${value}" is not a time: use an ISO date/time (2026-05-01, 2026-05-01T10:00:00Z) or an age (30m, 2h, 7d)`);
}

/** `bitrix24.deal->onec.order` is accepted for `bitrix24.deal→onec.order`. */
export const normaliseFlow = (flow: string) => flow.trim().replace(/\s*->\s*/g, "→");

export interface FilterInput {
  flow?: string;
  system?: string;
  code?: string;
  status?: string;
  since?: string;
  until?: string;
}

/** Options of `dlq list` (or the parsed `--filter`) as the console's filter, validated. */
export function toFilter(input: FilterInput, now = new Date()): DlqFilter {
  const raw: Record<string, string> = {};
  if (input.flow !== undefined) raw.flow = normaliseFlow(input.flow);
  if (input.system !== undefined) raw.system = input.system.trim();
  if (input.code !== undefined) raw.code = input.code.trim();
  if (input.status !== undefined) raw.status = input.status.trim();
  if (input.since !== undefined) raw.from = parseTime(input.since, now);
  if (input.until !== undefined) raw.to = parseTime(input.until, now);
  const parsed = DlqFilterSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`bad filter ${String(issue?.path[0] ?? "")}: ${issue?.message ?? "invalid"}`);
  }
  return parsed.data;
}

/**
 * `--filter code=PRODUCT_NOT_FOUND,system=onec` → `{ code, system }`. Every pair is `key=value`
 * with a known key, each key at most once; an empty filter is refused (it would touch everything).
 */
export function parseFilter(text: string, now = new Date()): DlqFilter {
  const input: Record<string, string> = {};
  const pairs = text
    .split(",")
    .map((p) => p.trim())
    .filter((p) => p.length > 0);
  if (pairs.length === 0) throw new Error('empty filter: give at least one key=value, e.g. --filter code=ONEC_REJECTED,system=onec');
  for (const pair of pairs) {
    const eq = pair.indexOf("=");
    if (eq <= 0) throw new Error(`"${pair}" is not key=value (keys: ${FILTER_KEYS.join(", ")})`);
    const key = pair.slice(0, eq).trim().toLowerCase();
    const value = pair.slice(eq + 1).trim();
    if (!(FILTER_KEYS as readonly string[]).includes(key)) throw new Error(`unknown filter key "${key}" (keys: ${FILTER_KEYS.join(", ")})`);
    if (value.length === 0) throw new Error(`filter key "${key}" has no value`);
    const canonical = key === "from" ? "since" : key === "to" ? "until" : key;
    if (canonical in input) throw new Error(`filter key "${key}" given twice`);
    input[canonical] = value;
  }
  return toFilter(input, now);
}

// The `filter` and `order` of Bitrix24 list methods over in-memory records.
// Filter keys carry an operator prefix (`>=DATE_MODIFY`, `@ID`, `%TITLE`); comparisons follow the
// field's type (ids and money numerically, datetimes chronologically, text case-insensitively).

import { parseDateTime } from "./time";
import { isPlainObject } from "./params";

/** How a field compares. `multi` = PHONE/EMAIL/…: matched against each item's VALUE. */
export type FieldKind = "number" | "date" | "string" | "multi";
/** Field name → its kind; undefined for fields the entity does not have (ignored, as Bitrix does). */
export type KindOf = (field: string) => FieldKind | undefined;

export type FilterOp = "=" | "!=" | ">" | ">=" | "<" | "<=" | "in" | "notIn" | "like" | "notLike" | "pattern";

export interface FilterCondition {
  field: string;
  op: FilterOp;
  value: unknown;
}

// Longest prefixes first so `>=` is not read as `>` + `=FIELD`.
const PREFIXES: ReadonlyArray<readonly [string, FilterOp]> = [
  [">=", ">="],
  ["<=", "<="],
  ["!=", "!="],
  ["!@", "notIn"],
  ["!%", "notLike"],
  ["=%", "pattern"],
  ["%=", "pattern"],
  [">", ">"],
  ["<", "<"],
  ["@", "in"],
  ["%", "like"],
  ["=", "="],
  ["!", "!="],
];

export function parseFilterKey(key: string): { op: FilterOp; field: string } {
  for (const [prefix, op] of PREFIXES) {
    if (key.startsWith(prefix) && key.length > prefix.length) return { op, field: key.slice(prefix.length) };
  }
  return { op: "=", field: key };
}

export function parseFilter(filter: unknown): FilterCondition[] {
  if (!isPlainObject(filter)) return [];
  return Object.entries(filter).map(([key, value]) => ({ ...parseFilterKey(key), value }));
}

type Scalar = number | string | null;

function coerce(kind: FieldKind, value: unknown): Scalar {
  if (value === null || value === undefined || value === "") return null;
  switch (kind) {
    case "number": {
      if (typeof value === "boolean") return value ? 1 : 0;
      const n = Number(value);
      return Number.isFinite(n) ? n : Number.NaN;
    }
    case "date": {
      if (typeof value === "number") return value;
      const ms = parseDateTime(value);
      return ms === null ? Number.NaN : ms;
    }
    default:
      return typeof value === "object" ? JSON.stringify(value) : String(value);
  }
}

/** Three-way comparison; null sorts first (MySQL ASC). Text compares case-insensitively. */
export function compareValues(a: Scalar, b: Scalar): number {
  if (a === null || b === null) return a === b ? 0 : a === null ? -1 : 1;
  if (typeof a === "number" && typeof b === "number") return a < b ? -1 : a > b ? 1 : 0;
  const x = String(a).toLowerCase();
  const y = String(b).toLowerCase();
  return x < y ? -1 : x > y ? 1 : 0;
}

function likeToRegExp(pattern: string): RegExp {
  const escaped = pattern.replace(/[.*+?^${}()|[\]\\]/g, "\\$&").replace(/%/g, ".*").replace(/_/g, ".");
  return new RegExp(`^${escaped}$`, "is");
}

function equals(recordValue: Scalar, filterValue: Scalar): boolean {
  if (filterValue === null) return recordValue === null || recordValue === "";
  if (recordValue === null) return false;
  if (typeof filterValue === "number" && Number.isNaN(filterValue)) return false;
  return compareValues(recordValue, filterValue) === 0;
}

function matchScalar(kind: FieldKind, recordValue: Scalar, op: FilterOp, raw: unknown): boolean {
  const list = Array.isArray(raw) ? raw : null;
  switch (op) {
    case "=":
      return list ? list.some((v) => equals(recordValue, coerce(kind, v))) : equals(recordValue, coerce(kind, raw));
    case "in":
      return (list ?? [raw]).some((v) => equals(recordValue, coerce(kind, v)));
    case "!=":
      return list ? !list.some((v) => equals(recordValue, coerce(kind, v))) : !equals(recordValue, coerce(kind, raw));
    case "notIn":
      return !(list ?? [raw]).some((v) => equals(recordValue, coerce(kind, v)));
    case ">":
    case ">=":
    case "<":
    case "<=": {
      const f = coerce(kind, raw);
      // SQL semantics: NULL never compares.
      if (recordValue === null || f === null || (typeof f === "number" && Number.isNaN(f))) return false;
      const c = compareValues(recordValue, f);
      return op === ">" ? c > 0 : op === ">=" ? c >= 0 : op === "<" ? c < 0 : c <= 0;
    }
    case "like":
    case "notLike": {
      const needle = raw === null || raw === undefined ? "" : String(raw).toLowerCase();
      const hit = recordValue !== null && String(recordValue).toLowerCase().includes(needle);
      return op === "like" ? hit : !hit;
    }
    case "pattern":
      return recordValue !== null && likeToRegExp(String(raw ?? "")).test(String(recordValue));
  }
}

/** Multi-fields match item VALUEs; only exact matches (plus the explicit LIKE operators). */
function matchMulti(items: unknown, op: FilterOp, raw: unknown): boolean {
  const values: Scalar[] = Array.isArray(items)
    ? items.map((i) => (isPlainObject(i) && i.VALUE !== undefined ? String(i.VALUE) : null))
    : [];
  const positive = op === "!=" ? "=" : op === "notIn" ? "in" : op === "notLike" ? "like" : op;
  const any = values.some((v) => matchScalar("string", v, positive, raw));
  return positive === op ? any : !any;
}

export function matchesFilter(
  record: Record<string, unknown>,
  conditions: readonly FilterCondition[],
  kindOf: KindOf,
): boolean {
  for (const { field, op, value } of conditions) {
    const kind = kindOf(field);
    if (kind === undefined) continue;
    if (kind === "multi") {
      if (!matchMulti(record[field], op, value)) return false;
      continue;
    }
    if (!matchScalar(kind, coerce(kind, record[field]), op, value)) return false;
  }
  return true;
}

export interface OrderTerm {
  field: string;
  desc: boolean;
}

export function parseOrder(order: unknown, kindOf: KindOf): OrderTerm[] {
  if (!isPlainObject(order)) return [];
  const terms: OrderTerm[] = [];
  for (const [field, dir] of Object.entries(order)) {
    const kind = kindOf(field);
    if (kind === undefined || kind === "multi") continue;
    terms.push({ field, desc: String(dir).toUpperCase() === "DESC" });
  }
  return terms;
}

/** Stable sort by the terms, then by ID ascending (the implicit tiebreaker). */
export function sortRecords<T extends Record<string, unknown>>(records: T[], terms: readonly OrderTerm[], kindOf: KindOf): T[] {
  const all = terms.some((t) => t.field === "ID") ? terms : [...terms, { field: "ID", desc: false }];
  return [...records].sort((a, b) => {
    for (const { field, desc } of all) {
      const kind = kindOf(field) ?? "string";
      const c = compareValues(coerce(kind, a[field]), coerce(kind, b[field]));
      if (c !== 0) return desc ? -c : c;
    }
    return 0;
  });
}

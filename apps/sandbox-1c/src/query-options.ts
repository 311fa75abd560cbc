import { ODataError, odataErrors } from "./odata-error";
import type { FieldSpec } from "./metadata";

/**
 * Query-string handling the way 1C does it: `%XX` is UTF-8 percent-decoding and `+` stays a
 * literal plus (the platform does not treat it as a space, unlike form encoding).
 */
export function parseQueryString(raw: string): Map<string, string> {
  const out = new Map<string, string>();
  if (raw === "") return out;
  for (const part of raw.split("&")) {
    if (part === "") continue;
    const eq = part.indexOf("=");
    const key = eq === -1 ? part : part.slice(0, eq);
    const value = eq === -1 ? "" : part.slice(eq + 1);
    out.set(strictDecode(key), strictDecode(value));
  }
  return out;
}

export function strictDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new ODataError(400, "14", "Неправильная кодировка URL");
  }
}

export interface OrderKey {
  field: string;
  descending: boolean;
}

/** `$select=A,B` — every name must exist; the error echoes it like the platform does. */
export function parseSelect(text: string, fields: readonly FieldSpec[], tabular: readonly string[]): string[] | null {
  const trimmed = text.trim();
  if (trimmed === "" || trimmed === "*") return null;
  return trimmed.split(",").map((part) => {
    const name = part.trim();
    if (!fields.some((f) => f.name === name) && !tabular.includes(name)) throw odataErrors.unknownField(name);
    return name;
  });
}

/** `$orderby=Date desc,Number` — unknown fields are echoed in the error (code 6). */
export function parseOrderBy(text: string, fields: readonly FieldSpec[]): OrderKey[] {
  return text
    .split(",")
    .map((part) => part.trim())
    .filter((part) => part !== "")
    .map((part) => {
      const [name = "", dir, ...rest] = part.split(/ +/);
      if (rest.length > 0 || (dir !== undefined && dir !== "asc" && dir !== "desc")) {
        throw new ODataError(400, "14", `Ошибка разбора выражения $orderby: ${part}`);
      }
      if (!fields.some((f) => f.name === name)) throw odataErrors.unknownField(name);
      return { field: name, descending: dir === "desc" };
    });
}

export function parseCount(text: string, option: string): number {
  if (!/^\d{1,9}$/.test(text.trim())) throw odataErrors.unparsable(text, `Edm.Int32 (${option})`);
  return Number(text.trim());
}

const collator = new Intl.Collator("ru", { sensitivity: "accent", numeric: false });

export function compareForOrder(a: unknown, b: unknown): number {
  if (a === b) return 0;
  if (a === undefined || a === null) return -1;
  if (b === undefined || b === null) return 1;
  if (typeof a === "number" && typeof b === "number") return a - b;
  if (typeof a === "boolean" && typeof b === "boolean") return Number(a) - Number(b);
  return collator.compare(String(a), String(b));
}

export function sortRecords<T extends Record<string, unknown>>(records: T[], keys: OrderKey[]): T[] {
  if (keys.length === 0) return records;
  return [...records].sort((x, y) => {
    for (const key of keys) {
      const c = compareForOrder(x[key.field], y[key.field]);
      if (c !== 0) return key.descending ? -c : c;
    }
    return 0;
  });
}

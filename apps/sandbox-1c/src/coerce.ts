import { ODataError, odataErrors } from "./odata-error";
import { EMPTY_DATE, type FieldSpec, type TabularSpec } from "./metadata";
import { EMPTY_GUID, isGuid } from "./guid";

/**
 * Turning a JSON body into field values with the platform's quirks (probe P8): unknown fields
 * are ignored, a string in a numeric field is ignored, long strings are truncated, a bad GUID /
 * Boolean / enum value is rejected with 400 code 1 echoing the value, an array where a scalar is
 * expected is an internal error (500 code -1).
 */

export type Coerced = { set: true; value: unknown } | { set: false };

const DATETIME_RE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d{1,7})?$/;

const internalOData = (): ODataError =>
  odataErrors.internal("Произошла внутренняя ошибка OData сервиса. Ошибка преобразования данных XDTO");

export function defaultValue(field: FieldSpec): unknown {
  if (field.defaultValue !== undefined) return field.defaultValue;
  switch (field.type) {
    case "guid":
      return EMPTY_GUID;
    case "string":
    case "enum":
      return "";
    case "boolean":
      return false;
    case "double":
    case "int64":
      return 0;
    case "datetime":
      return EMPTY_DATE;
  }
}

function truncate(value: string, max: number | undefined): string {
  if (max === undefined) return value;
  const chars = [...value];
  return chars.length > max ? chars.slice(0, max).join("") : value;
}

export function coerceField(field: FieldSpec, raw: unknown): Coerced {
  if (raw === undefined || raw === null) return { set: false };
  if (typeof raw === "object") throw internalOData();
  switch (field.type) {
    case "guid":
      if (typeof raw === "string" && isGuid(raw)) return { set: true, value: raw.toLowerCase() };
      throw odataErrors.unparsable(String(raw), "Edm.Guid");
    case "string":
      return { set: true, value: truncate(String(raw), field.maxLength) };
    case "boolean":
      if (typeof raw === "boolean") return { set: true, value: raw };
      throw odataErrors.unparsable(String(raw), "Edm.Boolean");
    case "double":
      // A string sent to a numeric field is silently ignored by the platform.
      return typeof raw === "number" && Number.isFinite(raw) ? { set: true, value: raw } : { set: false };
    case "int64":
      return typeof raw === "number" && Number.isInteger(raw) ? { set: true, value: raw } : { set: false };
    case "datetime": {
      // Edm.DateTime has no time zone in 1C: a value with Z or an offset is not accepted here.
      const m = typeof raw === "string" ? DATETIME_RE.exec(raw) : null;
      if (!m) throw odataErrors.unparsable(String(raw), "Edm.DateTime");
      return { set: true, value: `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}` };
    }
    case "enum": {
      if (typeof raw === "string" && (raw === "" || (field.values ?? []).includes(raw))) return { set: true, value: raw };
      throw new ODataError(400, "1", `Не удалось разобрать строку '${String(raw)}' как значение перечисления ${field.enumName ?? field.name}!`);
    }
  }
}

/** Applies the writable fields present in `body` onto `target`. */
export function applyFields(fields: readonly FieldSpec[], target: Record<string, unknown>, body: Record<string, unknown>): void {
  for (const field of fields) {
    if (field.readOnly || !(field.name in body)) continue;
    const result = coerceField(field, body[field.name]);
    if (result.set) target[field.name] = result.value;
  }
}

export type TabularRow = Record<string, unknown> & { LineNumber: number };

/**
 * A tabular part from a POST/PATCH body. Every row needs `LineNumber` (else 500 code -1); rows are
 * stored in LineNumber order and renumbered 1..n, as the platform keeps them.
 */
export function coerceTabular(part: TabularSpec, raw: unknown): TabularRow[] {
  if (!Array.isArray(raw)) throw internalOData();
  const rows = raw.map((item: unknown) => {
    if (typeof item !== "object" || item === null || Array.isArray(item)) throw internalOData();
    const body = item as Record<string, unknown>;
    const line = body.LineNumber;
    const lineNumber = typeof line === "number" ? line : typeof line === "string" && /^\d+$/.test(line) ? Number(line) : NaN;
    if (!Number.isInteger(lineNumber)) {
      throw odataErrors.internal(
        `Произошла внутренняя ошибка OData сервиса. Не задано значение ключевого свойства LineNumber табличной части ${part.name}`,
      );
    }
    const row: Record<string, unknown> = {};
    for (const field of part.fields) row[field.name] = defaultValue(field);
    applyFields(part.fields, row, body);
    return { ...row, LineNumber: lineNumber } as TabularRow;
  });
  rows.sort((a, b) => a.LineNumber - b.LineNumber);
  return rows.map((row, i) => ({ ...row, LineNumber: i + 1 }));
}

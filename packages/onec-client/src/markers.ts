import { ONEC_MARKER_PROPERTY } from "@concord/contracts";
import { odataString, type OnecRecord } from "./client";
type Row = Record<string, unknown>;

/**
 * Where Concord keeps the inverse id of a counterparty or partner it creates: an additional
 * attribute (`ДополнительныеРеквизиты`, the BSP's own place for data a program adds) whose
 * property the `docs/1c` extension creates with a fixed Ref_Key (ONEC_MARKER_PROPERTY) — not `Комментарий`, which
 * people write in. Earlier versions wrote the marker in `Комментарий`: it is still found there,
 * and moved on the record's next write.
 */
export const MARKER_PROPERTY = ONEC_MARKER_PROPERTY;

const rowsOf = (record: OnecRecord): Row[] => (Array.isArray(record.ДополнительныеРеквизиты) ? (record.ДополнительныеРеквизиты as Row[]) : []);

/** The marker row to write on a new record. */
export function markerRows(marker: string): Row[] {
  return [{ LineNumber: 1, Свойство_Key: MARKER_PROPERTY, Значение: marker, Значение_Type: "Edm.String", ТекстоваяСтрока: "" }];
}

/** OData filters that find a record by its marker: the attribute first, then the legacy comment. */
export function markerFilters(marker: string): string[] {
  return [`ДополнительныеРеквизиты/any(d: d/Свойство_Key eq guid'${MARKER_PROPERTY}' and d/Значение eq ${odataString(marker)})`, `Комментарий eq ${odataString(marker)}`];
}

/** The Concord marker a record carries, in the attribute or (legacy) the comment. */
export function markerOf(record: OnecRecord): string | null {
  const row = rowsOf(record).find((r) => String(r.Свойство_Key).toLowerCase() === MARKER_PROPERTY);
  if (row && typeof row.Значение === "string" && row.Значение.startsWith("concord:")) return row.Значение;
  const comment = typeof record.Комментарий === "string" ? record.Комментарий : "";
  return comment.startsWith("concord:") ? comment : null;
}

/**
 * The changes that move a legacy marker out of `Комментарий` into the attribute (the other
 * attribute rows stay); nothing when the record already has it there or carries another text.
 */
export function markerMigration(record: OnecRecord, marker: string): Record<string, unknown> {
  const rows = rowsOf(record);
  if (rows.some((r) => String(r.Свойство_Key).toLowerCase() === MARKER_PROPERTY)) return {};
  if (record.Комментарий !== marker) return {};
  const kept = [...rows].sort((a, b) => Number(a.LineNumber) - Number(b.LineNumber));
  return { Комментарий: "", ДополнительныеРеквизиты: [...kept, ...markerRows(marker)].map((r, i) => ({ ...r, LineNumber: i + 1 })) };
}

/**
 * A record Concord linked by business keys or a person's decision gets the marker too (the other
 * attribute rows stay), so the pair can be rebuilt from the records; nothing when it has one.
 */
export function markerAdded(record: OnecRecord, marker: string): Record<string, unknown> {
  const rows = rowsOf(record);
  if (rows.some((r) => String(r.Свойство_Key).toLowerCase() === MARKER_PROPERTY)) return {};
  const kept = [...rows].sort((a, b) => Number(a.LineNumber) - Number(b.LineNumber));
  return { ДополнительныеРеквизиты: [...kept, ...markerRows(marker)].map((r, i) => ({ ...r, LineNumber: i + 1 })) };
}

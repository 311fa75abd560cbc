// PHONE / EMAIL / WEB / IM: lists of {ID, VALUE_TYPE, VALUE, TYPE_ID}.
// On update an item WITHOUT an ID is appended (the classic trap: "update" of a phone duplicates it);
// {ID, VALUE} changes that item; {ID, DELETE:"Y"} or an empty VALUE deletes it.

import { isPlainObject } from "./params";

export const MULTI_FIELD_TYPES = ["PHONE", "EMAIL", "WEB", "IM"] as const;
export type MultiFieldType = (typeof MULTI_FIELD_TYPES)[number];

export interface MultiFieldItem {
  ID: number;
  VALUE_TYPE: string;
  VALUE: string;
  TYPE_ID: MultiFieldType;
}

function itemsOf(input: unknown): Record<string, unknown>[] {
  if (Array.isArray(input)) return input.filter(isPlainObject);
  if (isPlainObject(input)) {
    // A single item, or a map keyed by something other than integers (e.g. "n0").
    if ("VALUE" in input || "ID" in input) return [input];
    return Object.values(input).filter(isPlainObject);
  }
  return [];
}

const isEmpty = (v: unknown): boolean => v === undefined || v === null || String(v).trim() === "";

/**
 * Applies written items to the current list and returns the new list (the input is not mutated).
 * `mode: "add"` ignores IDs (everything is new); `"update"` merges as described above.
 */
export function mergeMultiField(
  current: readonly MultiFieldItem[],
  input: unknown,
  typeId: MultiFieldType,
  nextId: () => number,
  mode: "add" | "update",
): MultiFieldItem[] {
  const result = current.map((item) => ({ ...item }));
  for (const raw of itemsOf(input)) {
    const id = mode === "update" && !isEmpty(raw.ID) ? Number(raw.ID) : null;
    if (id !== null) {
      const index = result.findIndex((item) => item.ID === id);
      // An ID that is not ours is ignored, like the real portal does for foreign ids.
      if (index < 0) continue;
      const deleting = String(raw.DELETE ?? "").toUpperCase() === "Y" || ("VALUE" in raw && isEmpty(raw.VALUE));
      if (deleting) {
        result.splice(index, 1);
        continue;
      }
      const existing = result[index] as MultiFieldItem;
      if (!isEmpty(raw.VALUE)) existing.VALUE = String(raw.VALUE).trim();
      if (!isEmpty(raw.VALUE_TYPE)) existing.VALUE_TYPE = String(raw.VALUE_TYPE);
      continue;
    }
    if (isEmpty(raw.VALUE)) continue;
    result.push({
      ID: nextId(),
      VALUE_TYPE: isEmpty(raw.VALUE_TYPE) ? "WORK" : String(raw.VALUE_TYPE),
      VALUE: String(raw.VALUE).trim(),
      TYPE_ID: typeId,
    });
  }
  return result;
}

/** The REST shape: ID as a string, key order as the portal returns it. */
export function multiFieldToRest(items: readonly MultiFieldItem[]): Array<Record<string, string>> {
  return items.map((i) => ({ ID: String(i.ID), VALUE_TYPE: i.VALUE_TYPE, VALUE: i.VALUE, TYPE_ID: i.TYPE_ID }));
}

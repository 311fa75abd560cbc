import { createHash } from "node:crypto";
import type { Rec } from "./clients";

/**
 * What Concord does not own on a 1C record, as the workload set it: the 1C manager's values of
 * header fields, row columns and contact rows the policy leaves to 1C (issue 9). Each write of
 * the manager is recorded from 1C's answer (the stored object and its `DataVersion`), so the
 * last write wins per record and field exactly as 1C ordered them. Invariant 8 compares every
 * recorded value with what 1C holds after the drain.
 *
 * Rows have no identity of their own in 1C (it renumbers `LineNumber`), so a row column is
 * recorded by product and occurrence — the n-th row of that product — which is how Concord
 * matches rows. A CRM edit may remove a row (the CRM owns the lines), so the workload also keeps
 * every version of each pair's CRM rows: a row column is expected only while the CRM kept its row.
 */

export type UnownedSet = "order" | "counterparty";

export interface UnownedValue {
  set: UnownedSet;
  /** Ref_Key of the 1C record, lower case. */
  ref: string;
  /** A header field, `Товары[<article>#<n>].<column>` or `КонтактнаяИнформация[<Тип>].<column>`. */
  field: string;
  value: unknown;
  /** The record's write counter after the manager's write (decoded `DataVersion`). */
  version: number;
  /** When 1C answered the manager's write (ms since the epoch). */
  at: number;
  /** For a row column: the row's product article and occurrence. */
  row?: { sku: string; occurrence: number };
}

/** One version of a pair's CRM rows: the articles (1C-born: as the manager created them) or CRM product ids, in order. */
export interface CrmRowsVersion {
  at: number;
  /** Set on a 1C-born order's first version (its own lines) … */
  order?: string;
  skus?: string[];
  /** … and on every CRM rows edit of a deal. */
  deal?: string;
  crmProductIds?: string[];
}

export interface UnownedLedger {
  /** Records the fields a manager's write set, read back from 1C's answer to it. */
  record(set: UnownedSet, stored: Rec, fields: string[], skuOf: (productRef: string) => string | undefined): void;
  crmRows(version: CrmRowsVersion): void;
  /** Successful writes of the manager per 1C record (Ref_Key, lower case): invariant 7 tells them from Concord's. */
  managerWrites(ref: string): number;
  values(): UnownedValue[];
  rowsHistory(): CrmRowsVersion[];
}

/** `DataVersion` is a big-endian write counter in base64 (8 bytes). */
export function decodeDataVersion(value: unknown): number {
  const bytes = Buffer.from(String(value ?? ""), "base64");
  if (bytes.length !== 8) return -1;
  return Number(bytes.readBigUInt64BE(0));
}

/** Occurrence labels of rows in order: `SKU-003#1`, `SKU-003#2`, … */
export function occurrences(skus: readonly string[]): string[] {
  const seen = new Map<string, number>();
  return skus.map((sku) => {
    const n = (seen.get(sku) ?? 0) + 1;
    seen.set(sku, n);
    return `${sku}#${n}`;
  });
}

const ROW_FIELD = /^Товары\[(.+)#(\d+)\]\.(.+)$/;
const CONTACT_FIELD = /^КонтактнаяИнформация\[(.+)\]\.(.+)$/;

/** The value a field has on a stored 1C record (for rows and contacts, the addressed row's column), or undefined when the row is gone. */
export function readField(stored: Rec, field: string, skuOf: (productRef: string) => string | undefined): unknown {
  const row = ROW_FIELD.exec(field);
  if (row) {
    const [, sku, n, column] = row as unknown as [string, string, string, string];
    const rows = (stored.Товары as Rec[] | undefined) ?? [];
    const labels = occurrences(rows.map((r) => skuOf(String(r.Номенклатура_Key).toLowerCase()) ?? `?${String(r.Номенклатура_Key)}`));
    const at = labels.indexOf(`${sku}#${n}`);
    return at < 0 ? undefined : (rows[at] as Rec)[column];
  }
  const contact = CONTACT_FIELD.exec(field);
  if (contact) {
    const [, type, column] = contact as unknown as [string, string, string];
    const found = ((stored.КонтактнаяИнформация as Rec[] | undefined) ?? []).find((r) => r.Тип === type);
    return found === undefined ? undefined : found[column];
  }
  return stored[field];
}

export function rowOfField(field: string): { sku: string; occurrence: number } | undefined {
  const m = ROW_FIELD.exec(field);
  return m ? { sku: m[1] as string, occurrence: Number(m[2]) } : undefined;
}

export function createUnownedLedger(): UnownedLedger {
  const latest = new Map<string, UnownedValue>();
  const writes = new Map<string, number>();
  const history: CrmRowsVersion[] = [];
  return {
    record(set, stored, fields, skuOf) {
      const ref = String(stored.Ref_Key).toLowerCase();
      const version = decodeDataVersion(stored.DataVersion);
      writes.set(ref, (writes.get(ref) ?? 0) + 1);
      const at = Date.now();
      for (const field of fields) {
        const key = `${ref}|${field}`;
        const known = latest.get(key);
        if (known && known.version > version) continue;
        const row = rowOfField(field);
        latest.set(key, { set, ref, field, value: readField(stored, field, skuOf) ?? null, version, at, ...(row ? { row } : {}) });
      }
    },
    crmRows: (version) => void history.push(version),
    managerWrites: (ref) => writes.get(ref.toLowerCase()) ?? 0,
    values: () => [...latest.values()],
    rowsHistory: () => [...history],
  };
}

/** A stable GUID for the workload's own reference values (warehouses, characteristics): broken links, as on a selective publication. */
export function chaosGuid(...parts: Array<string | number>): string {
  const h = createHash("sha1").update(["chaos", ...parts].join(":")).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

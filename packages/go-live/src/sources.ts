import { toBatchCommand, type Bitrix24Client, type Bitrix24Record } from "@concord/bitrix24-client";
import { withCallRetry } from "@concord/contracts";
import type { OnecClient, OnecRecord } from "@concord/onec-client";
import { fromCompany, fromContact, fromCounterparty, fromCrmProduct, fromDeal, fromOnecOrder, fromOnecProduct, fromRequisite, type ListName } from "./records";

/** One list of one system, read page by page from an offset (the checkpoint). */
export interface ListSource {
  /** How many records the list holds now (an estimate for progress; null when unknown). */
  total(): Promise<number | null>;
  /** The records from `offset` on (one request), and the next offset, or null at the end. */
  page(offset: number): Promise<{ records: unknown[]; next: number | null }>;
}

export interface Counters {
  bitrix24: number;
  onec: number;
}

const B24_PAGE = 50;

/**
 * A Bitrix24 list by offset (`start`), sorted by ID: the first page alone (it gives `total`),
 * then up to `pagesPerBatch` pages per `batch` request — 2,500 records for one request of the
 * portal's limit. A page shorter than 50 ends the list.
 */
function bitrix24List(client: Bitrix24Client, counters: Counters, method: string, params: Record<string, unknown>, map: (r: Bitrix24Record) => unknown, pagesPerBatch: number): ListSource {
  const base = { ...params, order: { ID: "ASC" } };
  const call = async <T>(m: string, p: Record<string, unknown>) => {
    counters.bitrix24 += 1;
    return withCallRetry(() => client.call<T>(m, p));
  };
  return {
    async total() {
      const first = await call<{ total?: number }>(method, { ...base, select: ["ID"], start: 0 });
      return typeof first.total === "number" ? first.total : null;
    },
    async page(offset) {
      const clean = (rows: Bitrix24Record[]) => rows.map(map).filter((r) => r !== null);
      if (pagesPerBatch <= 1 || offset === 0) {
        const reply = await call<{ result: Bitrix24Record[] }>(method, { ...base, start: offset });
        return { records: clean(reply.result), next: reply.result.length < B24_PAGE ? null : offset + B24_PAGE };
      }
      const keys = Array.from({ length: pagesPerBatch }, (_, i) => `p${i}`);
      const commands = keys.map((_, i) => toBatchCommand(method, { ...base, start: offset + i * B24_PAGE }));
      if (commands.some((c) => c === null)) throw new Error(`bitrix24 ${method}: its parameters cannot be sent inside a batch`);
      const cmd = Object.fromEntries(keys.map((key, i) => [key, commands[i]]));
      const reply = await call<{ result: { result: Record<string, Bitrix24Record[]> | unknown[]; result_error: Record<string, { error_description?: string }> | unknown[] } }>("batch", { halt: 1, cmd });
      const errors = Array.isArray(reply.result.result_error) ? {} : reply.result.result_error;
      const failed = Object.entries(errors)[0];
      if (failed) throw new Error(`bitrix24 ${method} in a batch: ${failed[1].error_description ?? "failed"}`);
      const parts = Array.isArray(reply.result.result) ? {} : reply.result.result;
      const records: unknown[] = [];
      for (const [i, key] of keys.entries()) {
        const rows = parts[key] ?? [];
        records.push(...clean(rows));
        if (rows.length < B24_PAGE) return { records, next: null };
        if (i === keys.length - 1) return { records, next: offset + keys.length * B24_PAGE };
      }
      return { records, next: null };
    },
  };
}

/** A 1C set by `$top/$skip`, sorted by Ref_Key; `/$count` for progress. */
function onecList(onec: OnecClient, counters: Counters, set: string, pageSize: number, select: string[] | undefined, map: (r: OnecRecord) => unknown): ListSource {
  return {
    async total() {
      counters.onec += 1;
      return onec.count(set);
    },
    async page(offset) {
      counters.onec += 1;
      const rows = await onec.list(set, { top: pageSize, skip: offset, orderby: "Ref_Key", ...(select ? { select } : {}) });
      return { records: rows.map(map), next: rows.length < pageSize ? null : offset + pageSize };
    },
  };
}

export const OnecSets = { counterparty: "Catalog_Контрагенты", product: "Catalog_Номенклатура", order: "Document_ЗаказКлиента" } as const;

/** Every list the tools read, by name. */
export function createSources(deps: { crm: Bitrix24Client; onec: OnecClient; counters: Counters; skuField: string; onecPageSize: number; b24PagesPerBatch: number }): Record<ListName, ListSource> {
  const { crm, onec, counters, skuField, onecPageSize, b24PagesPerBatch } = deps;
  const b24 = (method: string, select: string[], map: (r: Bitrix24Record) => unknown, filter: Record<string, unknown> = {}) =>
    bitrix24List(crm, counters, method, { select, ...(Object.keys(filter).length > 0 ? { filter } : {}) }, map, b24PagesPerBatch);
  return {
    "bitrix24.company": b24("crm.company.list", ["ID", "TITLE", "EMAIL", "PHONE", "ORIGINATOR_ID", "ORIGIN_ID"], fromCompany),
    "bitrix24.contact": b24("crm.contact.list", ["ID", "NAME", "LAST_NAME", "EMAIL", "PHONE", "ORIGINATOR_ID", "ORIGIN_ID"], fromContact),
    "bitrix24.requisite": b24("crm.requisite.list", ["ID", "ENTITY_TYPE_ID", "ENTITY_ID", "RQ_INN", "RQ_KPP"], fromRequisite),
    "bitrix24.product": b24("crm.product.list", ["ID", "NAME", skuField], (r) => fromCrmProduct(r, skuField)),
    "bitrix24.deal": b24("crm.deal.list", ["ID", "TITLE", "ORIGINATOR_ID", "ORIGIN_ID"], fromDeal),
    // Counterparties whole: their contact information and additional attributes are tabular parts.
    "onec.counterparty": onecList(onec, counters, OnecSets.counterparty, onecPageSize, undefined, fromCounterparty),
    "onec.product": onecList(onec, counters, OnecSets.product, onecPageSize, ["Ref_Key", "Description", "Артикул", "DeletionMark"], fromOnecProduct),
    "onec.order": onecList(onec, counters, OnecSets.order, onecPageSize, ["Ref_Key", "Number", "НомерПоДаннымКлиента", "DeletionMark"], fromOnecOrder),
  };
}

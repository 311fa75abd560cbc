import { BITRIX24_ID, ONEC_REF_KEY } from "@concord/contracts";
import type { RecordLinks } from "./data";

/**
 * Where a person opens a record in either system, and what a search box may be given: an id,
 * a 1C Ref_Key, an order number, an INN, a trace id — or a link copied from either system.
 */

const trimSlash = (base: string) => base.replace(/\/+$/, "");

/** A Bitrix24 record's page: /crm/<deal|company|contact>/details/<id>/ (products have no such page: none). */
export function bitrix24Url(links: RecordLinks, entity: string, id: string): string | null {
  if (!links.bitrix24 || !BITRIX24_ID.test(id) || !["deal", "company", "contact"].includes(entity)) return null;
  return `${trimSlash(links.bitrix24)}/crm/${entity}/details/${id}/`;
}

/** The 1C metadata object of each 1C record kind Concord syncs (UT 11). */
const ONEC_OBJECTS: Record<string, string> = {
  order: "Документ.ЗаказКлиента",
  counterparty: "Справочник.Контрагенты",
  partner: "Справочник.Партнеры",
  product: "Справочник.Номенклатура",
};

/**
 * A Ref_Key as 1C's navigation links write it: the GUID's 32 hex digits with its groups in the
 * platform's storage order (4th, 5th, 3rd, 2nd, 1st) — bc5d1f86-6ae5-11e3-80c4-000c29b8f1f8 is
 * `80c4000c29b8f1f811e36ae5bc5d1f86`, as in `e1cib/data/Документ.РасходТовара?ref=…`.
 */
export function onecLinkRef(guid: string): string {
  const [g1, g2, g3, g4, g5] = guid.toLowerCase().split("-");
  return `${g4}${g5}${g3}${g2}${g1}`;
}

/** The Ref_Key of a navigation link's `ref` (the inverse of onecLinkRef). */
export function guidOfLinkRef(ref: string): string {
  const r = ref.toLowerCase();
  return `${r.slice(24, 32)}-${r.slice(20, 24)}-${r.slice(16, 20)}-${r.slice(0, 4)}-${r.slice(4, 16)}`;
}

/** A 1C record in the web client: `<base>#e1cib/data/<object>?ref=<ref>` (1C's external link form). */
export function onecUrl(links: RecordLinks, entity: string, id: string): string | null {
  const object = ONEC_OBJECTS[entity];
  if (!links.onec || !object || !ONEC_REF_KEY.test(id)) return null;
  return `${trimSlash(links.onec)}/#e1cib/data/${object}?ref=${onecLinkRef(id)}`;
}

/** A record in its own system, whichever that is. */
export function recordUrl(links: RecordLinks, system: string, entity: string, id: string): string | null {
  return system === "bitrix24" ? bitrix24Url(links, entity, id) : system === "onec" ? onecUrl(links, entity, id) : null;
}

/** The trace viewer's page of a trace (CONSOLE_TRACE_URL with {traceId}). */
export function traceUrl(links: RecordLinks, traceId: string | null | undefined): string | null {
  if (!links.trace || !traceId || !TRACE_ID.test(traceId)) return null;
  return links.trace.replace("{traceId}", traceId);
}

export const TRACE_ID = /^[0-9a-f]{32}$/i;
const DEAL_MARKER = /^B24-D-([1-9][0-9]{0,17})$/i;
const B24_LINK = /\/crm\/(deal|company|contact)\/details\/([1-9][0-9]{0,17})\b/;
const ONEC_LINK = /e1cib\/data\/([^?\s]+)\?ref=([0-9a-f]{32})\b/i;

/** What a search box was given. */
export type RecordQuery =
  | { kind: "empty" }
  /** An OpenTelemetry trace id (32 hex digits). */
  | { kind: "trace"; traceId: string }
  /** One record, named exactly: a link from either system, `B24-D-<deal>` (the 1C order's reference to its deal). */
  | { kind: "record"; system: "bitrix24" | "onec"; entity: string | null; id: string; via: "link" | "marker" }
  /** A 1C Ref_Key: an order, a counterparty, a partner or a product. */
  | { kind: "ref"; id: string }
  /**
   * Anything else: an order number (1C Number, e.g. ТД00-000001), an INN (10 or 12 digits) and,
   * when it is one, a Bitrix24 id of any kind (a deal 42 and a company 42 are both found).
   */
  | { kind: "text"; text: string; bitrix24Id: string | null; inn: string | null };

const ONEC_OBJECT_ENTITY: Record<string, string> = Object.fromEntries(Object.entries(ONEC_OBJECTS).map(([entity, object]) => [object, entity]));

/** Reads a search box's text (at most 200 characters are looked at). */
export function parseRecordQuery(input: unknown): RecordQuery {
  const text = typeof input === "string" ? input.trim().slice(0, 200) : "";
  if (text === "") return { kind: "empty" };
  const b24 = B24_LINK.exec(text);
  if (b24) return { kind: "record", system: "bitrix24", entity: b24[1] ?? null, id: b24[2] ?? "", via: "link" };
  const onec = ONEC_LINK.exec(text);
  if (onec) {
    let object = onec[1] ?? "";
    try {
      object = decodeURIComponent(object);
    } catch {
      // As written.
    }
    return { kind: "record", system: "onec", entity: ONEC_OBJECT_ENTITY[object] ?? null, id: guidOfLinkRef(onec[2] ?? ""), via: "link" };
  }
  const marker = DEAL_MARKER.exec(text);
  if (marker) return { kind: "record", system: "bitrix24", entity: "deal", id: marker[1] ?? "", via: "marker" };
  if (ONEC_REF_KEY.test(text)) return { kind: "ref", id: text.toLowerCase() };
  if (TRACE_ID.test(text)) return { kind: "trace", traceId: text.toLowerCase() };
  return { kind: "text", text, bitrix24Id: BITRIX24_ID.test(text) ? text : null, inn: /^(\d{10}|\d{12})$/.test(text) ? text : null };
}

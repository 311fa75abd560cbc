import type { Entity, System } from "@concord/contracts";
import { markerOf, type OnecRecord } from "@concord/onec-client";
import type { Bitrix24Record } from "@concord/bitrix24-client";

/**
 * What the go-live tools keep of each record they read: the ids, what a person recognises it
 * by, its business keys and its inverse ids — nothing else, so a run of 100,000 records per
 * side fits in memory and in its checkpoint pages.
 */

export const GO_LIVE_ENTITIES = ["customers", "products", "orders"] as const;
export type GoLiveEntity = (typeof GO_LIVE_ENTITIES)[number];

export interface Ref {
  system: System;
  entity: Entity;
  id: string;
}
export const refKey = (ref: Ref) => `${ref.system}:${ref.entity}:${ref.id}`;
export const refText = (ref: Ref) => `${ref.system === "onec" ? "1C" : "Bitrix24"} ${ref.entity} ${ref.id}`;

/** A CRM company or contact, or a 1C counterparty. */
export interface CustomerRecord {
  ref: Ref;
  label: string;
  inn: string | null;
  kpp: string | null;
  /** 1C ЮрФизЛицо (null on the CRM side). */
  legalForm: string | null;
  emails: string[];
  phones: string[];
  /** 1C: Concord's marker (`concord:bitrix24:<entity>:<id>`); CRM: the 1C Ref_Key in ORIGIN_ID when ORIGINATOR_ID = 1C. */
  inverse: string | null;
  deleted: boolean;
}

/** A CRM requisite: INN and KPP of a company (ENTITY_TYPE_ID 4) or contact (3). */
export interface RequisiteRecord {
  entity: "company" | "contact";
  entityId: string;
  inn: string | null;
  kpp: string | null;
}

export interface ProductRecord {
  ref: Ref;
  label: string;
  sku: string | null;
  deleted: boolean;
}

/** A deal or a 1C order; `inverse`: 1C НомерПоДаннымКлиента (B24-D-<deal>), or the deal's ORIGIN_ID (ORIGINATOR_ID = 1C). */
export interface OrderRecord {
  ref: Ref;
  label: string;
  inverse: string | null;
  deleted: boolean;
}

/** The lists a run reads, per entity: each is paged and checkpointed on its own. */
export const LISTS = {
  customers: ["bitrix24.company", "bitrix24.contact", "bitrix24.requisite", "onec.counterparty"],
  products: ["bitrix24.product", "onec.product"],
  orders: ["bitrix24.deal", "onec.order"],
} as const satisfies Record<GoLiveEntity, readonly string[]>;
export type ListName = (typeof LISTS)[GoLiveEntity][number];

const str = (v: unknown): string | null => (typeof v === "string" && v.trim() !== "" ? v.trim() : typeof v === "number" ? String(v) : null);
const multi = (v: unknown): string[] =>
  Array.isArray(v) ? v.map((item) => str((item as { VALUE?: unknown }).VALUE)).filter((x): x is string => x !== null) : [];
const crmInverse = (r: Bitrix24Record) => (str(r.ORIGINATOR_ID) === "1C" ? (str(r.ORIGIN_ID)?.toLowerCase() ?? null) : null);
const cut = (text: string) => text.slice(0, 200);

export function fromCompany(r: Bitrix24Record): CustomerRecord {
  return { ref: { system: "bitrix24", entity: "company", id: String(r.ID) }, label: cut(`«${str(r.TITLE) ?? ""}»`), inn: null, kpp: null, legalForm: null, emails: multi(r.EMAIL), phones: multi(r.PHONE), inverse: crmInverse(r), deleted: false };
}

export function fromContact(r: Bitrix24Record): CustomerRecord {
  const name = [str(r.LAST_NAME), str(r.NAME)].filter(Boolean).join(" ");
  return { ref: { system: "bitrix24", entity: "contact", id: String(r.ID) }, label: cut(`«${name}»`), inn: null, kpp: null, legalForm: null, emails: multi(r.EMAIL), phones: multi(r.PHONE), inverse: crmInverse(r), deleted: false };
}

export function fromRequisite(r: Bitrix24Record): RequisiteRecord | null {
  const type = Number(r.ENTITY_TYPE_ID);
  if (type !== 4 && type !== 3) return null;
  return { entity: type === 4 ? "company" : "contact", entityId: String(r.ENTITY_ID), inn: str(r.RQ_INN), kpp: str(r.RQ_KPP) };
}

export function fromCounterparty(r: OnecRecord): CustomerRecord {
  const contacts = Array.isArray(r.КонтактнаяИнформация) ? (r.КонтактнаяИнформация as Array<Record<string, unknown>>) : [];
  const of = (type: string) => contacts.filter((c) => c.Тип === type).map((c) => str(c.Представление)).filter((x): x is string => x !== null);
  const inn = str(r.ИНН);
  const kpp = str(r.КПП);
  return {
    ref: { system: "onec", entity: "counterparty", id: r.Ref_Key.toLowerCase() },
    label: cut(`«${str(r.Description) ?? ""}»${inn ? ` ИНН ${inn}${kpp ? `/${kpp}` : ""}` : ""}`),
    inn,
    kpp,
    legalForm: str(r.ЮрФизЛицо),
    emails: of("АдресЭлектроннойПочты"),
    phones: of("Телефон"),
    inverse: markerOf(r),
    deleted: r.DeletionMark === true,
  };
}

/** Requisites carry the CRM side's INN and KPP (the first requisite of a record counts, as in the live flow). */
export function withRequisites(customers: CustomerRecord[], requisites: RequisiteRecord[]): CustomerRecord[] {
  const first = new Map<string, RequisiteRecord>();
  for (const r of requisites) if (!first.has(`${r.entity}:${r.entityId}`)) first.set(`${r.entity}:${r.entityId}`, r);
  return customers.map((c) => {
    const r = first.get(`${c.ref.entity}:${c.ref.id}`);
    return r ? { ...c, inn: r.inn, kpp: r.kpp, label: cut(`${c.label}${r.inn ? ` ИНН ${r.inn}${r.kpp ? `/${r.kpp}` : ""}` : ""}`) } : c;
  });
}

export function fromCrmProduct(r: Bitrix24Record, skuField: string): ProductRecord {
  return { ref: { system: "bitrix24", entity: "product", id: String(r.ID) }, label: cut(`«${str(r.NAME) ?? ""}»`), sku: str(r[skuField]), deleted: false };
}

export function fromOnecProduct(r: OnecRecord): ProductRecord {
  return { ref: { system: "onec", entity: "product", id: r.Ref_Key.toLowerCase() }, label: cut(`«${str(r.Description) ?? ""}»`), sku: str(r.Артикул), deleted: r.DeletionMark === true };
}

export function fromDeal(r: Bitrix24Record): OrderRecord {
  return { ref: { system: "bitrix24", entity: "deal", id: String(r.ID) }, label: cut(`«${str(r.TITLE) ?? ""}»`), inverse: crmInverse(r), deleted: false };
}

export function fromOnecOrder(r: OnecRecord): OrderRecord {
  return { ref: { system: "onec", entity: "order", id: r.Ref_Key.toLowerCase() }, label: cut(`№ ${str(r.Number) ?? "?"}`), inverse: str(r.НомерПоДаннымКлиента), deleted: r.DeletionMark === true };
}

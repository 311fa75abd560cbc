import { applyFields, coerceTabular, defaultValue, type TabularRow } from "./coerce";
import { encodeDataVersion } from "./data-version";
import { deterministicGuid, newGuid } from "./guid";
import { localDateTime } from "./local-time";
import { fillOrderForm } from "./manager-form";
import { ENTITY_SETS, VERSION_CHECK_SETS, entitySets, type EntitySetSpec } from "./metadata";
import { type ODataError, odataErrors } from "./odata-error";
import { orderPostingError } from "./posting-check";
import { documentTotal } from "./vat";
import { checkExpectedVersion } from "./version-check";

/** One stored object: its field values (tabular parts as arrays of rows) and its write counter. */
export interface StoredObject {
  data: Record<string, unknown>;
  version: number;
}

/** What a committed write produced, for the change notification. */
export interface ChangeEvent {
  object: string;
  ref: string;
  /** DataVersion after the write; null when the object was deleted. */
  dataVersion: string | null;
  deleted: boolean;
  /** ISO-8601 UTC instant of the commit. */
  occurredAt: string;
}

export interface WriteResult {
  object: StoredObject;
  change: ChangeEvent;
}

/** Business rejection rule (simulates a ПередЗаписью/ПриЗаписи handler refusing a write). */
export interface RejectRule {
  set: string;
  when: { field: string; contains?: string; equals?: unknown };
  message: string;
}

export interface WriteOptions {
  /** Reject rules run for writes through OData only; admin edits are the "manager" and skip them. */
  applyRules: boolean;
  /** The write comes through UT 11's form (admin edits): it fills an order's defaults where empty. */
  managerForm?: boolean;
}

export interface StoreOptions {
  now?: () => Date;
  /** IANA zone of the base's wall time (Edm.DateTime has no zone). */
  timeZone?: string;
  /** Concord's extension with its version check is installed. */
  versionCheck?: boolean;
}

const SEED_PRODUCTS: ReadonlyArray<readonly [string, string]> = [
  ["SKU-001", "Бумага офисная А4, 500 листов"],
  ["SKU-002", "Ручка шариковая синяя"],
  ["SKU-003", "Степлер металлический №24"],
  ["SKU-004", "Папка-регистратор 75 мм"],
  ["SKU-005", "Маркер текстовыделитель жёлтый"],
  ["SKU-006", "Тетрадь 96 листов, клетка"],
  ["SKU-007", "Калькулятор настольный 12 разрядов"],
  ["SKU-008", "Скрепки 28 мм, 100 шт"],
  ["SKU-009", "Клей-карандаш 21 г"],
  ["SKU-010", "Ножницы офисные 18 см"],
  ["SKU-011", "Картридж лазерный чёрный"],
  ["SKU-012", "Блок для записей 9×9 см"],
];

/** Reference keys the seeded products point at (those catalogs are not published: broken links, as on a real base). */
export const SEED_UNIT_KEY = deterministicGuid("Catalog_УпаковкиЕдиницыИзмерения:шт");
export const SEED_PRODUCT_KIND_KEY = deterministicGuid("Catalog_ВидыНоменклатуры:Товар");

/**
 * Reference objects of a typical base (organisation, agreement, warehouse, currency). Their
 * catalogs are not published, so only the keys exist; the policy file and the manager's form use
 * these exact GUIDs.
 */
export const SEED_REFS = {
  organisation: deterministicGuid("Catalog_Организации:Основная"),
  agreement: deterministicGuid("Catalog_СоглашенияСКлиентами:Основное"),
  warehouse: deterministicGuid("Catalog_Склады:Основной"),
  currency: deterministicGuid("Catalog_Валюты:RUB"),
} as const;

export function productRefForArticle(article: string): string {
  return deterministicGuid(`Catalog_Номенклатура:${article}`);
}

function pad(n: number, digits: number): string {
  return String(n).padStart(digits, "0");
}

export class Store {
  private readonly sets = new Map<string, Map<string, StoredObject>>();
  private readonly counters = new Map<string, number>();
  rejectRules: RejectRule[] = [];
  /** Concord's extension installed: orders and counterparties carry VERSION_CHECK_ATTRIBUTE. Kept by reset(). */
  versionCheck: boolean;
  private readonly now: () => Date;
  private readonly timeZone: string;

  constructor(options: StoreOptions = {}) {
    this.now = options.now ?? (() => new Date());
    this.timeZone = options.timeZone ?? "Europe/Moscow";
    this.versionCheck = options.versionCheck ?? false;
    for (const name of ENTITY_SETS.keys()) this.sets.set(name, new Map());
    this.seedProducts();
  }

  /** Drops documents, counterparties, partners and non-seed products; re-seeds the products. */
  reset(): void {
    for (const map of this.sets.values()) map.clear();
    this.counters.clear();
    this.rejectRules = [];
    this.seedProducts();
  }

  private seedProducts(): void {
    const spec = this.spec("Catalog_Номенклатура");
    const map = this.objects(spec.name);
    SEED_PRODUCTS.forEach(([article, name], i) => {
      const data = this.defaults(spec);
      const ref = productRefForArticle(article);
      Object.assign(data, {
        Ref_Key: ref,
        Code: pad(i + 1, spec.numbering.digits),
        Description: name,
        НаименованиеПолное: name,
        Артикул: article,
        ЕдиницаИзмерения_Key: SEED_UNIT_KEY,
        ВидНоменклатуры_Key: SEED_PRODUCT_KIND_KEY,
      });
      map.set(ref, { data: { ...data, DataVersion: encodeDataVersion(0) }, version: 0 });
    });
    this.counters.set(spec.name, SEED_PRODUCTS.length);
  }

  /** The base's wall time now, as Edm.DateTime. */
  localNow(): string {
    return localDateTime(this.now(), this.timeZone);
  }

  /** The published sets as they are now (with the extension's attribute when it is installed). */
  publishedSets(): ReadonlyMap<string, EntitySetSpec> {
    return entitySets(this.versionCheck);
  }

  spec(set: string): EntitySetSpec {
    const spec = this.publishedSets().get(set);
    if (!spec) throw odataErrors.unknownSet(set);
    return spec;
  }

  private objects(set: string): Map<string, StoredObject> {
    const map = this.sets.get(set);
    if (!map) throw odataErrors.unknownSet(set);
    return map;
  }

  list(set: string): StoredObject[] {
    return [...this.objects(set).values()];
  }

  get(set: string, ref: string): StoredObject | undefined {
    return this.objects(set).get(ref.toLowerCase());
  }

  private require(set: string, ref: string): StoredObject {
    const found = this.get(set, ref);
    if (!found) throw odataErrors.notFound();
    return found;
  }

  private defaults(spec: EntitySetSpec): Record<string, unknown> {
    const data: Record<string, unknown> = {};
    for (const field of spec.fields) data[field.name] = defaultValue(field);
    for (const part of spec.tabular) data[part.name] = [];
    return data;
  }

  private applyBody(spec: EntitySetSpec, data: Record<string, unknown>, body: unknown): void {
    if (typeof body !== "object" || body === null || Array.isArray(body)) {
      throw odataErrors.internal("Произошла внутренняя ошибка OData сервиса. Ожидается объект JSON");
    }
    const input = body as Record<string, unknown>;
    applyFields(spec.fields, data, input);
    // Number/Code are writable on the platform (the server numbers only when they are empty).
    const numberField = spec.numbering.field;
    if (typeof input[numberField] === "string") {
      data[numberField] = [...(input[numberField] as string)].slice(0, numberField === "Number" ? 11 : 9).join("");
    }
    for (const part of spec.tabular) {
      if (part.name in input) data[part.name] = coerceTabular(part, input[part.name]);
    }
  }

  /** Handler-like recomputation, as the configuration's ПередЗаписью does for an order. */
  private recompute(spec: EntitySetSpec, data: Record<string, unknown>): void {
    if (spec.name !== "Document_ЗаказКлиента") return;
    data.СуммаДокумента = documentTotal((data.Товары as TabularRow[] | undefined) ?? [], data.ЦенаВключаетНДС === true);
  }

  /** Before the configuration's own handlers: the extension's version check, then the manager's form. */
  private beforeWrite(spec: EntitySetSpec, data: Record<string, unknown>, current: StoredObject | null, options: WriteOptions): void {
    if (this.versionCheck && VERSION_CHECK_SETS.includes(spec.name)) {
      checkExpectedVersion(data, current === null ? null : String(current.data.DataVersion));
    }
    if (options.managerForm && spec.name === "Document_ЗаказКлиента") fillOrderForm(data, SEED_REFS);
  }

  private checkRules(spec: EntitySetSpec, data: Record<string, unknown>, options: WriteOptions): void {
    if (!options.applyRules) return;
    for (const rule of this.rejectRules) {
      if (rule.set !== spec.name) continue;
      const value = data[rule.when.field];
      const hit =
        (rule.when.contains !== undefined && typeof value === "string" && value.includes(rule.when.contains)) ||
        (rule.when.equals !== undefined && value === rule.when.equals);
      if (hit) throw odataErrors.internal(rule.message);
    }
  }

  private nextNumber(spec: EntitySetSpec): string {
    const n = (this.counters.get(spec.name) ?? 0) + 1;
    this.counters.set(spec.name, n);
    return `${spec.numbering.prefix}${pad(n, spec.numbering.digits)}`;
  }

  private commit(spec: EntitySetSpec, data: Record<string, unknown>, version: number): WriteResult {
    const dataVersion = encodeDataVersion(version);
    const object: StoredObject = { data: { ...data, DataVersion: dataVersion }, version };
    const ref = data.Ref_Key as string;
    this.objects(spec.name).set(ref, object);
    return {
      object,
      change: { object: spec.name, ref, dataVersion, deleted: false, occurredAt: this.now().toISOString() },
    };
  }

  /** POST: Ref_Key in the body is ignored, the server assigns one; DataVersion starts at 0. */
  create(set: string, body: unknown, options: WriteOptions): WriteResult {
    const spec = this.spec(set);
    const data = this.defaults(spec);
    // A new order in the form takes "prices include VAT" from the default agreement (as most do).
    if (options.managerForm && spec.name === "Document_ЗаказКлиента") data.ЦенаВключаетНДС = true;
    this.applyBody(spec, data, body);
    this.beforeWrite(spec, data, null, options);
    data.Ref_Key = newGuid();
    const numberField = spec.numbering.field;
    if (data[numberField] === "") data[numberField] = this.nextNumber(spec);
    if (spec.kind === "Document" && data.Date === defaultValue({ name: "Date", type: "datetime" })) {
      data.Date = this.localNow();
    }
    this.recompute(spec, data);
    this.checkRules(spec, data, options);
    return this.commit(spec, data, 0);
  }

  /** PATCH: partial body; a tabular part in the body replaces the whole part; no version check. */
  update(set: string, ref: string, body: unknown, options: WriteOptions): WriteResult {
    const spec = this.spec(set);
    const existing = this.require(set, ref);
    const data = structuredClone(existing.data);
    this.applyBody(spec, data, body);
    this.beforeWrite(spec, data, existing, options);
    if (spec.kind === "Document" && data.DeletionMark === true && data.Posted === true) {
      throw odataErrors.internal(
        `Ошибка при вызове метода контекста (Записать): Помеченный на удаление документ не может быть проведен! Сначала отмените проведение документа ${String(data.Number)}.`,
      );
    }
    if (data[spec.numbering.field] === "") data[spec.numbering.field] = this.nextNumber(spec);
    this.recompute(spec, data);
    this.checkRules(spec, data, options);
    return this.commit(spec, data, existing.version + 1);
  }

  /** DELETE: physical removal. */
  remove(set: string, ref: string): ChangeEvent {
    const spec = this.spec(set);
    const existing = this.require(set, ref);
    this.objects(set).delete(existing.data.Ref_Key as string);
    return { object: spec.name, ref: existing.data.Ref_Key as string, dataVersion: null, deleted: true, occurredAt: this.now().toISOString() };
  }

  /** Post: the document's posting handler checks, then Posted = true (a write: DataVersion moves). */
  post(set: string, ref: string, operational: boolean): WriteResult {
    const spec = this.spec(set);
    if (spec.kind !== "Document") throw odataErrors.badSegment();
    const existing = this.require(set, ref);
    const data = structuredClone(existing.data);
    const fail = (text: string): ODataError =>
      odataErrors.internal(`Ошибка при вызове метода контекста (Записать): Операция не выполнена! Документ ${String(data.Number)} не проведен. ${text}`);
    if (data.DeletionMark === true) throw fail("Помеченный на удаление документ не может быть проведен.");
    if (operational && String(data.Date).slice(0, 10) !== this.localNow().slice(0, 10)) {
      throw fail("Оперативное проведение документа с датой, отличной от текущей, невозможно.");
    }
    const error = spec.name === "Document_ЗаказКлиента" ? orderPostingError(data) : null;
    if (error !== null) throw fail(error);
    data.Posted = true;
    this.recompute(spec, data);
    return this.commit(spec, data, existing.version + 1);
  }

  unpost(set: string, ref: string): WriteResult {
    const spec = this.spec(set);
    if (spec.kind !== "Document") throw odataErrors.badSegment();
    const existing = this.require(set, ref);
    const data = structuredClone(existing.data);
    data.Posted = false;
    return this.commit(spec, data, existing.version + 1);
  }
}

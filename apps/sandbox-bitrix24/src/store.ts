// In-memory CRM: deals, companies, contacts, products, deal product rows and timeline comments.
// Values are kept normalized (numbers, epoch ms, "Y"/"N") and rendered to the REST shape on read.
// Every change is reported through `onChange`, which feeds the outbound event queue.

import {
  ENTITIES,
  baseStage,
  fieldKind,
  isUserField,
  stagePrefix,
  stageSemantic,
  type EntityDef,
  type EntityName,
  type FieldDef,
  type FieldType,
} from "./entities";
import type { KindOf } from "./filter";
import { mergeMultiField, multiFieldToRest, type MultiFieldItem, type MultiFieldType } from "./multi-field";
import { isPlainObject } from "./params";
import { formatDateTime, parseDateTime, truncateToPortalDay, truncateToSecond } from "./time";

export type StoredRecord = Record<string, unknown> & { ID: number };

export interface ChangeEvent {
  entity: EntityName;
  action: "ADD" | "UPDATE" | "DELETE";
  id: number;
  /** The `auth_connector` the REST write was made with ("" = none): such writes skip matching offline queues. */
  authConnector: string;
}

/** Who made a write: the REST call's `auth_connector` parameter, if any. */
export interface WriteOrigin {
  authConnector?: string;
}

/** A stored crm.<entity>.userfield definition, already in the crm.deal.userfield.list shape. */
export type UserFieldDefinition = Record<string, unknown> & { ID: string; FIELD_NAME: string; USER_TYPE_ID: string };

export interface TimelineComment {
  ID: number;
  ENTITY_ID: number;
  ENTITY_TYPE: string;
  COMMENT: string;
  AUTHOR_ID: number;
  CREATED: number;
}

export interface ProductRow {
  ID: number;
  OWNER_ID: number;
  PRODUCT_ID: number;
  PRODUCT_NAME: string;
  ORIGINAL_PRODUCT_NAME: string;
  PRODUCT_DESCRIPTION: string | null;
  PRICE: number;
  PRICE_EXCLUSIVE: number;
  PRICE_NETTO: number;
  PRICE_BRUTTO: number;
  QUANTITY: number;
  DISCOUNT_TYPE_ID: number;
  DISCOUNT_RATE: number;
  DISCOUNT_SUM: number;
  TAX_RATE: number | null;
  TAX_INCLUDED: "Y" | "N";
  MEASURE_CODE: number;
  MEASURE_NAME: string;
  SORT: number;
  XML_ID: string;
}

export interface StoreOptions {
  userId: number;
  now?: () => number;
  onChange?: (event: ChangeEvent) => void;
}

const round = (n: number, digits: number): number => {
  const m = 10 ** digits;
  return Math.round((n + Number.EPSILON) * m) / m;
};

function toNumber(v: unknown): number | null {
  if (v === null || v === undefined || v === "") return null;
  if (typeof v === "boolean") return v ? 1 : 0;
  const n = Number(String(v).trim().replace(",", "."));
  return Number.isFinite(n) ? n : 0;
}

/** Coerces a written value the way PHP would: loosely. */
export function coerceInput(type: FieldType, v: unknown): unknown {
  switch (type) {
    case "id":
    case "int":
    case "category": {
      const n = toNumber(v);
      return n === null ? null : Math.trunc(n);
    }
    case "link": {
      const n = toNumber(v);
      return n === null || Math.trunc(n) <= 0 ? null : Math.trunc(n);
    }
    case "money":
    case "double":
      return toNumber(v);
    case "char": {
      if (v === null || v === undefined || v === "") return null;
      const s = String(v).toUpperCase();
      return s === "Y" || s === "1" || s === "TRUE" ? "Y" : "N";
    }
    case "datetime": {
      const ms = parseDateTime(v);
      return ms === null ? null : truncateToSecond(ms);
    }
    case "date": {
      const ms = parseDateTime(v);
      return ms === null ? null : truncateToPortalDay(ms);
    }
    default:
      if (v === null || v === undefined) return null;
      return typeof v === "object" ? JSON.stringify(v) : String(v);
  }
}

/** Renders a stored value in the REST shape: ids/money as strings, datetimes ISO +03:00. */
export function renderValue(type: FieldType, v: unknown): unknown {
  if (v === null || v === undefined) return null;
  switch (type) {
    case "money":
      return Number(v).toFixed(2);
    case "datetime":
    case "date":
      return formatDateTime(Number(v));
    case "id":
    case "link":
    case "int":
    case "double":
    case "category":
      return String(v);
    default:
      return v;
  }
}

/** User fields are stored as given; scalars come back as strings, as PHP would return them. */
function renderUserField(v: unknown): unknown {
  if (v === undefined || v === null) return null;
  if (Array.isArray(v)) return v.map(renderUserField);
  if (typeof v === "number") return String(v);
  if (typeof v === "boolean") return v ? "1" : "0";
  return v;
}

export class Store {
  private readonly userId: number;
  private readonly now: () => number;
  private readonly onChange: (event: ChangeEvent) => void;
  private records = new Map<EntityName, Map<number, StoredRecord>>();
  private nextIds = new Map<EntityName, number>();
  private userFields = new Map<EntityName, Set<string>>();
  private rows = new Map<number, ProductRow[]>();
  private recycleBin = new Map<number, { record: StoredRecord; rows: ProductRow[] }>();
  private comments: TimelineComment[] = [];
  private userFieldDefs = new Map<EntityName, UserFieldDefinition[]>();
  private nextMultiId = 1;
  private nextRowId = 1;
  private nextCommentId = 1;
  private nextUserFieldId = 1;

  constructor(options: StoreOptions) {
    this.userId = options.userId;
    this.now = options.now ?? Date.now;
    this.onChange = options.onChange ?? (() => undefined);
    this.reset();
  }

  reset(): void {
    for (const name of Object.keys(ENTITIES) as EntityName[]) {
      this.records.set(name, new Map());
      this.nextIds.set(name, 1);
      this.userFields.set(name, new Set());
      this.userFieldDefs.set(name, []);
    }
    this.nextUserFieldId = 1;
    this.rows.clear();
    this.recycleBin.clear();
    this.comments = [];
    this.nextMultiId = 1;
    this.nextRowId = 1;
    this.nextCommentId = 1;
  }

  private table(entity: EntityName): Map<number, StoredRecord> {
    return this.records.get(entity) as Map<number, StoredRecord>;
  }

  private ufs(entity: EntityName): Set<string> {
    return this.userFields.get(entity) as Set<string>;
  }

  /** Reports a change, unless the entity fires no events (requisites). */
  private changed(entity: EntityName, action: ChangeEvent["action"], id: number, origin: WriteOrigin): void {
    if (ENTITIES[entity].eventPrefix === null) return;
    this.onChange({ entity, action, id, authConnector: origin.authConnector ?? "" });
  }

  get(entity: EntityName, id: number): StoredRecord | undefined {
    return this.table(entity).get(id);
  }

  all(entity: EntityName): StoredRecord[] {
    return [...this.table(entity).values()];
  }

  /** How list filters and orders compare each field of the entity. */
  kindOf(entity: EntityName): KindOf {
    const def = ENTITIES[entity];
    return (field) => {
      const fd = def.fields.find((d) => d.name === field);
      if (fd) return fieldKind(fd.type);
      if ((def.multiFields as readonly string[]).includes(field)) return "multi";
      if (this.ufs(entity).has(field)) return "string";
      return undefined;
    };
  }

  /** Applies written fields onto `target` (add: all writable; update: not immutable). */
  private applyFields(def: EntityDef, target: StoredRecord, fields: Record<string, unknown>, mode: "add" | "update"): void {
    for (const [name, raw] of Object.entries(fields)) {
      const fd: FieldDef | undefined = def.fields.find((d) => d.name === name);
      if (fd) {
        if (fd.readOnly || (mode === "update" && fd.immutable)) continue;
        target[name] = coerceInput(fd.type, raw);
        continue;
      }
      const multi = def.multiFields.find((m) => m === name);
      if (multi) {
        const current = (target[name] as MultiFieldItem[] | undefined) ?? [];
        target[name] = mergeMultiField(current, raw, multi as MultiFieldType, () => this.nextMultiId++, mode);
        continue;
      }
      if (isUserField(name)) {
        this.ufs(def.name).add(name);
        target[name] = raw === "" ? null : raw;
      }
      // Anything else is silently ignored, as the real portal does.
    }
    if (def.writeOnly.includes("CONTACT_IDS") && "CONTACT_IDS" in fields) {
      const ids = this.idList(fields.CONTACT_IDS);
      target.CONTACT_IDS = ids;
      target.CONTACT_ID = ids[0] ?? null;
    } else if ("CONTACT_ID" in fields && def.writeOnly.includes("CONTACT_IDS")) {
      target.CONTACT_IDS = target.CONTACT_ID === null ? [] : [target.CONTACT_ID];
    }
    if (def.writeOnly.includes("COMPANY_IDS") && "COMPANY_IDS" in fields) {
      const ids = this.idList(fields.COMPANY_IDS);
      target.COMPANY_IDS = ids;
      target.COMPANY_ID = ids[0] ?? null;
    }
  }

  private idList(raw: unknown): number[] {
    const list = Array.isArray(raw) ? raw : isPlainObject(raw) ? Object.values(raw) : raw === undefined || raw === "" ? [] : [raw];
    return list.map((v) => coerceInput("link", v)).filter((v): v is number => typeof v === "number");
  }

  /** Server-maintained fields: stage semantics, flags, sums. */
  private derive(def: EntityDef, rec: StoredRecord, previous: StoredRecord | undefined, now: number): void {
    if (def.name === "deal") {
      const category = Number(rec.CATEGORY_ID ?? 0);
      const stage = typeof rec.STAGE_ID === "string" && rec.STAGE_ID !== "" ? rec.STAGE_ID : "NEW";
      const stageId = `${stagePrefix(category)}${baseStage(stage)}`;
      rec.STAGE_ID = stageId;
      const semantic = stageSemantic(stageId);
      rec.STAGE_SEMANTIC_ID = semantic;
      rec.CLOSED = semantic === "P" ? "N" : "Y";
      rec.IS_NEW = baseStage(stageId) === "NEW" ? "Y" : "N";
      if (!previous || previous.STAGE_ID !== rec.STAGE_ID) {
        rec.MOVED_TIME = now;
        rec.MOVED_BY_ID = this.userId;
      }
      if (rec.TITLE === null || rec.TITLE === undefined || rec.TITLE === "") rec.TITLE = `Сделка #${rec.ID}`;
      this.recalculateOpportunity(rec);
    }
    if (def.multiFields.length > 0) {
      const has = (k: string) => ((rec[k] as MultiFieldItem[] | undefined) ?? []).length > 0;
      rec.HAS_PHONE = has("PHONE") ? "Y" : "N";
      rec.HAS_EMAIL = has("EMAIL") ? "Y" : "N";
      rec.HAS_IMOL = has("IM") ? "Y" : "N";
    }
  }

  /** IS_MANUAL_OPPORTUNITY = N and rows present → OPPORTUNITY (and TAX_VALUE) follow the rows. */
  private recalculateOpportunity(deal: StoredRecord): void {
    const rows = this.rows.get(deal.ID) ?? [];
    if (deal.IS_MANUAL_OPPORTUNITY === "Y" || rows.length === 0) return;
    deal.OPPORTUNITY = round(rows.reduce((sum, r) => sum + r.PRICE * r.QUANTITY, 0), 2);
    deal.TAX_VALUE = round(rows.reduce((sum, r) => sum + (r.PRICE - r.PRICE_EXCLUSIVE) * r.QUANTITY, 0), 2);
  }

  add(entity: EntityName, fields: Record<string, unknown>, origin: WriteOrigin = {}): number {
    const def = ENTITIES[entity];
    const now = truncateToSecond(this.now());
    const id = this.nextIds.get(entity) as number;
    this.nextIds.set(entity, id + 1);
    const rec: StoredRecord = { ID: id };
    const ctx = { now, userId: this.userId };
    for (const fd of def.fields) rec[fd.name] = fd.defaultValue ? coerceInput(fd.type, fd.defaultValue(ctx)) : null;
    for (const m of def.multiFields) rec[m] = [];
    this.applyFields(def, rec, fields, "add");
    rec.ID = id;
    rec[def.createField] = now;
    if (def.modifyOnAdd !== false) rec[def.modifyField] = now;
    this.derive(def, rec, undefined, now);
    this.table(entity).set(id, rec);
    this.changed(entity, "ADD", id, origin);
    return id;
  }

  /** Throws nothing; returns false when the record does not exist. */
  update(entity: EntityName, id: number, fields: Record<string, unknown>, origin: WriteOrigin = {}): boolean {
    const def = ENTITIES[entity];
    const previous = this.get(entity, id);
    if (!previous) return false;
    const now = truncateToSecond(this.now());
    const rec: StoredRecord = { ...previous };
    this.applyFields(def, rec, fields, "update");
    rec.ID = id;
    rec[def.modifyField] = now;
    rec[def.modifiedByField] = this.userId;
    this.derive(def, rec, previous, now);
    this.table(entity).set(id, rec);
    this.changed(entity, "UPDATE", id, origin);
    return true;
  }

  remove(entity: EntityName, id: number, origin: WriteOrigin = {}): boolean {
    const removed = this.table(entity).get(id);
    if (!removed || !this.table(entity).delete(id)) return false;
    // Deleted deals go to the recycle bin, with their rows, until someone restores them.
    if (entity === "deal") this.recycleBin.set(id, { record: removed, rows: this.rows.get(id) ?? [] });
    if (entity === "deal") this.rows.delete(id);
    // Deleting a company or contact deletes its requisites (silently: no events).
    const ownerType = entity === "company" ? 4 : entity === "contact" ? 3 : null;
    if (ownerType !== null) {
      for (const rq of this.all("requisite")) {
        if (rq.ENTITY_TYPE_ID === ownerType && rq.ENTITY_ID === id) this.table("requisite").delete(rq.ID);
      }
    }
    this.changed(entity, "DELETE", id, origin);
    return true;
  }

  /**
   * Restores a deal from the recycle bin as a user does in the portal: same ID, its rows, a new
   * DATE_MODIFY, and an add event (the record appears again). False when it is not in the bin.
   */
  restore(entity: EntityName, id: number, origin: WriteOrigin = {}): boolean {
    const binned = entity === "deal" ? this.recycleBin.get(id) : undefined;
    if (!binned || this.table(entity).has(id)) return false;
    this.recycleBin.delete(id);
    const def = ENTITIES[entity];
    this.table(entity).set(id, { ...binned.record, [def.modifyField]: truncateToSecond(this.now()), [def.modifiedByField]: this.userId });
    this.rows.set(id, binned.rows);
    this.changed(entity, "ADD", id, origin);
    return true;
  }

  /**
   * REST rendering. `select` undefined = the `get` shape (every field, UF fields, non-empty
   * multi-fields); otherwise list semantics: `*` = standard non-multi fields, `UF_*` = user fields,
   * multi-fields only when named, in the order asked.
   */
  render(entity: EntityName, rec: StoredRecord, select?: readonly string[]): Record<string, unknown> {
    const def = ENTITIES[entity];
    const ufs = [...this.ufs(entity)].sort();
    const names: string[] = [];
    const push = (n: string) => {
      if (!names.includes(n)) names.push(n);
    };
    if (select === undefined) {
      def.fields.forEach((d) => push(d.name));
      ufs.forEach(push);
      def.multiFields.forEach((m) => {
        if (((rec[m] as MultiFieldItem[] | undefined) ?? []).length > 0) push(m);
      });
    } else {
      for (const s of select) {
        if (s === "*") def.fields.forEach((d) => push(d.name));
        else if (s === "UF_*") ufs.forEach(push);
        else if (def.fields.some((d) => d.name === s) || ufs.includes(s)) push(s);
        else if ((def.multiFields as readonly string[]).includes(s)) {
          if (((rec[s] as MultiFieldItem[] | undefined) ?? []).length > 0) push(s);
        }
      }
    }
    const out: Record<string, unknown> = {};
    for (const n of names) {
      const fd = def.fields.find((d) => d.name === n);
      if (fd) out[n] = rec[n] === null || rec[n] === undefined ? (fd.emptyAs ?? null) : renderValue(fd.type, rec[n]);
      else if ((def.multiFields as readonly string[]).includes(n)) out[n] = multiFieldToRest(rec[n] as MultiFieldItem[]);
      else out[n] = renderUserField(rec[n]);
    }
    return out;
  }

  /** Replaces all rows of a deal; returns false when the deal does not exist. */
  setProductRows(dealId: number, input: readonly Record<string, unknown>[], origin: WriteOrigin = {}): boolean {
    const deal = this.get("deal", dealId);
    if (!deal) return false;
    const rows = input.map((raw, index) => this.buildRow(dealId, raw, index));
    this.rows.set(dealId, rows);
    // Changing rows changes the deal: new DATE_MODIFY, recalculated sum, ONCRMDEALUPDATE.
    const now = truncateToSecond(this.now());
    const rec: StoredRecord = { ...deal, DATE_MODIFY: now, MODIFY_BY_ID: this.userId };
    this.recalculateOpportunity(rec);
    this.table("deal").set(dealId, rec);
    this.changed("deal", "UPDATE", dealId, origin);
    return true;
  }

  private buildRow(dealId: number, raw: Record<string, unknown>, index: number): ProductRow {
    const num = (v: unknown, dflt: number): number => toNumber(v) ?? dflt;
    const productId = Math.max(0, Math.trunc(num(raw.PRODUCT_ID, 0)));
    const product = productId > 0 ? this.get("product", productId) : undefined;
    const taxRate = toNumber(raw.TAX_RATE);
    const taxFactor = 1 + (taxRate ?? 0) / 100;
    const price = num(raw.PRICE ?? raw.PRICE_BRUTTO ?? raw.PRICE_EXCLUSIVE, 0);
    const exclusive = round(price / taxFactor, 6);
    const discountType = Math.trunc(num(raw.DISCOUNT_TYPE_ID, 2)) === 1 ? 1 : 2;
    const discountRate = num(raw.DISCOUNT_RATE, 0);
    let discountSum = num(raw.DISCOUNT_SUM, 0);
    let netto = exclusive + discountSum;
    if (discountType === 2 && discountRate > 0 && discountRate < 100) {
      netto = round(exclusive / (1 - discountRate / 100), 6);
      discountSum = round(netto - exclusive, 6);
    }
    const name =
      raw.PRODUCT_NAME !== undefined && raw.PRODUCT_NAME !== null && raw.PRODUCT_NAME !== ""
        ? String(raw.PRODUCT_NAME)
        : typeof product?.NAME === "string"
          ? product.NAME
          : "";
    return {
      ID: this.nextRowId++,
      OWNER_ID: dealId,
      PRODUCT_ID: productId,
      PRODUCT_NAME: name,
      ORIGINAL_PRODUCT_NAME: typeof product?.NAME === "string" ? product.NAME : name,
      PRODUCT_DESCRIPTION: raw.PRODUCT_DESCRIPTION === undefined ? null : String(raw.PRODUCT_DESCRIPTION),
      PRICE: price,
      PRICE_EXCLUSIVE: exclusive,
      PRICE_NETTO: netto,
      PRICE_BRUTTO: round(netto * taxFactor, 6),
      QUANTITY: num(raw.QUANTITY, 1),
      DISCOUNT_TYPE_ID: discountType,
      DISCOUNT_RATE: discountRate,
      DISCOUNT_SUM: discountSum,
      TAX_RATE: taxRate,
      TAX_INCLUDED: coerceInput("char", raw.TAX_INCLUDED) === "Y" ? "Y" : "N",
      MEASURE_CODE: Math.trunc(num(raw.MEASURE_CODE, 796)),
      MEASURE_NAME: raw.MEASURE_NAME === undefined || raw.MEASURE_NAME === null ? "шт" : String(raw.MEASURE_NAME),
      SORT: Math.trunc(num(raw.SORT, (index + 1) * 10)),
      XML_ID: raw.XML_ID === undefined || raw.XML_ID === null ? "" : String(raw.XML_ID),
    };
  }

  /** The crm.*.productrows.get shape (cf. crm.lead.productrows.get's resultExample). */
  productRows(dealId: number): Record<string, unknown>[] {
    return (this.rows.get(dealId) ?? []).map((r) => ({
      ID: String(r.ID),
      OWNER_ID: String(r.OWNER_ID),
      OWNER_TYPE: "D",
      PRODUCT_ID: r.PRODUCT_ID,
      PRODUCT_NAME: r.PRODUCT_NAME,
      ORIGINAL_PRODUCT_NAME: r.ORIGINAL_PRODUCT_NAME,
      PRODUCT_DESCRIPTION: r.PRODUCT_DESCRIPTION,
      PRICE: r.PRICE,
      PRICE_EXCLUSIVE: r.PRICE_EXCLUSIVE,
      PRICE_NETTO: r.PRICE_NETTO,
      PRICE_BRUTTO: r.PRICE_BRUTTO,
      PRICE_ACCOUNT: r.PRICE.toFixed(8),
      QUANTITY: r.QUANTITY,
      DISCOUNT_TYPE_ID: r.DISCOUNT_TYPE_ID,
      DISCOUNT_RATE: r.DISCOUNT_RATE,
      DISCOUNT_SUM: r.DISCOUNT_SUM,
      TAX_RATE: r.TAX_RATE,
      TAX_INCLUDED: r.TAX_INCLUDED,
      CUSTOMIZED: "Y",
      MEASURE_CODE: r.MEASURE_CODE,
      MEASURE_NAME: r.MEASURE_NAME,
      SORT: r.SORT,
      XML_ID: r.XML_ID,
      TYPE: 1,
      STORE_ID: null,
      RESERVE_ID: null,
      DATE_RESERVE_END: null,
      RESERVE_QUANTITY: null,
    }));
  }

  addComment(entityType: string, entityId: number, comment: string, authorId: number): number {
    const id = this.nextCommentId++;
    this.comments.push({
      ID: id,
      ENTITY_TYPE: entityType,
      ENTITY_ID: entityId,
      COMMENT: comment,
      AUTHOR_ID: authorId,
      CREATED: truncateToSecond(this.now()),
    });
    return id;
  }

  timeline(): Record<string, unknown>[] {
    return this.comments.map((c) => ({
      ID: String(c.ID),
      ENTITY_TYPE: c.ENTITY_TYPE,
      ENTITY_ID: String(c.ENTITY_ID),
      COMMENT: c.COMMENT,
      AUTHOR_ID: String(c.AUTHOR_ID),
      CREATED: formatDateTime(c.CREATED),
    }));
  }

  userFieldNames(entity: EntityName): string[] {
    return [...this.ufs(entity)].sort();
  }

  userFieldDefinition(entity: EntityName, fieldName: string): UserFieldDefinition | undefined {
    return (this.userFieldDefs.get(entity) ?? []).find((d) => d.FIELD_NAME === fieldName);
  }

  userFieldDefinitions(entity: EntityName): UserFieldDefinition[] {
    return [...(this.userFieldDefs.get(entity) ?? [])];
  }

  /** Stores a definition (ID assigned here); from then on every record of the entity shows the field. */
  addUserFieldDefinition(entity: EntityName, definition: Record<string, unknown> & { FIELD_NAME: string; USER_TYPE_ID: string }): number {
    const id = this.nextUserFieldId++;
    (this.userFieldDefs.get(entity) as UserFieldDefinition[]).push({ ID: String(id), ...definition } as UserFieldDefinition);
    this.ufs(entity).add(definition.FIELD_NAME);
    return id;
  }
}

// The REST methods: crm.{deal,company,contact,product,requisite}.{add,update,get,list,delete,fields},
// crm.requisite.preset.list, crm.deal.userfield.{add,list}, crm.deal.productrows.{set,get},
// crm.timeline.comment.add, crm.status.list, event.{bind,unbind,get}, event.offline.{get,clear,error,list},
// profile, server.time.
// Handlers are synchronous and throw RestError; the HTTP layer (rest.ts) and batch share them.

import { randomBytes } from "node:crypto";
import {
  DEAL_STAGES,
  ENTITIES,
  REQUISITE_OWNER_TYPES,
  REQUISITE_PRESETS,
  stagePrefix,
  type EntityName,
} from "./entities";
import { restErrors, RestError } from "./errors";
import { EVENT_NAMES, type EventDispatcher } from "./events";
import { matchesFilter, parseFilter, parseOrder, sortRecords, type KindOf } from "./filter";
import { argumentError, type OfflineEvents } from "./offline";
import { isPlainObject, type Params } from "./params";
import type { Stats } from "./stats";
import type { Store, WriteOrigin } from "./store";
import { formatDateTime } from "./time";

export const PAGE_SIZE = 50;

export interface MethodOutcome {
  result: unknown;
  total?: number;
  next?: number;
}

export interface MethodContext {
  /** Normalized params (lower-case top-level names). */
  params: Params;
  /** The params exactly as sent (for the few methods that are case-sensitive). */
  raw: Params;
}

export type MethodHandler = (ctx: MethodContext) => MethodOutcome;

export interface MethodDeps {
  store: Store;
  stats: Stats;
  userId: number;
  events: EventDispatcher;
  offline: OfflineEvents;
}

/** The `auth_connector` a call was made with ("" = none). */
function connectorOf(params: Params): string {
  const v = params.auth_connector;
  return v === undefined || v === null || typeof v === "object" ? "" : String(v);
}

const originOf = (params: Params): WriteOrigin => ({ authConnector: connectorOf(params) });

/** Parses a positive integer id; anything else is "ID is not defined or invalid". */
function parseId(value: unknown): number | null {
  if (value === undefined || value === null) return null;
  const text = String(value).trim();
  if (!/^\d+$/.test(text)) return null;
  const id = Number(text);
  return id > 0 && Number.isSafeInteger(id) ? id : null;
}

function requireId(params: Params): number {
  const id = parseId(params.id);
  if (id === null) throw restErrors.idInvalid();
  return id;
}

/** `fields` must be an array in PHP terms: an object, or an empty JSON array. */
function requireFields(params: Params): Record<string, unknown> {
  const fields = params.fields;
  if (Array.isArray(fields) && fields.length === 0) return {};
  if (!isPlainObject(fields)) throw restErrors.fieldsNotArray();
  return fields;
}

function toStringList(value: unknown): string[] | undefined {
  if (value === undefined || value === null || value === "") return undefined;
  if (Array.isArray(value)) return value.map(String);
  if (isPlainObject(value)) return Object.values(value).map(String);
  return [String(value)];
}

/** Shared paging: fixed page of 50, `total`, `next` only when more rows exist, start=-1 skips counting. */
export function paginate<T>(rows: readonly T[], startParam: unknown): { page: T[]; total: number; next?: number } {
  const start = Number(startParam ?? 0);
  if (start === -1) return { page: rows.slice(0, PAGE_SIZE), total: 0 };
  const offset = Number.isFinite(start) && start > 0 ? Math.trunc(start) : 0;
  const page = rows.slice(offset, offset + PAGE_SIZE);
  const next = offset + PAGE_SIZE < rows.length ? offset + PAGE_SIZE : undefined;
  return next === undefined ? { page, total: rows.length } : { page, total: rows.length, next };
}

function fieldDescriptors(store: Store, entity: EntityName): Record<string, unknown> {
  const def = ENTITIES[entity];
  const typeName: Record<string, string> = {
    id: "integer", link: "integer", int: "integer", money: "double", double: "double", char: "char",
    string: "string", status: "crm_status", datetime: "datetime", date: "date", category: "crm_category",
  };
  const out: Record<string, unknown> = {};
  for (const fd of def.fields) {
    out[fd.name] = {
      type: typeName[fd.type] ?? "string",
      isRequired: false,
      isReadOnly: fd.readOnly === true,
      isImmutable: fd.immutable === true,
      isMultiple: false,
      isDynamic: false,
      ...(fd.statusType ? { statusType: fd.statusType } : {}),
      title: fd.title,
    };
  }
  for (const m of def.multiFields) {
    out[m] = { type: "crm_multifield", isRequired: false, isReadOnly: false, isImmutable: false, isMultiple: true, isDynamic: false, title: m };
  }
  for (const w of def.writeOnly) {
    out[w] = { type: "integer", isRequired: false, isReadOnly: false, isImmutable: false, isMultiple: true, isDynamic: false, title: w };
  }
  for (const uf of store.userFieldNames(entity)) {
    const def = store.userFieldDefinition(entity, uf);
    const label = (key: string): unknown => def?.[key] ?? uf;
    out[uf] = {
      type: def?.USER_TYPE_ID ?? "string",
      isRequired: def?.MANDATORY === "Y",
      isReadOnly: false,
      isImmutable: false,
      isMultiple: def?.MULTIPLE === "Y",
      isDynamic: true,
      title: uf,
      listLabel: label("LIST_COLUMN_LABEL"),
      formLabel: label("EDIT_FORM_LABEL"),
      filterLabel: label("LIST_FILTER_LABEL"),
    };
  }
  return out;
}

interface CrudHooks {
  /** Throws a RestError when the fields cannot make a record (before anything is written). */
  validateAdd?: (fields: Record<string, unknown>) => void;
}

function crudMethods(deps: MethodDeps, entity: EntityName, hooks: CrudHooks = {}): Record<string, MethodHandler> {
  const { store, stats } = deps;
  const prefix = `crm.${ENTITIES[entity].restName}`;
  return {
    [`${prefix}.add`]: ({ params }) => {
      const fields = requireFields(params);
      hooks.validateAdd?.(fields);
      const id = store.add(entity, fields, originOf(params));
      stats.write(entity, "adds");
      return { result: id };
    },
    [`${prefix}.update`]: ({ params }) => {
      const id = requireId(params);
      const fields = requireFields(params);
      if (!store.update(entity, id, fields, originOf(params))) throw restErrors.notFound();
      stats.write(entity, "updates");
      return { result: true };
    },
    [`${prefix}.get`]: ({ params }) => {
      const id = requireId(params);
      const rec = store.get(entity, id);
      if (!rec) throw restErrors.notFound();
      return { result: store.render(entity, rec) };
    },
    [`${prefix}.delete`]: ({ params }) => {
      const id = requireId(params);
      if (!store.remove(entity, id, originOf(params))) throw restErrors.notFound();
      stats.write(entity, "deletes");
      return { result: true };
    },
    [`${prefix}.list`]: ({ params }) => {
      const kindOf = store.kindOf(entity);
      const conditions = parseFilter(params.filter);
      const matched = store.all(entity).filter((r) => matchesFilter(r, conditions, kindOf));
      const sorted = sortRecords(matched, parseOrder(params.order, kindOf), kindOf);
      const select = toStringList(params.select) ?? ["*", "UF_*"];
      const { page, total, next } = paginate(sorted, params.start);
      const result = page.map((r) => store.render(entity, r, select.length > 0 ? select : ["*", "UF_*"]));
      return next === undefined ? { result, total } : { result, total, next };
    },
    [`${prefix}.fields`]: () => ({ result: fieldDescriptors(store, entity) }),
  };
}

function productRowMethods(deps: MethodDeps): Record<string, MethodHandler> {
  const { store, stats } = deps;
  const ownerId = (params: Params): number => {
    const id = parseId(params.id);
    if (id === null) throw restErrors.core("The parameter id is invalid or not defined.");
    return id;
  };
  return {
    "crm.deal.productrows.set": ({ params }) => {
      const id = ownerId(params);
      const raw = params.rows;
      // Form encoding cannot express an empty array: a missing/empty `rows` clears the rows.
      let rows: Record<string, unknown>[];
      if (raw === undefined || raw === null || raw === "") rows = [];
      else if (Array.isArray(raw)) rows = raw.filter(isPlainObject);
      else throw restErrors.core("The parameter rows must be array.");
      if (!store.get("deal", id)) throw restErrors.core("Not found");
      store.setProductRows(id, rows, originOf(params));
      stats.write("deal", "productRowsSet");
      return { result: true };
    },
    "crm.deal.productrows.get": ({ params }) => {
      const id = ownerId(params);
      if (!store.get("deal", id)) throw restErrors.core("Not found");
      return { result: store.productRows(id) };
    },
  };
}

/** crm.requisite.add checks, with the texts of the method's documented errors. */
function requisiteValidation(deps: MethodDeps): CrudHooks {
  const invalid = (field: string) => new RestError(400, "", `${field} is not defined or invalid.`);
  return {
    validateAdd: (fields) => {
      const typeId = parseId(fields.ENTITY_TYPE_ID);
      const owner = typeId === null ? undefined : REQUISITE_OWNER_TYPES[typeId];
      if (owner === undefined) throw invalid("ENTITY_TYPE_ID");
      const entityId = parseId(fields.ENTITY_ID);
      if (entityId === null) throw invalid("ENTITY_ID");
      const presetId = parseId(fields.PRESET_ID);
      if (presetId === null || !REQUISITE_PRESETS.some((p) => p.ID === String(presetId))) throw invalid("PRESET_ID");
      if (!deps.store.get(owner, entityId)) throw new RestError(400, "", "Entity not found.");
    },
  };
}

function presetMethods(): Record<string, MethodHandler> {
  const names = Object.keys(REQUISITE_PRESETS[0] ?? {});
  const kindOf: KindOf = (field) =>
    !names.includes(field) ? undefined : ["ID", "ENTITY_TYPE_ID", "COUNTRY_ID", "SORT"].includes(field) ? "number" : "string";
  return {
    "crm.requisite.preset.list": ({ params }) => {
      const conditions = parseFilter(params.filter);
      const rows = sortRecords(
        REQUISITE_PRESETS.filter((p) => matchesFilter(p, conditions, kindOf)),
        parseOrder(params.order, kindOf),
        kindOf,
      );
      const select = (toStringList(params.select) ?? []).filter((f) => names.includes(f));
      const { page, total, next } = paginate(rows, params.start);
      const result = page.map((p) => (select.length === 0 ? { ...p } : Object.fromEntries(select.map((f) => [f, p[f]]))));
      return next === undefined ? { result, total } : { result, total, next };
    },
  };
}

const USER_TYPES = [
  "string", "integer", "double", "boolean", "datetime", "date", "money", "url", "address", "enumeration", "file",
  "employee", "crm_status", "iblock_section", "iblock_element", "crm", "resourcebooking",
];

/** Per-type SETTINGS defaults (string's from crm.deal.userfield.list's example; others: none). */
function defaultSettings(type: string): Record<string, unknown> {
  if (type === "string") return { SIZE: 20, ROWS: 1, REGEXP: "", MIN_LENGTH: 0, MAX_LENGTH: 0, DEFAULT_VALUE: "" };
  return {};
}

function userFieldMethods(deps: MethodDeps, entity: EntityName): Record<string, MethodHandler> {
  const prefix = `crm.${ENTITIES[entity].restName}.userfield`;
  const kinds: Record<string, "number" | "string"> = {
    ID: "number", SORT: "number", ENTITY_ID: "string", FIELD_NAME: "string", USER_TYPE_ID: "string", XML_ID: "string",
    MULTIPLE: "string", MANDATORY: "string", SHOW_FILTER: "string", SHOW_IN_LIST: "string", EDIT_IN_LIST: "string",
    IS_SEARCHABLE: "string",
  };
  const kindOf: KindOf = (field) => kinds[field];
  const yn = (v: unknown, dflt: "Y" | "N"): "Y" | "N" => {
    if (v === undefined || v === null || v === "") return dflt;
    return ["Y", "1", "TRUE"].includes(String(v).toUpperCase()) ? "Y" : "N";
  };
  const text = (v: unknown): string | null => (v === undefined || v === null || v === "" ? null : typeof v === "object" ? JSON.stringify(v) : String(v));
  return {
    [`${prefix}.add`]: ({ params }) => {
      const fields = requireFields(params);
      const rawName = String(fields.FIELD_NAME ?? "").trim().toUpperCase();
      if (rawName === "") throw new RestError(400, "", "The 'FIELD_NAME' field is not found.");
      const name = rawName.startsWith("UF_CRM_") ? rawName : rawName.startsWith("UF_") ? `UF_CRM_${rawName.slice(3)}` : `UF_CRM_${rawName}`;
      if (name.length > 50) throw new RestError(400, "", "Имя поля слишком длинное (больше 50-ти символов).");
      if (!/^[A-Z0-9_]+$/.test(name)) {
        throw new RestError(400, "", "Имя поля содержит недопустимые символы. Допустимыми являются: A-Z, 0-9 и _.");
      }
      const type = String(fields.USER_TYPE_ID ?? "").trim();
      if (type === "") throw new RestError(400, "", "The 'USER_TYPE_ID' field is not found.");
      if (!USER_TYPES.includes(type)) throw new RestError(400, "", "Указан неверный пользовательский тип");
      if (deps.store.userFieldDefinition(entity, name)) {
        throw new RestError(400, "", `Пользовательское поле с кодом ${name} уже существует.`);
      }
      const label = text(fields.LABEL);
      const sort = Number(fields.SORT);
      const definition: Record<string, unknown> & { FIELD_NAME: string; USER_TYPE_ID: string } = {
        ENTITY_ID: `CRM_${entity.toUpperCase()}`,
        FIELD_NAME: name,
        USER_TYPE_ID: type,
        XML_ID: text(fields.XML_ID),
        SORT: String(Number.isFinite(sort) && sort > 0 ? Math.trunc(sort) : 100),
        MULTIPLE: type === "boolean" ? "N" : yn(fields.MULTIPLE, "N"),
        MANDATORY: yn(fields.MANDATORY, "N"),
        SHOW_FILTER: yn(fields.SHOW_FILTER, "N"),
        SHOW_IN_LIST: yn(fields.SHOW_IN_LIST, "N"),
        EDIT_IN_LIST: yn(fields.EDIT_IN_LIST, "Y"),
        IS_SEARCHABLE: yn(fields.IS_SEARCHABLE, "N"),
        SETTINGS: isPlainObject(fields.SETTINGS) ? { ...defaultSettings(type), ...fields.SETTINGS } : defaultSettings(type),
        EDIT_FORM_LABEL: text(fields.EDIT_FORM_LABEL) ?? label,
        LIST_COLUMN_LABEL: text(fields.LIST_COLUMN_LABEL) ?? label,
        LIST_FILTER_LABEL: text(fields.LIST_FILTER_LABEL) ?? label,
        ERROR_MESSAGE: text(fields.ERROR_MESSAGE) ?? label,
        HELP_MESSAGE: text(fields.HELP_MESSAGE) ?? label,
      };
      if (type === "enumeration") {
        const items = Array.isArray(fields.LIST) ? fields.LIST.filter(isPlainObject) : [];
        let next = 1;
        definition.LIST = items.map((item, i) => ({
          ID: String(next++),
          SORT: String(Number(item.SORT) > 0 ? Math.trunc(Number(item.SORT)) : (i + 1) * 10),
          VALUE: String(item.VALUE ?? ""),
          DEF: yn(item.DEF, "N"),
          XML_ID: text(item.XML_ID) ?? randomBytes(16).toString("hex"),
        }));
      }
      const id = deps.store.addUserFieldDefinition(entity, definition);
      return { result: id };
    },
    [`${prefix}.list`]: ({ params }) => {
      const conditions = parseFilter(params.filter);
      const rows = sortRecords(
        deps.store.userFieldDefinitions(entity).filter((d) => matchesFilter(d, conditions, kindOf)),
        parseOrder(params.order, kindOf),
        kindOf,
      );
      return { result: rows.map((r) => structuredClone(r)), total: rows.length };
    },
  };
}

/** event.bind/unbind/get and event.offline.*, after Bitrix\Rest\Api\Event (auth checks aside). */
function eventMethods(deps: MethodDeps): Record<string, MethodHandler> {
  const { events, offline } = deps;
  const eventTypeOf = (params: Params): "online" | "offline" => {
    const t = String(params.event_type ?? "").toLowerCase();
    if (t === "") return "online";
    if (t !== "online" && t !== "offline") throw argumentError("Value must be one of {online|offline}");
    return t;
  };
  const eventNameOf = (params: Params): string => {
    const name = String(params.event ?? "").toUpperCase();
    if (name === "") throw argumentError("Argument 'EVENT' is null or empty");
    return name;
  };
  const handlerOf = (params: Params): string => {
    const handler = params.handler === undefined || params.handler === null ? "" : String(params.handler);
    if (handler === "") throw argumentError("Argument 'HANDLER' is null or empty");
    return handler;
  };
  const processIdOf = (params: Params): string => {
    if (params.process_id === undefined || params.process_id === null) throw argumentError("Argument 'PROCESS_ID' is null or empty");
    return String(params.process_id).trim();
  };
  const listOf = (v: unknown): unknown[] | null => (Array.isArray(v) ? v : isPlainObject(v) ? Object.values(v) : null);
  return {
    "event.bind": ({ params }) => {
      const event = eventNameOf(params);
      const type = eventTypeOf(params);
      const handler = type === "offline" ? "" : handlerOf(params);
      if (!EVENT_NAMES.includes(event)) throw new RestError(400, "ERROR_EVENT_NOT_FOUND", "Event not found");
      const bound =
        type === "offline"
          ? offline.bind(event, connectorOf(params))
          : events.bind(event, handler, Math.max(0, Math.trunc(Number(params.auth_type ?? 0)) || 0));
      if (!bound) throw restErrors.core("Unable to set event handler: Handler already binded");
      return { result: true };
    },
    "event.unbind": ({ params }) => {
      const event = eventNameOf(params);
      const type = eventTypeOf(params);
      if (type === "offline") return { result: { count: offline.unbind(event, connectorOf(params)) } };
      const handler = handlerOf(params);
      const authType = params.auth_type === undefined || params.auth_type === "" ? null : Math.trunc(Number(params.auth_type)) || 0;
      return { result: { count: events.unbind(event, handler, authType) } };
    },
    "event.get": () => ({
      result: [
        ...events.handlers().map((b) => ({ event: b.event, handler: b.url, auth_type: String(b.authType), offline: 0 })),
        ...offline.listBindings().map((b) => ({ event: b.event, connector_id: b.connectorId, offline: 1 })),
      ],
    }),
    "event.offline.get": ({ params }) => {
      const clear = params.clear === undefined ? 1 : Math.trunc(Number(params.clear)) || 0;
      const limit = params.limit === undefined ? PAGE_SIZE : Math.trunc(Number(params.limit)) || 0;
      if (limit <= 0) throw argumentError("Value must be positive integer");
      const result = offline.get({
        connectorId: connectorOf(params),
        limit,
        clear: clear !== 0,
        processId: params.process_id === undefined || params.process_id === null ? null : String(params.process_id).trim(),
        error: Math.trunc(Number(params.error ?? 0)) === 1,
        filter: params.filter,
        order: params.order,
      });
      return { result };
    },
    "event.offline.clear": ({ params }) => {
      const processId = processIdOf(params);
      const connectorId = connectorOf(params);
      if (params.message_id !== undefined) {
        const list = listOf(params.message_id);
        const messageIds = (list ?? []).map((m) => String(m).trim());
        if (list === null || messageIds.some((m) => m.length !== 32)) throw argumentError("Value must be array of MESSAGE_ID values");
        offline.clear(processId, connectorId, { messageIds });
      } else if (params.id !== undefined) {
        const list = listOf(params.id);
        const ids = (list ?? []).map((v) => Math.trunc(Number(v)) || 0);
        if (list === null || ids.some((v) => v <= 0)) throw argumentError("Value must be array of integers");
        offline.clear(processId, connectorId, { ids });
      } else {
        offline.clear(processId, connectorId);
      }
      return { result: true };
    },
    "event.offline.error": ({ params }) => {
      const processId = processIdOf(params);
      const list = listOf(params.message_id);
      if (list === null) throw argumentError("Value must be array of MESSAGE_ID values");
      if (list.length > 0) offline.markError(processId, connectorOf(params), list.map((m) => String(m).trim()));
      return { result: true };
    },
    "event.offline.list": ({ params }) => {
      const rows = offline.list(connectorOf(params), params.filter, params.order);
      const { page, total, next } = paginate(rows, params.start);
      return next === undefined ? { result: page, total } : { result: page, total, next };
    },
  };
}

function statusRows(categories: Iterable<number>): Array<Record<string, unknown>> {
  const rows: Array<Record<string, unknown>> = [];
  let id = 101;
  for (const category of categories) {
    DEAL_STAGES.forEach((s, index) => {
      const extraSemantics = s.semantic === "S" ? "success" : s.semantic === "F" ? (s.id === "APOLOGY" ? "apology" : "failure") : "process";
      rows.push({
        ID: id,
        ENTITY_ID: category > 0 ? `DEAL_STAGE_${category}` : "DEAL_STAGE",
        STATUS_ID: `${stagePrefix(category)}${s.id}`,
        NAME: s.name,
        NAME_INIT: ["NEW", "WON", "LOSE"].includes(s.id) ? s.name : "",
        SORT: (index + 1) * 10,
        SYSTEM: ["NEW", "WON", "LOSE"].includes(s.id) ? "Y" : "N",
        CATEGORY_ID: category > 0 ? String(category) : null,
        COLOR: s.color,
        SEMANTICS: s.semantic === "P" ? null : s.semantic,
        EXTRA: { SEMANTICS: extraSemantics, COLOR: s.color },
      });
      id += 2;
    });
  }
  const types = [
    ["SALE", "Продажа"],
    ["COMPLEX", "Комплексная продажа"],
    ["GOODS", "Продажа товара"],
    ["SERVICES", "Продажа услуги"],
    ["SERVICE", "Сервисное обслуживание"],
  ] as const;
  types.forEach(([statusId, name], index) => {
    rows.push({
      ID: id, ENTITY_ID: "DEAL_TYPE", STATUS_ID: statusId, NAME: name, NAME_INIT: name, SORT: (index + 1) * 10,
      SYSTEM: "Y", CATEGORY_ID: null, COLOR: null, SEMANTICS: null,
    });
    id += 2;
  });
  return rows;
}

function statusMethods(deps: MethodDeps): Record<string, MethodHandler> {
  const kindOf: KindOf = (field) =>
    field === "ID" || field === "SORT" ? "number" : ["ENTITY_ID", "STATUS_ID", "NAME", "NAME_INIT", "SYSTEM", "CATEGORY_ID", "COLOR", "SEMANTICS"].includes(field) ? "string" : undefined;
  return {
    "crm.status.list": ({ params }) => {
      const categories = new Set<number>([0]);
      for (const deal of deps.store.all("deal")) categories.add(Number(deal.CATEGORY_ID ?? 0));
      if (isPlainObject(params.filter)) {
        for (const v of Object.values(params.filter).flat()) {
          const m = /^DEAL_STAGE_(\d+)$/.exec(String(v));
          if (m) categories.add(Number(m[1]));
        }
      }
      const conditions = parseFilter(params.filter);
      const order = parseOrder(params.order, kindOf);
      const rows = sortRecords(
        statusRows([...categories].sort((a, b) => a - b)).filter((r) => matchesFilter(r, conditions, kindOf)),
        order.length > 0 ? order : [{ field: "SORT", desc: false }],
        kindOf,
      );
      const result = rows.map((r) => ({ ...r, ID: String(r.ID), SORT: String(r.SORT) }));
      return { result, total: result.length };
    },
  };
}

const COMMENT_ENTITY_TYPES: Record<string, EntityName | null> = { deal: "deal", company: "company", contact: "contact", lead: null };

function timelineMethods(deps: MethodDeps): Record<string, MethodHandler> {
  return {
    "crm.timeline.comment.add": ({ raw }) => {
      // Since crm 23.100.0 this method takes only the lower-case `fields` key.
      const fields = raw.fields;
      if (!isPlainObject(fields)) throw restErrors.fieldsNotArray();
      const entityType = String(fields.ENTITY_TYPE ?? "").toLowerCase();
      const entityId = parseId(fields.ENTITY_ID);
      if (!(entityType in COMMENT_ENTITY_TYPES)) throw new RestError(400, "", "ENTITY_TYPE is not defined or invalid");
      if (entityId === null) throw new RestError(400, "", "ENTITY_ID is not defined or invalid");
      const comment = fields.COMMENT === undefined || fields.COMMENT === null ? "" : String(fields.COMMENT);
      if (comment.trim() === "") throw new RestError(400, "", "COMMENT is not defined or empty");
      const entity = COMMENT_ENTITY_TYPES[entityType];
      if (entity === null || entity === undefined || !deps.store.get(entity, entityId)) throw restErrors.notFound();
      const author = parseId(fields.AUTHOR_ID) ?? deps.userId;
      const id = deps.store.addComment(entityType, entityId, comment, author);
      deps.stats.comment();
      return { result: id };
    },
  };
}

function miscMethods(deps: MethodDeps): Record<string, MethodHandler> {
  return {
    profile: () => ({
      result: {
        ID: String(deps.userId),
        ADMIN: true,
        NAME: "Sandbox",
        LAST_NAME: "Integration",
        PERSONAL_GENDER: "",
        TIME_ZONE: "Europe/Moscow",
        TIME_ZONE_OFFSET: 10800,
      },
    }),
    "server.time": () => ({ result: formatDateTime(Date.now()) }),
  };
}

export function createMethods(deps: MethodDeps): Map<string, MethodHandler> {
  const all: Record<string, MethodHandler> = {
    ...crudMethods(deps, "deal"),
    ...crudMethods(deps, "company"),
    ...crudMethods(deps, "contact"),
    ...crudMethods(deps, "product"),
    ...crudMethods(deps, "requisite", requisiteValidation(deps)),
    ...presetMethods(),
    ...userFieldMethods(deps, "deal"),
    ...eventMethods(deps),
    ...productRowMethods(deps),
    ...statusMethods(deps),
    ...timelineMethods(deps),
    ...miscMethods(deps),
  };
  return new Map(Object.entries(all));
}


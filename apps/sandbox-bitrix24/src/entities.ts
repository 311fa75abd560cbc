// Field tables for the CRM entities the sandbox serves. The order of fields is the order
// `*.get` returns them in (taken from the vendor resultExamples); the type decides both how a
// written value is coerced and how it is rendered (ids and money as strings, flags Y/N, …).

import type { FieldKind } from "./filter";
import type { MultiFieldType } from "./multi-field";

export type EntityName = "deal" | "company" | "contact" | "product" | "requisite";
export const ENTITY_NAMES: readonly EntityName[] = ["deal", "company", "contact", "product", "requisite"];

/**
 * id: the record id · link: a reference to another record or user (0 → null) · int: a plain
 * integer · money: 2-decimal string · double: a number as a string · char: "Y"/"N" ·
 * string/status: text · datetime/date: epoch ms rendered ISO +03:00 · category: pipeline id.
 */
export type FieldType =
  | "id" | "link" | "int" | "money" | "double" | "char" | "string" | "status" | "datetime" | "date" | "category";

export interface DefaultContext {
  now: number;
  userId: number;
}

export interface FieldDef {
  name: string;
  type: FieldType;
  title: string;
  /** Set by the server only; written values are ignored. */
  readOnly?: boolean;
  /** Settable on add, ignored on update. */
  immutable?: boolean;
  /** What an empty (null) value renders as; default null (requisite DATE_MODIFY renders ""). */
  emptyAs?: unknown;
  statusType?: string;
  defaultValue?: (ctx: DefaultContext) => unknown;
}

export interface EntityDef {
  name: EntityName;
  /** Event name prefix: ONCRMDEAL + ADD/UPDATE/DELETE; null = the sandbox fires no events for it. */
  eventPrefix: string | null;
  /** crm.<restName>.* */
  restName: string;
  fields: readonly FieldDef[];
  multiFields: readonly MultiFieldType[];
  /** The server-maintained "last modified" field. */
  modifyField: string;
  createField: string;
  /** Fields accepted on write but never returned (CONTACT_IDS…). */
  writeOnly: readonly string[];
  /** false: `modifyField` stays empty until the first update (requisites). Default true. */
  modifyOnAdd?: boolean;
  /** The field that records who changed it last (set on update). */
  modifiedByField: string;
}

const f = (name: string, type: FieldType, title: string, extra: Partial<FieldDef> = {}): FieldDef => ({
  name,
  type,
  title,
  ...extra,
});
const ro = { readOnly: true } as const;
const value = (v: unknown) => ({ defaultValue: () => v });
const byUser = { defaultValue: (ctx: DefaultContext) => ctx.userId } as const;
const utm = ["UTM_SOURCE", "UTM_MEDIUM", "UTM_CAMPAIGN", "UTM_CONTENT", "UTM_TERM"].map((n) => f(n, "string", n));
const address = (prefix: string): FieldDef[] =>
  ["", "_2", "_CITY", "_POSTAL_CODE", "_REGION", "_PROVINCE", "_COUNTRY", "_COUNTRY_CODE"].map((s) =>
    f(`${prefix}${s}`, "string", `${prefix}${s}`),
  );

export const DEAL: EntityDef = {
  name: "deal",
  eventPrefix: "ONCRMDEAL",
  restName: "deal",
  modifyField: "DATE_MODIFY",
  createField: "DATE_CREATE",
  multiFields: [],
  writeOnly: ["CONTACT_IDS"],
  modifiedByField: "MODIFY_BY_ID",
  fields: [
    f("ID", "id", "ID", ro),
    f("TITLE", "string", "Название"),
    f("TYPE_ID", "status", "Тип", { statusType: "DEAL_TYPE", ...value("SALE") }),
    f("STAGE_ID", "status", "Стадия сделки", { statusType: "DEAL_STAGE" }),
    f("PROBABILITY", "int", "Вероятность"),
    f("CURRENCY_ID", "string", "Валюта", value("RUB")),
    f("OPPORTUNITY", "money", "Сумма", value(0)),
    f("IS_MANUAL_OPPORTUNITY", "char", "IS_MANUAL_OPPORTUNITY", value("N")),
    f("TAX_VALUE", "money", "Ставка налога", value(0)),
    f("LEAD_ID", "link", "Лид"),
    f("COMPANY_ID", "link", "Компания"),
    f("CONTACT_ID", "link", "Контакт"),
    f("QUOTE_ID", "link", "Предложение"),
    f("BEGINDATE", "date", "Дата начала", { defaultValue: (ctx) => ctx.now }),
    f("CLOSEDATE", "date", "Дата завершения", { defaultValue: (ctx) => ctx.now + 7 * 86_400_000 }),
    f("ASSIGNED_BY_ID", "link", "Ответственный", byUser),
    f("CREATED_BY_ID", "link", "Кем создана", { ...ro, ...byUser }),
    f("MODIFY_BY_ID", "link", "Кем изменена", { ...ro, ...byUser }),
    f("DATE_CREATE", "datetime", "Дата создания", ro),
    f("DATE_MODIFY", "datetime", "Дата изменения", ro),
    f("OPENED", "char", "Доступна для всех", value("Y")),
    f("CLOSED", "char", "Закрыта", ro),
    f("COMMENTS", "string", "Комментарий"),
    f("ADDITIONAL_INFO", "string", "Дополнительная информация"),
    f("LOCATION_ID", "string", "Местоположение"),
    f("CATEGORY_ID", "category", "Воронка", { immutable: true, ...value(0) }),
    f("STAGE_SEMANTIC_ID", "string", "Группа стадии", ro),
    f("IS_NEW", "char", "Новая сделка", ro),
    f("IS_RECURRING", "char", "Регулярная сделка", value("N")),
    f("IS_RETURN_CUSTOMER", "char", "Повторная сделка", value("N")),
    f("IS_REPEATED_APPROACH", "char", "Повторное обращение", value("N")),
    f("SOURCE_ID", "status", "Источник", { statusType: "SOURCE" }),
    f("SOURCE_DESCRIPTION", "string", "Дополнительно об источнике"),
    f("ORIGINATOR_ID", "string", "Внешний источник"),
    f("ORIGIN_ID", "string", "Идентификатор элемента во внешнем источнике"),
    f("MOVED_BY_ID", "link", "Кем перемещена", ro),
    f("MOVED_TIME", "datetime", "Дата перемещения", ro),
    f("LAST_ACTIVITY_TIME", "datetime", "Последняя активность", ro),
    ...utm,
    f("LAST_ACTIVITY_BY", "link", "Автор последней активности", ro),
  ],
};

export const COMPANY: EntityDef = {
  name: "company",
  eventPrefix: "ONCRMCOMPANY",
  restName: "company",
  modifyField: "DATE_MODIFY",
  createField: "DATE_CREATE",
  multiFields: ["PHONE", "EMAIL", "WEB", "IM"],
  writeOnly: [],
  modifiedByField: "MODIFY_BY_ID",
  fields: [
    f("ID", "id", "ID", ro),
    f("COMPANY_TYPE", "status", "Тип компании", { statusType: "COMPANY_TYPE", ...value("CUSTOMER") }),
    f("TITLE", "string", "Название компании"),
    f("LOGO", "string", "Логотип", ro),
    f("LEAD_ID", "link", "Лид"),
    f("HAS_PHONE", "char", "Задан телефон", ro),
    f("HAS_EMAIL", "char", "Задан e-mail", ro),
    f("HAS_IMOL", "char", "Задана открытая линия", ro),
    f("ASSIGNED_BY_ID", "link", "Ответственный", byUser),
    f("CREATED_BY_ID", "link", "Кем создана", { ...ro, ...byUser }),
    f("MODIFY_BY_ID", "link", "Кем изменена", { ...ro, ...byUser }),
    f("BANKING_DETAILS", "string", "Банковские реквизиты"),
    f("INDUSTRY", "status", "Сфера деятельности", { statusType: "INDUSTRY" }),
    f("REVENUE", "double", "Годовой оборот", value(0)),
    f("CURRENCY_ID", "string", "Валюта", value("RUB")),
    f("EMPLOYEES", "status", "Кол-во сотрудников", { statusType: "EMPLOYEES" }),
    f("COMMENTS", "string", "Комментарий"),
    f("DATE_CREATE", "datetime", "Дата создания", ro),
    f("DATE_MODIFY", "datetime", "Дата изменения", ro),
    f("OPENED", "char", "Доступна для всех", value("Y")),
    f("IS_MY_COMPANY", "char", "Моя компания", value("N")),
    f("ORIGINATOR_ID", "string", "Внешний источник"),
    f("ORIGIN_ID", "string", "Идентификатор элемента во внешнем источнике"),
    f("ORIGIN_VERSION", "string", "Версия оригинала"),
    ...address("ADDRESS"),
    f("ADDRESS_LEGAL", "string", "Юридический адрес"),
    ...address("REG_ADDRESS"),
    ...utm,
    f("LAST_ACTIVITY_BY", "link", "Автор последней активности", ro),
    f("LAST_ACTIVITY_TIME", "datetime", "Последняя активность", ro),
  ],
};

export const CONTACT: EntityDef = {
  name: "contact",
  eventPrefix: "ONCRMCONTACT",
  restName: "contact",
  modifyField: "DATE_MODIFY",
  createField: "DATE_CREATE",
  multiFields: ["PHONE", "EMAIL", "WEB", "IM"],
  writeOnly: ["COMPANY_IDS"],
  modifiedByField: "MODIFY_BY_ID",
  fields: [
    f("ID", "id", "ID", ro),
    f("POST", "string", "Должность"),
    f("COMMENTS", "string", "Комментарий"),
    f("HONORIFIC", "status", "Обращение", { statusType: "HONORIFIC" }),
    f("NAME", "string", "Имя"),
    f("SECOND_NAME", "string", "Отчество"),
    f("LAST_NAME", "string", "Фамилия"),
    f("PHOTO", "string", "Фотография", ro),
    f("LEAD_ID", "link", "Лид"),
    f("TYPE_ID", "status", "Тип контакта", { statusType: "CONTACT_TYPE", ...value("CLIENT") }),
    f("SOURCE_ID", "status", "Источник", { statusType: "SOURCE" }),
    f("SOURCE_DESCRIPTION", "string", "Дополнительно об источнике"),
    f("COMPANY_ID", "link", "Компания"),
    f("BIRTHDATE", "date", "Дата рождения"),
    f("EXPORT", "char", "Участвует в экспорте контактов", value("Y")),
    f("HAS_PHONE", "char", "Задан телефон", ro),
    f("HAS_EMAIL", "char", "Задан e-mail", ro),
    f("HAS_IMOL", "char", "Задана открытая линия", ro),
    f("DATE_CREATE", "datetime", "Дата создания", ro),
    f("DATE_MODIFY", "datetime", "Дата изменения", ro),
    f("ASSIGNED_BY_ID", "link", "Ответственный", byUser),
    f("CREATED_BY_ID", "link", "Кем создан", { ...ro, ...byUser }),
    f("MODIFY_BY_ID", "link", "Кем изменен", { ...ro, ...byUser }),
    f("OPENED", "char", "Доступен для всех", value("Y")),
    f("ORIGINATOR_ID", "string", "Внешний источник"),
    f("ORIGIN_ID", "string", "Идентификатор элемента во внешнем источнике"),
    f("ORIGIN_VERSION", "string", "Версия оригинала"),
    f("FACE_ID", "link", "Привязка к лицам из модуля faceid", ro),
    f("LAST_ACTIVITY_TIME", "datetime", "Последняя активность", ro),
    ...address("ADDRESS").filter((d) => d.name !== "ADDRESS_COUNTRY_CODE"),
    ...utm,
    f("LAST_ACTIVITY_BY", "link", "Автор последней активности", ro),
  ],
};

export const PRODUCT: EntityDef = {
  name: "product",
  eventPrefix: "ONCRMPRODUCT",
  restName: "product",
  modifyField: "TIMESTAMP_X",
  createField: "DATE_CREATE",
  multiFields: [],
  writeOnly: [],
  modifiedByField: "MODIFIED_BY",
  fields: [
    f("ID", "id", "ID", ro),
    f("CATALOG_ID", "link", "Каталог", value(25)),
    f("PRICE", "money", "Цена", value(0)),
    f("CURRENCY_ID", "string", "Валюта", value("RUB")),
    f("NAME", "string", "Название"),
    f("CODE", "string", "Символьный код"),
    f("DESCRIPTION", "string", "Описание"),
    f("DESCRIPTION_TYPE", "string", "Тип описания", value("text")),
    f("ACTIVE", "char", "Активен", value("Y")),
    f("SECTION_ID", "link", "Раздел"),
    f("SORT", "int", "Сортировка", value(500)),
    f("VAT_ID", "link", "Ставка НДС"),
    f("VAT_INCLUDED", "char", "НДС включен в цену", value("Y")),
    f("MEASURE", "link", "Единица измерения", value(5)),
    f("XML_ID", "string", "Внешний код"),
    f("PREVIEW_PICTURE", "string", "Картинка для анонса", ro),
    f("DETAIL_PICTURE", "string", "Детальная картинка", ro),
    f("DATE_CREATE", "datetime", "Дата создания", ro),
    f("TIMESTAMP_X", "datetime", "Дата изменения", ro),
    f("MODIFIED_BY", "link", "Кем изменен", { ...ro, ...byUser }),
    f("CREATED_BY", "link", "Кем создан", { ...ro, ...byUser }),
  ],
};


/** The RQ_* fields of crm.requisite.get's resultExample, in its order (all plain strings but RQ_VAT_PAYER). */
const RQ_FIELDS = [
  "RQ_NAME", "RQ_FIRST_NAME", "RQ_LAST_NAME", "RQ_SECOND_NAME", "RQ_COMPANY_ID", "RQ_COMPANY_NAME",
  "RQ_COMPANY_FULL_NAME", "RQ_COMPANY_REG_DATE", "RQ_DIRECTOR", "RQ_ACCOUNTANT", "RQ_CEO_NAME", "RQ_CEO_WORK_POS",
  "RQ_CONTACT", "RQ_EMAIL", "RQ_PHONE", "RQ_FAX", "RQ_IDENT_TYPE", "RQ_IDENT_DOC", "RQ_IDENT_DOC_SER",
  "RQ_IDENT_DOC_NUM", "RQ_IDENT_DOC_PERS_NUM", "RQ_IDENT_DOC_DATE", "RQ_IDENT_DOC_ISSUED_BY", "RQ_IDENT_DOC_DEP_CODE",
  "RQ_INN", "RQ_KPP", "RQ_USRLE", "RQ_IFNS", "RQ_OGRN", "RQ_OGRNIP", "RQ_OKPO", "RQ_OKTMO", "RQ_OKVED", "RQ_EDRPOU",
  "RQ_DRFO", "RQ_KBE", "RQ_IIN", "RQ_BIN", "RQ_ST_CERT_SER", "RQ_ST_CERT_NUM", "RQ_ST_CERT_DATE", "RQ_VAT_PAYER",
  "RQ_VAT_ID", "RQ_VAT_CERT_SER", "RQ_VAT_CERT_NUM", "RQ_VAT_CERT_DATE", "RQ_RESIDENCE_COUNTRY", "RQ_BASE_DOC",
  "RQ_REGON", "RQ_KRS", "RQ_PESEL", "RQ_LEGAL_FORM", "RQ_SIRET", "RQ_SIREN", "RQ_CAPITAL", "RQ_RCS", "RQ_CNPJ",
  "RQ_STATE_REG", "RQ_MNPL_REG", "RQ_CPF",
] as const;

/**
 * crm.requisite.*: field order and shapes from crm.requisite.get's resultExample. ENTITY_TYPE_ID
 * (3 contact | 4 company) and ENTITY_ID tie it to its owner. DATE_MODIFY is "" until the first update.
 * A requisite change fires no company/contact event; the sandbox does not fire ONCRMREQUISITE* either.
 */
export const REQUISITE: EntityDef = {
  name: "requisite",
  eventPrefix: null,
  restName: "requisite",
  modifyField: "DATE_MODIFY",
  createField: "DATE_CREATE",
  multiFields: [],
  writeOnly: [],
  modifyOnAdd: false,
  modifiedByField: "MODIFY_BY_ID",
  fields: [
    f("ID", "id", "ID", ro),
    f("ENTITY_TYPE_ID", "int", "Тип родителя", { immutable: true }),
    f("ENTITY_ID", "int", "Родитель", { immutable: true }),
    f("PRESET_ID", "int", "Шаблон"),
    f("DATE_CREATE", "datetime", "Дата создания", ro),
    f("DATE_MODIFY", "datetime", "Дата изменения", { ...ro, emptyAs: "" }),
    f("CREATED_BY_ID", "link", "Кем создан", { ...ro, ...byUser }),
    f("MODIFY_BY_ID", "link", "Кем изменен", ro),
    f("NAME", "string", "Название"),
    f("CODE", "string", "Символьный код"),
    f("XML_ID", "string", "Внешний ключ"),
    f("ORIGINATOR_ID", "string", "Идентификатор внешней информационной базы"),
    f("ACTIVE", "char", "Активен", value("Y")),
    f("ADDRESS_ONLY", "char", "Только адрес", value("N")),
    f("SORT", "int", "Сортировка", value(500)),
    ...RQ_FIELDS.map((n) => (n === "RQ_VAT_PAYER" ? f(n, "char", n, value("N")) : f(n, "string", n))),
  ],
};

export const ENTITIES: Readonly<Record<EntityName, EntityDef>> = {
  deal: DEAL,
  company: COMPANY,
  contact: CONTACT,
  product: PRODUCT,
  requisite: REQUISITE,
};

/** Owner types a requisite can hang on (crm.enum.ownertype ids). */
export const REQUISITE_OWNER_TYPES: Readonly<Record<number, EntityName>> = { 3: "contact", 4: "company" };

/** crm.requisite.preset.list: the standard Russian presets (ids and names from the vendor example). */
export const REQUISITE_PRESETS: ReadonlyArray<Record<string, string>> = [
  { ID: "1", ENTITY_TYPE_ID: "8", COUNTRY_ID: "1", NAME: "Организация", ACTIVE: "Y", SORT: "500", XML_ID: "#CRM_REQUISITE_PRESET_DEF_RU_COMPANY#" },
  { ID: "2", ENTITY_TYPE_ID: "8", COUNTRY_ID: "1", NAME: "ИП", ACTIVE: "Y", SORT: "500", XML_ID: "#CRM_REQUISITE_PRESET_DEF_RU_INDIVIDUAL#" },
  { ID: "3", ENTITY_TYPE_ID: "8", COUNTRY_ID: "1", NAME: "Физ. лицо", ACTIVE: "Y", SORT: "500", XML_ID: "#CRM_REQUISITE_PRESET_DEF_RU_PERSON#" },
];

export function fieldKind(type: FieldType): FieldKind {
  switch (type) {
    case "id":
    case "link":
    case "int":
    case "money":
    case "double":
    case "category":
      return "number";
    case "datetime":
    case "date":
      return "date";
    default:
      return "string";
  }
}

export const isUserField = (name: string): boolean => /^UF_CRM_/.test(name);

/** The default pipeline's stages, in order, with their semantics (P process, S success, F failure). */
export const DEAL_STAGES: ReadonlyArray<{ id: string; name: string; semantic: "P" | "S" | "F"; color: string }> = [
  { id: "NEW", name: "Новая", semantic: "P", color: "#39A8EF" },
  { id: "PREPARATION", name: "Подготовка документов", semantic: "P", color: "#2FC6F6" },
  { id: "PREPAYMENT_INVOICE", name: "Cчет на предоплату", semantic: "P", color: "#55D0E0" },
  { id: "EXECUTING", name: "В работе", semantic: "P", color: "#47E4C2" },
  { id: "FINAL_INVOICE", name: "Финальный счет", semantic: "P", color: "#FFA900" },
  { id: "WON", name: "Сделка успешна", semantic: "S", color: "#7BD500" },
  { id: "LOSE", name: "Сделка провалена", semantic: "F", color: "#FF5752" },
  { id: "APOLOGY", name: "Анализ причины провала", semantic: "F", color: "#FF5752" },
];

/** `C3:WON` → `WON`; `WON` → `WON`. */
export function baseStage(stageId: string): string {
  const m = /^C\d+:(.*)$/.exec(stageId);
  return m ? (m[1] as string) : stageId;
}

export function stagePrefix(categoryId: number): string {
  return categoryId > 0 ? `C${categoryId}:` : "";
}

export function stageSemantic(stageId: string): "P" | "S" | "F" {
  return DEAL_STAGES.find((s) => s.id === baseStage(stageId))?.semantic ?? "P";
}

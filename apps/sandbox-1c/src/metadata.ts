/**
 * The slice of UT 11 metadata the sandbox publishes: entity sets, their fields with Edm types,
 * string lengths (longer values are truncated silently, like the platform) and enum values.
 */

export type FieldType = "guid" | "string" | "boolean" | "double" | "datetime" | "enum" | "int64";

export interface FieldSpec {
  name: string;
  type: FieldType;
  /** Max string length; longer input is cut silently. */
  maxLength?: number;
  /** Enum name (for messages and $metadata) and allowed values; "" is the empty value. */
  enumName?: string;
  values?: readonly string[];
  /** Value of a new object when the body does not set the field. */
  defaultValue?: unknown;
  /** Set by the server only (Ref_Key, DataVersion, Posted, Predefined). */
  readOnly?: boolean;
  /** For `<Attr>_Key` fields: the set the reference points to, when published. */
  target?: string;
}

export interface TabularSpec {
  name: string;
  /** Set name of the part addressed on its own, e.g. `Document_ЗаказКлиента_Товары`. */
  setName: string;
  fields: FieldSpec[];
}

export interface EntitySetSpec {
  name: string;
  kind: "Catalog" | "Document";
  fields: FieldSpec[];
  tabular: TabularSpec[];
  /** Auto-numbering of Code (catalogs) or Number (documents). */
  numbering: { field: "Code" | "Number"; prefix: string; digits: number };
}

export const EMPTY_DATE = "0001-01-01T00:00:00";

const guid = (name: string, target?: string): FieldSpec => (target ? { name, type: "guid", target } : { name, type: "guid" });
const str = (name: string, maxLength?: number): FieldSpec => (maxLength ? { name, type: "string", maxLength } : { name, type: "string" });
const bool = (name: string): FieldSpec => ({ name, type: "boolean" });
const num = (name: string): FieldSpec => ({ name, type: "double" });
const date = (name: string): FieldSpec => ({ name, type: "datetime" });
const enumField = (name: string, enumName: string, values: readonly string[], defaultValue = ""): FieldSpec => ({
  name,
  type: "enum",
  enumName,
  values,
  defaultValue,
});

export const ORDER_STATUSES = ["НеСогласован", "Согласован", "КОбеспечению", "КОтгрузке", "Закрыт"] as const;
export const LEGAL_FORMS = ["ЮрЛицо", "ФизЛицо", "ИндивидуальныйПредприниматель", "ЮрЛицоНеРезидент"] as const;
/** UT 11 types a partner with `КомпанияЧастноеЛицо`, not with the counterparty's enum. */
export const PARTNER_FORMS = ["Компания", "ЧастноеЛицо"] as const;
export const VAT_RATES = [
  "БезНДС", "НДС0", "НДС5", "НДС7", "НДС10", "НДС18", "НДС20", "НДС22", "НДС5_105", "НДС7_107", "НДС10_110", "НДС18_118", "НДС20_120", "НДС22_122",
] as const;
export const BUSINESS_OPERATIONS = [
  "РеализацияКлиенту", "РеализацияКлиентуРеглУчет", "ПередачаНаКомиссию", "РеализацияБезПереходаПраваСобственности", "ОтгрузкаБезПереходаПраваСобственности",
] as const;
export const PAYMENT_FORMS = ["Наличная", "Безналичная", "ПлатежнаяКарта"] as const;
export const PAYMENT_STATES = ["НеОплачен", "ОплаченЧастично", "Оплачен"] as const;
export const SHIPMENT_STATES = ["НеОтгружен", "ОтгруженЧастично", "Отгружен"] as const;
export const CONTACT_KINDS = ["Адрес", "АдресЭлектроннойПочты", "Телефон", "ВебСтраница", "Факс", "Skype", "Другое"] as const;

const catalogHeader = (): FieldSpec[] => [
  { name: "Ref_Key", type: "guid", readOnly: true },
  { name: "DataVersion", type: "string", readOnly: true },
  bool("DeletionMark"),
  guid("Parent_Key"),
  bool("IsFolder"),
  str("Code", 9),
  str("Description", 100),
];

// The platform lists these after the configuration's attributes.
const catalogFooter = (): FieldSpec[] => [
  { name: "Predefined", type: "boolean", readOnly: true },
  { name: "PredefinedDataName", type: "string", readOnly: true },
];

const ORDER: EntitySetSpec = {
  name: "Document_ЗаказКлиента",
  kind: "Document",
  numbering: { field: "Number", prefix: "ТД00-", digits: 6 },
  fields: [
    { name: "Ref_Key", type: "guid", readOnly: true },
    { name: "DataVersion", type: "string", readOnly: true },
    bool("DeletionMark"),
    str("Number", 11),
    date("Date"),
    { name: "Posted", type: "boolean", readOnly: true },
    guid("Контрагент_Key", "Catalog_Контрагенты"),
    guid("Партнер_Key", "Catalog_Партнеры"),
    guid("Организация_Key"),
    guid("Соглашение_Key"),
    guid("Договор_Key"),
    guid("Склад_Key"),
    guid("Валюта_Key"),
    guid("Менеджер_Key"),
    guid("Подразделение_Key"),
    enumField("Статус", "СтатусыЗаказовКлиентов", ORDER_STATUSES, "НеСогласован"),
    bool("Согласован"),
    enumField("ХозяйственнаяОперация", "ХозяйственныеОперации", BUSINESS_OPERATIONS, "РеализацияКлиенту"),
    num("СуммаДокумента"),
    bool("ЦенаВключаетНДС"),
    date("ЖелаемаяДатаОтгрузки"),
    date("ДатаОтгрузки"),
    str("АдресДоставки"),
    enumField("ФормаОплаты", "ФормыОплаты", PAYMENT_FORMS),
    str("Комментарий"),
    str("НомерПоДаннымКлиента", 50),
    date("ДатаПоДаннымКлиента"),
    // Sandbox simplification: in UT 11 these are derived from registers, not stored on the order.
    enumField("СостояниеОплаты", "СостоянияОплаты", PAYMENT_STATES, "НеОплачен"),
    enumField("СостояниеОтгрузки", "СостоянияОтгрузки", SHIPMENT_STATES, "НеОтгружен"),
  ],
  tabular: [
    {
      name: "Товары",
      setName: "Document_ЗаказКлиента_Товары",
      fields: [
        guid("Номенклатура_Key", "Catalog_Номенклатура"),
        guid("Характеристика_Key"),
        guid("Упаковка_Key"),
        num("КоличествоУпаковок"),
        num("Количество"),
        guid("ВидЦены_Key"),
        num("Цена"),
        num("ПроцентРучнойСкидки"),
        num("СуммаРучнойСкидки"),
        num("Сумма"),
        enumField("СтавкаНДС", "СтавкиНДС", VAT_RATES),
        num("СуммаНДС"),
        num("СуммаСНДС"),
        guid("Склад_Key"),
        date("ДатаОтгрузки"),
        bool("Отменено"),
      ],
    },
  ],
};

/**
 * BSP's additional attributes (`ДополнительныеРеквизиты`): rows of a property
 * (ChartOfCharacteristicTypes_ДополнительныеРеквизитыИСведения) and its value. The value is a
 * composite (`Значение` + `Значение_Type`); the sandbox keeps it as text.
 */
const additionalAttributes = (set: string): TabularSpec => ({
  name: "ДополнительныеРеквизиты",
  setName: `${set}_ДополнительныеРеквизиты`,
  fields: [guid("Свойство_Key"), str("Значение"), str("Значение_Type"), str("ТекстоваяСтрока")],
});

const COUNTERPARTY: EntitySetSpec = {
  name: "Catalog_Контрагенты",
  kind: "Catalog",
  numbering: { field: "Code", prefix: "", digits: 9 },
  fields: [
    ...catalogHeader(),
    str("НаименованиеПолное"),
    str("ИНН", 12),
    str("КПП", 9),
    enumField("ЮрФизЛицо", "ЮрФизЛицо", LEGAL_FORMS),
    guid("Партнер_Key", "Catalog_Партнеры"),
    str("Комментарий"),
    ...catalogFooter(),
  ],
  tabular: [
    {
      name: "КонтактнаяИнформация",
      setName: "Catalog_Контрагенты_КонтактнаяИнформация",
      fields: [
        enumField("Тип", "ТипыКонтактнойИнформации", CONTACT_KINDS),
        guid("Вид_Key"),
        str("Представление", 500),
        str("Значение"),
      ],
    },
    additionalAttributes("Catalog_Контрагенты"),
  ],
};


const PARTNER: EntitySetSpec = {
  name: "Catalog_Партнеры",
  kind: "Catalog",
  numbering: { field: "Code", prefix: "", digits: 9 },
  fields: [
    ...catalogHeader(),
    str("НаименованиеПолное"),
    bool("Клиент"),
    bool("Поставщик"),
    enumField("ЮрФизЛицо", "КомпанияЧастноеЛицо", PARTNER_FORMS),
    str("Комментарий"),
    ...catalogFooter(),
  ],
  tabular: [additionalAttributes("Catalog_Партнеры")],
};

const PRODUCT: EntitySetSpec = {
  name: "Catalog_Номенклатура",
  kind: "Catalog",
  numbering: { field: "Code", prefix: "", digits: 9 },
  fields: [
    ...catalogHeader(),
    str("Артикул", 25),
    str("НаименованиеПолное"),
    guid("ЕдиницаИзмерения_Key"),
    guid("ВидНоменклатуры_Key"),
    ...catalogFooter(),
  ],
  tabular: [],
};

export const ENTITY_SETS: ReadonlyMap<string, EntitySetSpec> = new Map(
  [ORDER, COUNTERPARTY, PARTNER, PRODUCT].map((s) => [s.name, s]),
);

/**
 * The attribute Concord's optional 1C extension (docs/1c) adds to orders and counterparties: the
 * DataVersion the client read. Its ПередЗаписью handler refuses a write when it is filled and
 * differs from the object's current version, and clears it, so it is never stored.
 */
export const VERSION_CHECK_ATTRIBUTE = "КонкордОжидаемаяВерсияДанных";
export const VERSION_CHECK_SETS: readonly string[] = ["Document_ЗаказКлиента", "Catalog_Контрагенты"];

// An extension's attributes come after the configuration's own (before Predefined on a catalog).
function withVersionCheck(spec: EntitySetSpec): EntitySetSpec {
  if (!VERSION_CHECK_SETS.includes(spec.name)) return spec;
  const fields = [...spec.fields];
  const at = fields.findIndex((f) => f.name === "Predefined");
  fields.splice(at === -1 ? fields.length : at, 0, str(VERSION_CHECK_ATTRIBUTE, 20));
  return { ...spec, fields };
}

const ENTITY_SETS_WITH_VERSION_CHECK: ReadonlyMap<string, EntitySetSpec> = new Map(
  [...ENTITY_SETS.values()].map((s) => [s.name, withVersionCheck(s)]),
);

/** The published sets as the base has them: with the extension's attribute when it is installed. */
export function entitySets(versionCheck: boolean): ReadonlyMap<string, EntitySetSpec> {
  return versionCheck ? ENTITY_SETS_WITH_VERSION_CHECK : ENTITY_SETS;
}

export interface TabularSetSpec {
  parent: EntitySetSpec;
  part: TabularSpec;
}

export const TABULAR_SETS: ReadonlyMap<string, TabularSetSpec> = new Map(
  [...ENTITY_SETS.values()].flatMap((parent) => parent.tabular.map((part) => [part.setName, { parent, part }] as const)),
);

/** Fields of a tabular-part row as the set exposes them: Ref_Key (owner), LineNumber, then the part's fields. */
export function rowFields(part: TabularSpec): FieldSpec[] {
  return [{ name: "Ref_Key", type: "guid", readOnly: true }, { name: "LineNumber", type: "int64", readOnly: true }, ...part.fields];
}

export function findField(fields: readonly FieldSpec[], name: string): FieldSpec | undefined {
  return fields.find((f) => f.name === name);
}

export const EDM_TYPES: Record<FieldType, string> = {
  guid: "Edm.Guid",
  string: "Edm.String",
  boolean: "Edm.Boolean",
  double: "Edm.Double",
  datetime: "Edm.DateTime",
  enum: "Edm.String",
  int64: "Edm.Int64",
};

import { catalogEntry, ErrorCatalog, isCatalogued } from "@concord/contracts";

/**
 * Failures grouped by cause: a dead letter's error code and the thing its message names — an
 * article 1C does not know, a field it wants filled, a tax rate or a stage the policy lacks — so
 * that "17 orders fail on article SKU-42" reads as one problem, not 17. When a message names
 * nothing of the kind, the cause is its text with the ids, numbers and times taken out.
 */

/** What kind of thing a cause names. */
export type CauseSubject = "article" | "field" | "productRow" | "taxRate" | "stage" | "status" | "pipeline" | "inn" | "counterparty" | "product" | "customer" | "enumValue";

export interface Cause {
  code: string;
  /** What kind of thing `value` is; null when the message names nothing in particular. */
  subject: CauseSubject | null;
  /** The article, field, rate … the message names (several sorted and joined by ", "). */
  value: string | null;
  /** The message with ids, numbers and times replaced by `#`, `<ref>`, `<time>`: the same for every record of the cause. */
  text: string;
}

/** Most characters of a cause's text and value kept (they are a key and a heading, not a log). */
const MAX_TEXT = 200;
const MAX_VALUE = 120;

const GUID = /\b(?:guid')?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}'?/gi;
const ISO_TIME = /\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?/g;

/** Words with digits that are no id: 1C itself, and codes or field names (B24_HTTP_503, UF_CRM_1). */
const KEPT_WORD = /^(?:1[cCсС]|[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)$/u;

/**
 * The message without what differs from record to record: GUIDs, times, and every word with a
 * digit in it (ids, order numbers like ТД00-000001, B24-D-42, line numbers, durations).
 */
export function normaliseMessage(message: string): string {
  const text = targetsOwnWords(message)
    .replace(GUID, "<ref>")
    .replace(ISO_TIME, "<time>")
    .replace(/[^\s,;:()"'«»[\]{}]*\d[^\s,;:()"'«»[\]{}]*/gu, (word) => (KEPT_WORD.test(word) ? word : "#"))
    // "#, #, #" (a list of line numbers or ids) is one "#".
    .replace(/#(?:\s*,\s*#)+/g, "#")
    .replace(/\s+/g, " ")
    .trim();
  return text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT - 1)}…` : text;
}

/**
 * What the target itself said, without the client's account of the call before it:
 * "1c POST Document_ЗаказКлиента: HTTP 500 code -1 Недопустимый заказ: не указан склад" reads
 * "Недопустимый заказ: не указан склад"; "bitrix24 crm.deal.update: HTTP 400 ERROR_CORE …" keeps
 * the portal's code and text. A message of another form is kept whole.
 */
export function targetsOwnWords(message: string): string {
  const call = /^(?:1c|bitrix24)\s+(?:(?:GET|POST|PATCH|PUT|DELETE)\s+)?[^\s:]+:\s+HTTP\s+\d{3}(?:\s+code\s+-?\d+)?\s+(.+)$/su.exec(message.trim());
  return call?.[1]?.trim() || message;
}

/** Several names (a list "a, b, c") as one value: trimmed, deduplicated, sorted, bounded. */
function listValue(list: string): string {
  const items = [...new Set(list.split(/\s*,\s*/).map((s) => s.trim().replace(/[.;]+$/, "")).filter(Boolean))].sort();
  const value = items.join(", ");
  return value.length > MAX_VALUE ? `${value.slice(0, MAX_VALUE - 1)}…` : value;
}

const bounded = (value: string) => (value.length > MAX_VALUE ? `${value.slice(0, MAX_VALUE - 1)}…` : value.trim());

type Rule = { codes?: RegExp; pattern: RegExp; subject: CauseSubject; value: (m: RegExpExecArray) => string };

/**
 * The values Concord's messages name, as its writers, resolvers and clients word them (and as 1C
 * and Bitrix24 word theirs: the sandboxes copy the texts). First match wins; a rule with `codes`
 * applies to those codes only.
 */
const RULES: Rule[] = [
  // onec-writer products.ts: "no Catalog_Номенклатура item with Артикул SKU-1, SKU-2"
  { codes: /^PRODUCT_NOT_FOUND$/, pattern: /Артикул\s+(.+)$/u, subject: "article", value: (m) => listValue(m[1] ?? "") },
  // resolver projection.ts: "rows without a catalogue product or SKU cannot become 1C lines: Доставка, Монтаж"
  { codes: /^PRODUCT_WITHOUT_SKU$/, pattern: /cannot become 1C lines:\s*(.+)$/, subject: "productRow", value: (m) => listValue(m[1] ?? "") },
  // resolver projection.ts: "a deal row has a tax rate of 7%, which has no 1C СтавкаНДС (…)"
  { codes: /^VAT_RATE_UNMAPPED$/, pattern: /tax rate of\s+([^\s,]+%?)/, subject: "taxRate", value: (m) => (m[1] ?? "").replace(/%?$/, "%") },
  // policy status-map.ts: 'CRM stage "C1:WON" has no 1C Статус …' / '1C Статус "Закрыт" has no CRM stage …'
  { codes: /^STATUS_UNMAPPED$/, pattern: /CRM stage "([^"]*)"/, subject: "stage", value: (m) => bounded(m[1] ?? "") },
  { codes: /^STATUS_UNMAPPED$/, pattern: /1C Статус "([^"]*)"/u, subject: "status", value: (m) => bounded(m[1] ?? "") },
  // policy status-map.ts: 'deal pipeline (CATEGORY_ID) "abc" is not a number'
  { codes: /^CATEGORY_INVALID$/, pattern: /CATEGORY_ID\) "([^"]*)"/, subject: "pipeline", value: (m) => bounded(m[1] ?? "") },
  // onec-writer: "counterparty <ref> no longer exists in 1C" (an order's customer, the same for all its orders)
  { codes: /^REFERENCE_GONE$/, pattern: /counterparty\s+([0-9a-f-]{36})/i, subject: "counterparty", value: (m) => (m[1] ?? "").toLowerCase() },
  // crm-writer: "1C product <ref> has no CRM product yet" / onec-writer: "counterparty of company 5 is not in 1C yet"
  { codes: /^REFERENCE_NOT_READY$/, pattern: /1C product\s+([0-9a-f-]{36})/i, subject: "product", value: (m) => (m[1] ?? "").toLowerCase() },
  { codes: /^REFERENCE_NOT_READY$/, pattern: /counterparty of (company|contact) (\d+)/, subject: "customer", value: (m) => `${m[1]} ${m[2]}` },
  // 1C's posting check (UT 11; the sandbox copies the wording): 'Не заполнена колонка "Склад" в строке 3 списка "Товары"'
  { pattern: /Не заполнена колонка "([^"]+)" в строке \d+ списка "([^"]+)"/u, subject: "field", value: (m) => `${m[2]}.${m[1]}` },
  { pattern: /Не заполнено поле "([^"]+)"/u, subject: "field", value: (m) => bounded(m[1] ?? "") },
  { pattern: /Не заполнена табличная часть "([^"]+)"/u, subject: "field", value: (m) => bounded(m[1] ?? "") },
  // 1C OData code 6: "Не найдено свойство: ИмяПоля" (ONEC_UNKNOWN_FIELD)
  { pattern: /Не найдено свойство:\s*(\S+)/u, subject: "field", value: (m) => bounded(m[1] ?? "") },
  // 1C OData code 1: "Не удалось разобрать строку 'Отгружен' как значение перечисления СтатусыЗаказовКлиентов!"
  { pattern: /строку '([^']*)' как значение (?:перечисления|типа)\s+([^\s!]+)/u, subject: "enumValue", value: (m) => bounded(`${m[2]}: ${m[1]}`) },
  // Bitrix24: "UF_CRM_1 is not defined or invalid." (an empty code, the field in the text)
  { codes: /^B24_/, pattern: /\b([A-Z][A-Z0-9_]{1,63}) is not defined or invalid/, subject: "field", value: (m) => m[1] ?? "" },
  // An INN or an article named anywhere else (a 1C handler's own text, a Bitrix24 requisite check).
  { pattern: /(?:ИНН|\bINN)\s*:?\s*(\d{10}|\d{12})\b/u, subject: "inn", value: (m) => m[1] ?? "" },
  { pattern: /(?:[Аа]ртикул(?:ом|а|у)?|\b[Aa]rticle)\s*:?\s*"?([^\s",;)]+)/u, subject: "article", value: (m) => bounded(m[1] ?? "") },
];

/** The cause of a failure: its code, the thing its message names, and the message without ids. */
export function causeOf(errorCode: string, errorMessage: string): Cause {
  const text = normaliseMessage(errorMessage);
  for (const rule of RULES) {
    if (rule.codes && !rule.codes.test(errorCode)) continue;
    const m = rule.pattern.exec(errorMessage);
    if (!m) continue;
    const value = rule.value(m);
    if (value !== "") return { code: errorCode, subject: rule.subject, value, text };
  }
  return { code: errorCode, subject: null, value: null, text };
}

/** One group per code and named value, or per code and normalised text when nothing is named. */
export function groupKey(cause: Cause): string {
  return cause.value !== null ? `${cause.code}|${cause.subject ?? ""}=${cause.value}` : `${cause.code}|${cause.text}`;
}

/**
 * Whether a failure is a business rejection (the target or the policy refused this record's
 * data: a person fixes the data or the policy) rather than a pipeline fault. The catalog decides
 * for the codes it knows (by name or by family); the letter's own class for the rest.
 */
export function isBusiness(errorCode: string, failureClass: string | null): boolean {
  const entry = catalogEntry(errorCode);
  const unknown = !isCatalogued(errorCode) && entry === ErrorCatalog.UNCLASSIFIED;
  return unknown ? failureClass === "business" : entry.kind === "business";
}

/** A dead letter as the grouping needs it. */
export interface FailureRow {
  id: number;
  errorCode: string;
  errorMessage: string;
  failureClass: string | null;
  flow: string | null;
  system: string | null;
  entity: string | null;
  recordId: string | null;
  lastFailedAt: Date;
  createdAt: Date;
}

export interface FailureGroup {
  key: string;
  cause: Cause;
  business: boolean;
  /** Dead letters in the group. */
  letters: number;
  /** Distinct records among them (a letter that names none counts as one). */
  records: number;
  newestFailureAt: Date;
  /** When the newest letter was recorded: what reopens a resolved group. */
  newestRecordedAt: Date;
  flows: string[];
  systems: string[];
  /** An example message (the newest), as stored (masked). */
  example: string;
  /** The letters' ids, newest first. */
  ids: number[];
}

/** Groups the failures by cause, the group with the newest failure first. */
export function groupFailures(rows: readonly FailureRow[]): FailureGroup[] {
  const groups = new Map<string, FailureGroup & { recordKeys: Set<string> }>();
  const sorted = [...rows].sort((a, b) => b.lastFailedAt.getTime() - a.lastFailedAt.getTime() || b.id - a.id);
  for (const row of sorted) {
    const cause = causeOf(row.errorCode, row.errorMessage);
    const key = groupKey(cause);
    let group = groups.get(key);
    if (!group) {
      group = { key, cause, business: isBusiness(row.errorCode, row.failureClass), letters: 0, records: 0, newestFailureAt: row.lastFailedAt, newestRecordedAt: row.createdAt, flows: [], systems: [], example: row.errorMessage, ids: [], recordKeys: new Set() };
      groups.set(key, group);
    }
    group.letters++;
    group.ids.push(row.id);
    group.recordKeys.add(row.recordId === null ? `letter:${row.id}` : `${row.system}:${row.entity}:${row.recordId}`);
    if (row.createdAt > group.newestRecordedAt) group.newestRecordedAt = row.createdAt;
    if (row.flow && !group.flows.includes(row.flow)) group.flows.push(row.flow);
    if (row.system && !group.systems.includes(row.system)) group.systems.push(row.system);
  }
  return [...groups.values()].map(({ recordKeys, ...g }) => ({ ...g, records: recordKeys.size, flows: g.flows.sort(), systems: g.systems.sort() }));
}

/** A group's state as people see it. */
export type GroupState = "open" | "acknowledged" | "resolved";

/** What a person last said about a group (table failure_groups). */
export interface GroupMark {
  state: GroupState;
  changedBy: string;
  changedAt: Date;
  note: string | null;
}

export interface GroupStatus {
  state: GroupState;
  /** Resolved, then new dead letters came: open again. */
  reopened: boolean;
  /** Letters recorded after the mark (for acknowledged: what came since a person looked). */
  newSinceMark: boolean;
}

/**
 * A group's state: open until a person marks it; a resolved group whose newest letter was
 * recorded after it was resolved is open again (the fix did not hold, or it came back).
 */
export function statusOf(group: Pick<FailureGroup, "newestRecordedAt">, mark: GroupMark | undefined): GroupStatus {
  if (!mark || mark.state === "open") return { state: "open", reopened: false, newSinceMark: false };
  const newSinceMark = group.newestRecordedAt.getTime() > mark.changedAt.getTime();
  if (mark.state === "resolved" && newSinceMark) return { state: "open", reopened: true, newSinceMark };
  return { state: mark.state, reopened: false, newSinceMark };
}

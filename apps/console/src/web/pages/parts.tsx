import { isSyncError, type System } from "@concord/contracts";
import { masker } from "@concord/telemetry";
import { httpStatusOf } from "../../actions";
import type { Lang } from "../i18n";

/**
 * What the operator pages share: records and flows named in words, links to a record's timeline,
 * and an operation's refusal in words.
 */

/** "{count} retried" with `{count}` filled in. */
export const fill = (text: string, values: Record<string, string | number>) => text.replace(/\{(\w+)\}/g, (_, k: string) => String(values[k] ?? `{${k}}`));

/** Text from a message, a target system or a person, masked once more before it reaches a page. */
export const shown = (text: string, max = 2000) => masker.text(text).slice(0, max);

export const SYSTEM_NAMES: Record<System, Record<Lang, string>> = { bitrix24: { en: "Bitrix24", ru: "Битрикс24" }, onec: { en: "1C", ru: "1С" } };
const ENTITY_NAMES: Record<string, Record<Lang, string>> = {
  deal: { en: "deal", ru: "сделка" },
  company: { en: "company", ru: "компания" },
  contact: { en: "contact", ru: "контакт" },
  product: { en: "product", ru: "товар" },
  order: { en: "order", ru: "заказ" },
  counterparty: { en: "counterparty", ru: "контрагент" },
  partner: { en: "partner", ru: "партнёр" },
};

/** "bitrix24.deal" (or system and entity apart) → "Bitrix24 deal" in the page's language; what it does not know stays as it is. */
export function recordKind(lang: Lang, kind: string): string {
  const [system = "", entity = ""] = kind.split(".");
  const s = SYSTEM_NAMES[system as System]?.[lang];
  const e = ENTITY_NAMES[entity]?.[lang];
  return s && e ? `${s} ${e}` : kind;
}

/** "bitrix24.deal→onec.order" → "Bitrix24 deal → 1C order". */
export const describeFlow = (lang: Lang, flow: string | null) => (flow ? flow.split("→").map((k) => recordKind(lang, k)).join(" → ") : "—");

/** A record's timeline page. */
export const recordHref = (system: string, entity: string, id: string) => `/records/${encodeURIComponent(system)}/${encodeURIComponent(entity)}/${encodeURIComponent(id)}`;

/** "Bitrix24 deal 42", linked to its timeline; a dash when the record is not known. */
export function RecordLink(props: { lang: Lang; system: string | null; entity: string | null; id: string | null }) {
  const { system, entity, id } = props;
  if (!system || !entity || !id) return <span class="muted">—</span>;
  return <a href={recordHref(system, entity, id)}>{`${recordKind(props.lang, `${system}.${entity}`)} ${id}`}</a>;
}

const EXPLAIN: Record<string, Record<Lang, string>> = {
  DEAD_LETTER_NOT_OPEN: { en: "It is no longer open: someone retried or discarded it meanwhile.", ru: "Она уже не открыта: её повторили или отбросили тем временем." },
  DEAD_LETTER_NOT_FOUND: { en: "There is no such dead letter.", ru: "Такой ошибки нет." },
  NOT_RESYNCABLE: { en: "It cannot be rebuilt from the source: retry it as it is.", ru: "Её нельзя собрать заново из источника: повторите как есть." },
  DLQ_PAYLOAD_MASKED: { en: "Its payload was stored masked: retry it from the source's current state.", ru: "Содержимое сохранено со скрытыми секретами: повторите с текущего состояния источника." },
  DLQ_SEAL_UNKNOWN_KEY: { en: "Its sealed original cannot be opened here (CONCORD_DLQ_KEY): retry it from the source.", ru: "Запечатанный оригинал здесь не открыть (CONCORD_DLQ_KEY): повторите с источника." },
  BUS_PUBLISH_FAILED: { en: "The message bus did not confirm the publish: nothing changed, try again.", ru: "Шина сообщений не подтвердила публикацию: ничего не изменилось, попробуйте ещё раз." },
  RPC_UNAVAILABLE: { en: "The mapping service did not answer: try again in a minute.", ru: "Сервис сопоставления не ответил: попробуйте через минуту." },
  DECISION_NOT_FOUND: { en: "There is no such decision.", ru: "Такого решения нет." },
  DECISION_CLOSED: { en: "This decision is closed already: someone took it, or the record was linked meanwhile.", ru: "Решение уже закрыто: его приняли или запись тем временем связали." },
  TARGET_ALREADY_MAPPED: {
    en: "That record is already linked to another one: choose create new or ignore, or unlink that one first.",
    ru: "Эта запись уже связана с другой: выберите «создать новую» или «не синхронизировать», либо сначала разорвите ту связь.",
  },
  NOT_A_CANDIDATE: { en: "That record is not one of this decision's candidates.", ru: "Эта запись не из кандидатов этого решения." },
  BAD_REQUEST: { en: "The request was refused.", ru: "Запрос отклонён." },
};

/** A refusal of an operation in words: what it means, then its code and its own (masked) text. */
export function refusalText(lang: Lang, error: { code: string; message: string }): string {
  const words = EXPLAIN[error.code]?.[lang];
  return `${words ? `${words} ` : ""}(${error.code}: ${shown(error.message, 500)})`;
}

/** Runs an operator's action: a refusal of the operation comes back as its HTTP status and words; anything else goes on to the error page. */
export async function attempt<T>(lang: Lang, run: () => Promise<T>): Promise<{ ok: true; value: T } | { ok: false; status: number; text: string }> {
  try {
    return { ok: true, value: await run() };
  } catch (error) {
    if (isSyncError(error)) return { ok: false, status: httpStatusOf(error), text: refusalText(lang, error) };
    throw error;
  }
}

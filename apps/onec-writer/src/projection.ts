import type { OnecCounterpartyUpsert, OnecOrderUpsert, RecordRef } from "@concord/contracts";

export const OnecSets = {
  order: "Document_ЗаказКлиента",
  counterparty: "Catalog_Контрагенты",
  partner: "Catalog_Партнеры",
  product: "Catalog_Номенклатура",
} as const;

/**
 * Inverse ids: the CRM id stored on the 1C record, so a writer that died between the 1C create
 * and the mapping confirm finds its record instead of creating it again, and so the mapping can
 * be rebuilt from the two systems. Orders keep it in НомерПоДаннымКлиента (the client's own
 * reference); catalogs in Комментарий (see docs/decisions).
 */
export function orderInverseId(deal: RecordRef): string {
  return `B24-D-${deal.id}`;
}

export function customerInverseId(customer: RecordRef): string {
  return `concord:bitrix24:${customer.entity}:${customer.id}`;
}

/** Date in 1C's form: local time without a zone, second precision. */
export function onecDate(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

export function toPartnerBody(command: OnecCounterpartyUpsert): Record<string, unknown> {
  return {
    Description: command.counterparty.name,
    НаименованиеПолное: command.counterparty.name,
    Клиент: true,
    // Partners use their own enum (Компания / ЧастноеЛицо), not the counterparty's.
    ЮрФизЛицо: command.counterparty.kind === "ФизЛицо" ? "ЧастноеЛицо" : "Компания",
    Комментарий: customerInverseId(command.source),
  };
}

export function toCounterpartyBody(command: OnecCounterpartyUpsert, partnerRef: string): Record<string, unknown> {
  const contacts: Array<Record<string, unknown>> = [];
  if (command.counterparty.email) contacts.push({ Тип: "АдресЭлектроннойПочты", Представление: command.counterparty.email, Значение: command.counterparty.email });
  if (command.counterparty.phone) contacts.push({ Тип: "Телефон", Представление: command.counterparty.phone, Значение: command.counterparty.phone });
  return {
    Description: command.counterparty.name,
    НаименованиеПолное: command.counterparty.name,
    ЮрФизЛицо: command.counterparty.kind,
    Партнер_Key: partnerRef,
    Комментарий: customerInverseId(command.source),
    // ИНН/КПП only when the CRM owns them (1C does by default): absent leaves 1C's value.
    ...(command.counterparty.inn != null ? { ИНН: command.counterparty.inn } : {}),
    ...(command.counterparty.kpp != null ? { КПП: command.counterparty.kpp } : {}),
    КонтактнаяИнформация: contacts.map((c, i) => ({ LineNumber: i + 1, ...c })),
  };
}

/** The order body: the whole Товары part (1C writes a tabular part only whole). */
export function toOrderBody(
  command: OnecOrderUpsert,
  refs: { counterparty: string; partner: string; products: ReadonlyMap<string, string> },
): Record<string, unknown> {
  return {
    Статус: command.order.status,
    Контрагент_Key: refs.counterparty,
    Партнер_Key: refs.partner,
    Комментарий: command.order.comment,
    НомерПоДаннымКлиента: orderInverseId(command.source),
    Товары: command.lines.map((line) => ({
      LineNumber: line.lineNumber,
      Номенклатура_Key: refs.products.get(line.sku),
      Количество: line.quantity,
      Цена: Number(line.price),
      Сумма: Number(line.sum),
    })),
  };
}

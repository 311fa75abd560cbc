import type { OnecCounterpartyUpsert, OnecOrderUpsert, RecordRef } from "@concord/contracts";
import { markerRows } from "./markers";
import { mergeOrderRows, type WantedLine } from "./merge";

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
 * reference); catalogs in an additional attribute (markers.ts).
 */
export function orderInverseId(deal: RecordRef): string {
  return `B24-D-${deal.id}`;
}

export function customerInverseId(customer: RecordRef): string {
  return `concord:bitrix24:${customer.entity}:${customer.id}`;
}

/**
 * Date in 1C's form: wall time of the 1C base's time zone, no zone, second precision (1C reads
 * a date as the base's local time, whatever the host running Concord uses).
 */
export function onecDate(date: Date, timeZone: string): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat("en-GB", { timeZone, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit" })
      .formatToParts(date)
      .map((p) => [p.type, p.value]),
  );
  return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}:${parts.second}`;
}

export function toPartnerBody(command: OnecCounterpartyUpsert): Record<string, unknown> {
  return {
    Description: command.counterparty.name,
    НаименованиеПолное: command.counterparty.name,
    Клиент: true,
    // Partners use their own enum (Компания / ЧастноеЛицо), not the counterparty's.
    ЮрФизЛицо: command.counterparty.kind === "ФизЛицо" ? "ЧастноеЛицо" : "Компания",
    ДополнительныеРеквизиты: markerRows(customerInverseId(command.source)),
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
    ДополнительныеРеквизиты: markerRows(customerInverseId(command.source)),
    // ИНН/КПП only when the CRM owns them (1C does by default): absent leaves 1C's value.
    ...(command.counterparty.inn != null ? { ИНН: command.counterparty.inn } : {}),
    ...(command.counterparty.kpp != null ? { КПП: command.counterparty.kpp } : {}),
    КонтактнаяИнформация: contacts.map((c, i) => ({ LineNumber: i + 1, ...c })),
  };
}

/**
 * A new order: everything Concord owns, plus what UT 11 needs to post it (the install's
 * defaults) and the inverse id. Rows come from the same merge as updates, against no rows.
 */
export function toNewOrderBody(
  command: OnecOrderUpsert,
  refs: { counterparty: string; partner: string; products: ReadonlyMap<string, string> },
  date: string,
): Record<string, unknown> {
  const header = command.order.header;
  const pricesIncludeVat = header?.pricesIncludeVat ?? true;
  const { rows } = mergeOrderRows([], wantedLines(command, refs.products), { vatRate: header?.vatRate ?? null, warehouse: null, pricesIncludeVat });
  return {
    Date: date,
    Статус: command.order.status,
    Контрагент_Key: refs.counterparty,
    Партнер_Key: refs.partner,
    Комментарий: command.order.comment,
    НомерПоДаннымКлиента: orderInverseId(command.source),
    ...(header
      ? {
          Организация_Key: header.organisation,
          Соглашение_Key: header.agreement,
          Склад_Key: header.warehouse,
          Валюта_Key: header.currency,
          ХозяйственнаяОперация: header.businessOperation,
        }
      : {}),
    ЦенаВключаетНДС: pricesIncludeVat,
    Товары: rows,
  };
}

export function wantedLines(command: OnecOrderUpsert, products: ReadonlyMap<string, string>): WantedLine[] {
  return command.lines.map((line) => ({ product: products.get(line.sku) as string, line }));
}

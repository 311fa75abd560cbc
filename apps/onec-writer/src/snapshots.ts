import { toMoney, type OnecCounterparty, type OnecOrderSnapshot, type OnecProduct, type OnecSnapshotReply } from "@concord/contracts";
import type { OnecClient, OnecRecord } from "@concord/onec-client";
import { OnecSets } from "./projection";
import { markerOf } from "./markers";

const EMPTY_REF = "00000000-0000-0000-0000-000000000000";
const text = (v: unknown) => (v === null || v === undefined ? "" : String(v));

function contact(record: OnecRecord, type: string): string | null {
  const rows = Array.isArray(record.КонтактнаяИнформация) ? (record.КонтактнаяИнформация as Array<Record<string, unknown>>) : [];
  const row = rows.find((r) => r.Тип === type);
  return row ? text(row.Представление || row.Значение) || null : null;
}

export function toCounterparty(record: OnecRecord): OnecCounterparty {
  return {
    ref: record.Ref_Key,
    name: text(record.Description),
    inn: text(record.ИНН),
    kpp: text(record.КПП),
    kind: text(record.ЮрФизЛицо),
    email: contact(record, "АдресЭлектроннойПочты"),
    phone: contact(record, "Телефон"),
    partnerRef: text(record.Партнер_Key),
    deleted: record.DeletionMark === true,
    concordId: markerOf(record),
    dataVersion: text(record.DataVersion),
  };
}

/** Reads 1C records for the resolver: an order with its lines' products and its counterparty. */
export function createOnecSnapshots(client: OnecClient) {
  const products = new Map<string, { product: OnecProduct | null; at: number }>();

  async function product(ref: string): Promise<OnecProduct | null> {
    if (!ref || ref === EMPTY_REF) return null;
    const hit = products.get(ref);
    if (hit && Date.now() - hit.at < 60_000) return hit.product;
    const record = await client.get(OnecSets.product, ref);
    const value = record ? { ref, sku: text(record.Артикул), name: text(record.Description), deleted: record.DeletionMark === true } : null;
    products.set(ref, { product: value, at: Date.now() });
    return value;
  }

  return async function read(entity: "order" | "counterparty" | "product", ref: string): Promise<OnecSnapshotReply> {
    if (entity === "product") {
      products.delete(ref); // a product event means the cached copy is old
      const value = await product(ref);
      const fetchedAt = new Date().toISOString();
      return value ? { v: 1, type: "onec-product-snapshot", found: true, product: value, fetchedAt } : { v: 1, type: "onec-missing", found: false, fetchedAt };
    }
    if (entity === "counterparty") {
      const record = await client.get(OnecSets.counterparty, ref);
      const fetchedAt = new Date().toISOString();
      if (!record) return { v: 1, type: "onec-missing", found: false, fetchedAt };
      return { v: 1, type: "onec-counterparty-snapshot", found: true, counterparty: toCounterparty(record), fetchedAt };
    }
    const record = await client.get(OnecSets.order, ref);
    const fetchedAt = new Date().toISOString();
    if (!record) return { v: 1, type: "onec-missing", found: false, fetchedAt };
    const rows = Array.isArray(record.Товары) ? (record.Товары as Array<Record<string, unknown>>) : [];
    const lines: OnecOrderSnapshot["order"]["lines"] = [];
    // What the customer pays for a row: Сумма, plus its VAT when the order's prices exclude VAT.
    const vatOnTop = record.ЦенаВключаетНДС !== true;
    for (const row of rows) {
      const sum = Number(row.Сумма ?? 0);
      lines.push({
        lineNumber: Number(row.LineNumber),
        product: await product(text(row.Номенклатура_Key)),
        quantity: Number(row.Количество ?? 0),
        price: toMoney(row.Цена as number),
        sum: toMoney(sum),
        total: toMoney(vatOnTop ? sum + Number(row.СуммаНДС ?? 0) : sum),
      });
    }
    const counterpartyRef = text(record.Контрагент_Key);
    const counterpartyRecord = counterpartyRef && counterpartyRef !== EMPTY_REF ? await client.get(OnecSets.counterparty, counterpartyRef) : null;
    return {
      v: 1,
      type: "onec-order-snapshot",
      found: true,
      order: {
        ref,
        number: text(record.Number),
        date: text(record.Date),
        posted: record.Posted === true,
        deleted: record.DeletionMark === true,
        status: text(record.Статус),
        comment: text(record.Комментарий),
        clientNumber: text(record.НомерПоДаннымКлиента),
        amount: toMoney(record.СуммаДокумента as number),
        paymentState: record.СостояниеОплаты === undefined ? null : text(record.СостояниеОплаты),
        shipmentState: record.СостояниеОтгрузки === undefined ? null : text(record.СостояниеОтгрузки),
        dataVersion: text(record.DataVersion),
        lines,
      },
      counterparty: counterpartyRecord ? toCounterparty(counterpartyRecord) : null,
      fetchedAt,
    };
  };
}

import type { OnecOrderUpsert } from "@concord/contracts";
import { onecDate, orderInverseId, toNewOrderBody } from "./projection";

const header = {
  organisation: "859f72cd-9fac-5b73-8b10-27cda8ec1fbf",
  agreement: "c3924f00-9b73-5132-a399-665696378d38",
  warehouse: "2113acf2-6013-5e41-a269-b35f45a216bc",
  currency: "152d5c2a-0a27-5375-845a-7e9612a2aec1",
  businessOperation: "РеализацияКлиенту",
  vatRate: "НДС20",
  pricesIncludeVat: true,
};

const command: OnecOrderUpsert = {
  v: 1,
  type: "onec.order.upsert",
  source: { system: "bitrix24", entity: "deal", id: "42" },
  sourceVersion: { modifiedAt: "2024-01-01T10:00:00+03:00", fetchedAt: "2024-01-01T07:00:01.000Z" },
  issuedAt: "2024-01-01T07:00:01.000Z",
  customer: { system: "bitrix24", entity: "company", id: "9" },
  order: { status: "НеСогласован", currency: "RUB", amount: "1100.00", comment: "Deal 42", header },
  lines: [
    // 10% off a list price of 500 (VAT 20% included): the customer pays 450 a unit.
    { lineNumber: 1, sku: "SKU-001", name: "A", quantity: 2, price: "450.00", listPrice: "500.00", vatRate: "НДС20", sum: "900.00" },
    { lineNumber: 2, sku: "SKU-002", name: "B", quantity: 1, price: "200.00", sum: "200.00" },
  ],
  contentHash: "h",
};

it("projects a new order with what UT 11 needs to post it, discounts and VAT on the rows, and the inverse id", () => {
  const body = toNewOrderBody(command, { counterparty: "c-ref", partner: "p-ref", products: new Map([["SKU-001", "n1"], ["SKU-002", "n2"]]) }, "2024-01-01T10:00:01");
  expect(body).toEqual({
    Date: "2024-01-01T10:00:01",
    Статус: "НеСогласован",
    Контрагент_Key: "c-ref",
    Партнер_Key: "p-ref",
    Комментарий: "Deal 42",
    НомерПоДаннымКлиента: "B24-D-42",
    Организация_Key: header.organisation,
    Соглашение_Key: header.agreement,
    Склад_Key: header.warehouse,
    Валюта_Key: header.currency,
    ХозяйственнаяОперация: "РеализацияКлиенту",
    ЦенаВключаетНДС: true,
    Товары: [
      { LineNumber: 1, Номенклатура_Key: "n1", Количество: 2, Цена: 500, ПроцентРучнойСкидки: 10, СуммаРучнойСкидки: 100, Сумма: 900, СуммаНДС: 150, СуммаСНДС: 900, СтавкаНДС: "НДС20" },
      { LineNumber: 2, Номенклатура_Key: "n2", Количество: 1, Цена: 200, ПроцентРучнойСкидки: 0, СуммаРучнойСкидки: 0, Сумма: 200, СуммаНДС: 33.33, СуммаСНДС: 200, СтавкаНДС: "НДС20" },
    ],
  });
  // The 1C total (prices include VAT: the sum of Сумма) is the deal's amount.
  expect((body.Товары as Array<{ Сумма: number }>).reduce((s, r) => s + r.Сумма, 0)).toBe(1100);
  expect(orderInverseId(command.source)).toBe("B24-D-42");
});

it("writes dates as the 1C base's wall time, whatever the host's zone", () => {
  const instant = new Date("2024-01-01T22:30:05Z");
  expect(onecDate(instant, "Europe/Moscow")).toBe("2024-01-02T01:30:05");
  expect(onecDate(instant, "Asia/Yekaterinburg")).toBe("2024-01-02T03:30:05");
  expect(onecDate(instant, "UTC")).toBe("2024-01-01T22:30:05");
});

import type { OnecOrderUpsert } from "@concord/contracts";
import { onecDate, orderInverseId, toOrderBody } from "./projection";

const command: OnecOrderUpsert = {
  v: 1,
  type: "onec.order.upsert",
  source: { system: "bitrix24", entity: "deal", id: "42" },
  sourceVersion: { modifiedAt: "2024-01-01T10:00:00+03:00", fetchedAt: "2024-01-01T07:00:01.000Z" },
  issuedAt: "2024-01-01T07:00:01.000Z",
  customer: { system: "bitrix24", entity: "company", id: "9" },
  order: { status: "НеСогласован", currency: "RUB", amount: "1200.00", comment: "Deal 42" },
  lines: [
    { lineNumber: 1, sku: "SKU-001", name: "A", quantity: 2, price: "500.00", sum: "1000.00" },
    { lineNumber: 2, sku: "SKU-002", name: "B", quantity: 1, price: "200.00", sum: "200.00" },
  ],
  contentHash: "h",
};

it("projects a deal command onto a UT 11 order with both partner and counterparty and whole lines", () => {
  const body = toOrderBody(command, { counterparty: "c-ref", partner: "p-ref", products: new Map([["SKU-001", "n1"], ["SKU-002", "n2"]]) });
  expect(body).toEqual({
    Статус: "НеСогласован",
    Контрагент_Key: "c-ref",
    Партнер_Key: "p-ref",
    Комментарий: "Deal 42",
    НомерПоДаннымКлиента: "B24-D-42",
    Товары: [
      { LineNumber: 1, Номенклатура_Key: "n1", Количество: 2, Цена: 500, Сумма: 1000 },
      { LineNumber: 2, Номенклатура_Key: "n2", Количество: 1, Цена: 200, Сумма: 200 },
    ],
  });
  expect(orderInverseId(command.source)).toBe("B24-D-42");
});

it("formats dates the way 1C stores them: local, no zone", () => {
  expect(onecDate(new Date(2024, 0, 2, 3, 4, 5))).toBe("2024-01-02T03:04:05");
});

import { DealSnapshotSchema } from "@concord/contracts";
import { toCustomer, toDealSnapshot } from "./snapshot";

const deal = {
  ID: "410",
  TITLE: "Заказ #1",
  STAGE_ID: "C1:NEW",
  CURRENCY_ID: "RUB",
  OPPORTUNITY: "1500.5",
  COMPANY_ID: "9",
  CONTACT_ID: "0",
  ORIGINATOR_ID: null,
  ORIGIN_ID: null,
  COMMENTS: null,
  DATE_MODIFY: "2024-08-30T14:29:00+03:00",
  CATEGORY_ID: "1",
  UF_CRM_ONEC_NUMBER: "ТД00-000001",
  UF_CRM_EMPTY: "",
};

it("normalises a Bitrix24 deal into a valid snapshot", () => {
  const rows = [
    { PRODUCT_ID: 7, PRODUCT_NAME: "Стул", PRICE: 500.25, PRICE_BRUTTO: 555.833333, QUANTITY: 2, TAX_RATE: 20 },
    { PRODUCT_ID: 0, PRODUCT_NAME: "Доставка", PRICE: 500, QUANTITY: 1 },
  ];
  const customer = toCustomer("company", { ID: "9", TITLE: "ООО Ромашка", EMAIL: [{ ID: "1", VALUE: "a@b.ru", VALUE_TYPE: "WORK" }], DATE_MODIFY: null });
  const snapshot = toDealSnapshot(deal, rows, new Map([["7", "SKU-001"]]), customer, new Date("2024-08-30T11:30:00Z"));
  expect(DealSnapshotSchema.parse(snapshot)).toEqual(snapshot);
  expect(snapshot.deal).toMatchObject({ amount: "1500.50", companyId: "9", contactId: null, stageId: "C1:NEW", categoryId: "1" });
  expect(snapshot.deal.userFields).toEqual({ UF_CRM_ONEC_NUMBER: "ТД00-000001", UF_CRM_EMPTY: null });
  expect(snapshot.rows).toEqual([
    { productId: "7", name: "Стул", sku: "SKU-001", price: "500.25", quantity: 2, listPrice: "555.83", taxRate: 20 },
    { productId: "0", name: "Доставка", sku: null, price: "500.00", quantity: 1, listPrice: "500.00", taxRate: null },
  ]);
  expect(snapshot.customer).toMatchObject({ kind: "company", name: "ООО Ромашка", email: "a@b.ru", phone: null });
});

it("names a contact by its parts", () => {
  expect(toCustomer("contact", { ID: "3", NAME: "Иван", LAST_NAME: "Петров", SECOND_NAME: null }).name).toBe("Петров Иван");
});

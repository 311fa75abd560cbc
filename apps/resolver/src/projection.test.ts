import { OnecCounterpartyUpsertSchema, OnecOrderUpsertSchema, type DealSnapshot } from "@concord/contracts";
import { loadPolicy, defaultPolicyPath, stageToStatus } from "@concord/policy";
import { projectDeal as project } from "./projection";

const policy = loadPolicy(defaultPolicyPath);
const projectDeal = (snapshot: DealSnapshot, now: Date) => project(snapshot, now, (stage) => stageToStatus(policy, stage));

const snapshot: DealSnapshot = {
  v: 1,
  type: "deal-snapshot",
  found: true,
  deal: {
    id: "42",
    title: "Офисная мебель",
    stageId: "EXECUTING",
    currency: "RUB",
    amount: "1600.00",
    comments: null,
    companyId: "9",
    contactId: null,
    originatorId: null,
    originId: null,
    modifiedAt: "2024-01-01T10:00:00+03:00",
    categoryId: "0",
    userFields: {},
  },
  rows: [
    { productId: "1", name: "Стул", sku: "SKU-001", price: "500.00", quantity: 2 },
    { productId: "2", name: "Стол", sku: "SKU-002", price: "600.00", quantity: 1 },
  ],
  customer: { kind: "company", id: "9", name: "ООО Ромашка", email: "info@romashka.ru", phone: null, modifiedAt: null },
  fetchedAt: "2024-01-01T07:00:02.000Z",
};
const now = new Date("2024-01-01T07:00:03.000Z");

it("projects a deal onto a counterparty and an order with lines, sums and the mapped status", () => {
  const result = projectDeal(snapshot, now);
  if (result.kind !== "commands") throw new Error("expected commands");
  expect(OnecOrderUpsertSchema.parse(result.order)).toEqual(result.order);
  expect(OnecCounterpartyUpsertSchema.parse(result.customer)).toEqual(result.customer);
  expect(result.order.order).toEqual({ status: "КОбеспечению", currency: "RUB", amount: "1600.00", comment: "Офисная мебель" });
  expect(result.order.lines).toEqual([
    { lineNumber: 1, sku: "SKU-001", name: "Стул", quantity: 2, price: "500.00", sum: "1000.00" },
    { lineNumber: 2, sku: "SKU-002", name: "Стол", quantity: 1, price: "600.00", sum: "600.00" },
  ]);
  expect(result.order.customer).toEqual({ system: "bitrix24", entity: "company", id: "9" });
  expect(result.customer.counterparty).toEqual({ name: "ООО Ромашка", kind: "ЮрЛицо", email: "info@romashka.ru", phone: null });
});

it("gives the same hash when only fields outside the projection change (our own write-back)", () => {
  const a = projectDeal(snapshot, now);
  const b = projectDeal({ ...snapshot, deal: { ...snapshot.deal, originId: "ref", originatorId: "1C", modifiedAt: "2024-01-01T10:00:05+03:00" } }, now);
  if (a.kind !== "commands" || b.kind !== "commands") throw new Error("expected commands");
  expect(b.order.contentHash).toBe(a.order.contentHash);
  const c = projectDeal({ ...snapshot, rows: [snapshot.rows[0]!] }, now);
  if (c.kind !== "commands") throw new Error("expected commands");
  expect(c.order.contentHash).not.toBe(a.order.contentHash);
});

it("waits for a customer and for rows instead of failing", () => {
  expect(projectDeal({ ...snapshot, customer: null }, now)).toEqual({ kind: "skip", reason: "deal has no company or contact yet" });
  expect(projectDeal({ ...snapshot, rows: [] }, now)).toEqual({ kind: "skip", reason: "deal has no product rows yet" });
});

it("refuses free-text rows and unmapped stages as permanent errors", () => {
  expect(() => projectDeal({ ...snapshot, rows: [{ productId: "0", name: "Доставка", sku: null, price: "1.00", quantity: 1 }] }, now)).toThrow(
    expect.objectContaining({ code: "PRODUCT_WITHOUT_SKU" }),
  );
  expect(() => projectDeal({ ...snapshot, deal: { ...snapshot.deal, stageId: "C1:UC_X" } }, now)).toThrow(expect.objectContaining({ code: "STATUS_UNMAPPED" }));
});

import { AUTH, startSandbox, type RunningSandbox } from "./testing";

let s: RunningSandbox;
beforeAll(async () => {
  s = await startSandbox();
});
afterAll(async () => {
  await s.stop();
});

const odataJson = async (path: string) => (await (await fetch(`${s.root}${path}`, { headers: { authorization: AUTH } })).json()) as { value: Array<Record<string, unknown>> };

it("POST /admin/seed/bulk makes counterparties (every hundredth twice), products and orders with the benchmark's keys", async () => {
  const before = (await odataJson(`${encodeURIComponent("Catalog_Номенклатура")}?$format=json`)).value.length;
  const res = await fetch(`${s.origin}/admin/seed/bulk`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ counterparties: 200, products: 20, orders: 10 }) });
  expect(res.status).toBe(201);
  expect(await res.json()).toEqual({ counterparties: 202, products: 20, orders: 10 });
  const counterparties = (await odataJson(`${encodeURIComponent("Catalog_Контрагенты")}?$format=json&$filter=${encodeURIComponent("КПП eq '770001001'")}`)).value;
  expect(counterparties).toHaveLength(202);
  expect(counterparties.filter((c) => c.ИНН === "7700000005")).toHaveLength(2);
  expect(counterparties.some((c) => c.ИНН === "7700000009")).toBe(false); // every tenth has keys of its own
  const products = (await odataJson(`${encodeURIComponent("Catalog_Номенклатура")}?$format=json`)).value;
  expect(products.length - before).toBe(20);
  expect(products.filter((p) => p.Артикул === "BULK-0")).toHaveLength(1);
  const orders = (await odataJson(`${encodeURIComponent("Document_ЗаказКлиента")}?$format=json&$select=НомерПоДаннымКлиента`)).value;
  expect(orders.map((o) => o.НомерПоДаннымКлиента)).toEqual(expect.arrayContaining(["B24-D-1", "B24-D-9", ""]));
  const bad = await fetch(`${s.origin}/admin/seed/bulk`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ counterparties: -1 }) });
  expect(bad.status).toBe(400);
});

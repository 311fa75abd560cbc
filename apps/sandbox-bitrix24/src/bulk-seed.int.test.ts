import { startTestSandbox, type TestSandbox } from "./testing";

let s: TestSandbox;
beforeAll(async () => {
  s = await startTestSandbox();
});
afterAll(async () => {
  await s.stop();
});

it("POST /admin/seed/bulk makes companies with requisites, contacts, products and deals with the benchmark's keys", async () => {
  const seeded = await s.admin("POST", "/seed/bulk", { companies: 120, contacts: 3, products: 10, deals: 5 });
  expect(seeded).toEqual({ status: 201, body: { companies: 120, contacts: 3, products: 10, deals: 5 } });
  const companies = await s.call("crm.company.list", { select: ["ID"], start: 0 });
  expect(companies.body).toMatchObject({ total: 120, next: 50 });
  const requisite = await s.call("crm.requisite.list", { filter: { RQ_INN: "7700000005" }, select: ["ENTITY_ID", "RQ_KPP"] });
  expect(requisite.body).toMatchObject({ result: [{ RQ_KPP: "770001001" }] });
  expect((await s.call("crm.requisite.list", { filter: { RQ_INN: "7700000009" } })).body).toMatchObject({ result: [] });
  expect((await s.call("crm.product.list", { filter: { XML_ID: "BULK-3" } })).body).toMatchObject({ total: 1 });
  expect((await s.call("crm.deal.list", { start: -1 })).body).toMatchObject({ result: expect.arrayContaining([expect.objectContaining({ TITLE: "Сделка 0" })]) });
  expect((await s.admin("POST", "/seed/bulk", { companies: "many" })).status).toBe(400);
});

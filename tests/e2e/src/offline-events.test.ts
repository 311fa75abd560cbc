import { waitFor } from "@concord/testkit";
import { waitReady } from "@concord/launcher";
import { COUNTERPARTY_SET, ORDER_SET, createDeal, ingressProcesses, startTestSystem, waitQuiet, markerOf, type TestSystem } from "./harness";

jest.setTimeout(240_000);

let t: TestSystem;
beforeAll(async () => {
  // Offline events as the source; the sweep stays off, so nothing else can fill the gap.
  t = await startTestSystem({ env: { "crm-writer": { CRM_OFFLINE_EVENTS_INTERVAL_MS: "1000" } } });
}, 120_000);
afterAll(async () => {
  await t?.stop();
}, 60_000);

it("binds Concord's events as offline events at start", async () => {
  const bindings = await t.b24<Array<{ event: string; offline: number }>>("event.get");
  const offline = bindings.filter((b) => b.offline === 1).map((b) => b.event);
  expect(offline).toEqual(expect.arrayContaining(["ONCRMDEALADD", "ONCRMDEALUPDATE", "ONCRMDEALDELETE", "ONCRMCOMPANYUPDATE"]));
});

it("applies, once each, 100 deal changes made while ingress is down, from the offline queue", async () => {
  const ingress = ingressProcesses(t);
  for (const proc of ingress) await proc.stop();
  try {
    const companies: number[] = [];
    for (let i = 0; i < 10; i++) companies.push(await t.b24<number>("crm.company.add", { fields: { TITLE: `ООО Офлайн ${i}` } }));
    const deals = [];
    for (let i = 0; i < 100; i++) deals.push(await createDeal(t, { companyId: companies[i % 10], title: `Офлайн ${i}` }));
    await t.b24Admin("events/drain", { method: "POST" });
    const stats = await t.b24Admin<{ events: { failed: number } }>("stats");
    expect(stats.events.failed).toBeGreaterThanOrEqual(100); // the online events are gone

    // Ingress is still down: every order comes through the offline queue.
    await waitFor(async () => ((await t.onecRecords(ORDER_SET)).length >= 100 ? true : undefined), {
      timeoutMs: 180_000,
      intervalMs: 1_000,
      what: "100 orders from offline events",
    });
    await waitQuiet(t, 5_000, 120_000);
    const orders = await t.onecRecords(ORDER_SET);
    expect(orders).toHaveLength(100);
    for (const { dealId } of deals) expect(orders.filter((o) => o.НомерПоДаннымКлиента === `B24-D-${dealId}`)).toHaveLength(1);
    const counterparties = (await t.onecRecords(COUNTERPARTY_SET)).filter((c) => String(markerOf(c)).startsWith("concord:bitrix24:company:"));
    expect(counterparties).toHaveLength(10);
    const viaOffline = await t.sql<Array<{ n: number }>>`select count(distinct record_id)::int as n from exchange_log where stage = 'resolver' and entity = 'deal' and message_id like '%offline:%'`;
    expect(viaOffline[0]?.n).toBe(100);

    // Concord's own writes (link-back) queue offline events too; they are read and cleared, nothing is left reserved.
    await waitFor(async () => {
      const queue = await t.b24Admin<{ records: Array<{ PROCESS_ID: string; ERROR: number }> }>("offline");
      return queue.records.length === 0 ? true : undefined;
    }, { timeoutMs: 30_000, what: "an empty offline queue" });
  } finally {
    for (const proc of ingress) proc.start();
    for (const proc of ingress) await waitReady(proc);
  }
});

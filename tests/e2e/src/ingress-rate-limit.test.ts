import { waitFor } from "@concord/testkit";
import { ORDER_SET, createDeal, startTestSystem, waitQuiet, type TestSystem } from "./harness";

/**
 * Issue 12, finding 9: ingress refuses a source's events beyond its rate (429), Bitrix24 never
 * resends them, and the catch-up sweep recovers every one: a mass edit through the limit ends
 * fully applied. Sized for CI (40 deals at 2 events/s); the same holds at 5,000 (docs/security.md).
 */
// CONCORD_RATE_LIMIT_DEALS raises the size for a measurement (docs/security.md has the 5,000 run).
const DEALS = Number(process.env.CONCORD_RATE_LIMIT_DEALS ?? 40);
const scaledMs = (ms: number) => Math.max(ms, ms * (DEALS / 40));
jest.setTimeout(scaledMs(240_000));
let t: TestSystem;
beforeAll(async () => {
  t = await startTestSystem({
    replicas: 1,
    env: {
      ingress: { INGRESS_RATE_PER_SEC: "2", INGRESS_RATE_BURST: "5" },
      "crm-writer": { CRM_SWEEP_INTERVAL_MS: "2000", CRM_SWEEP_OVERLAP_MS: "10000" },
    },
  });
}, 120_000);
afterAll(async () => {
  await t?.stop();
}, 60_000);

it(`a mass create and a mass edit of ${DEALS} deals through the rate limit end fully applied, once each`, async () => {
  const company = await t.b24<number>("crm.company.add", { fields: { TITLE: "ООО Массовая правка" } });
  const deals: string[] = [];
  for (let i = 0; i < DEALS; i++) deals.push((await createDeal(t, { companyId: company, title: `Сделка ${i}` })).dealId);
  await waitFor(async () => ((await t.onecRecords(ORDER_SET)).length >= DEALS ? true : undefined), { timeoutMs: scaledMs(150_000), intervalMs: 1_000, what: "an order per deal" });

  // The mass edit: every deal's title at once, far beyond 2 events/s.
  const editStarted = Date.now();
  for (const id of deals) await t.b24("crm.deal.update", { id, fields: { TITLE: `Правка ${id}` } });
  await t.b24Admin("events/drain", { method: "POST" });
  const stats = await t.b24Admin<{ events: { failed: number } }>("stats");
  expect(stats.events.failed).toBeGreaterThan(DEALS / 2); // refused with 429, never resent

  await waitFor(
    async () => {
      const orders = await t.onecRecords(ORDER_SET);
      const edited = orders.filter((o) => String(o.Комментарий).startsWith("Правка "));
      return edited.length >= DEALS ? true : undefined;
    },
    { timeoutMs: scaledMs(150_000), intervalMs: 1_000, what: "every edit applied through the sweep" },
  );
  await waitQuiet(t, 3_000, scaledMs(60_000));
  const took = (Date.now() - editStarted) / 1000;
  if (process.env.CONCORD_RATE_LIMIT_DEALS) process.stdout.write(`mass edit of ${DEALS} deals through the limit applied in ${took.toFixed(0)} s\n`);
  const orders = await t.onecRecords(ORDER_SET);
  const byDeal = new Map<string, Record<string, unknown>[]>();
  for (const o of orders) byDeal.set(String(o.НомерПоДаннымКлиента), [...(byDeal.get(String(o.НомерПоДаннымКлиента)) ?? []), o]);
  expect(orders).toHaveLength(DEALS);
  for (const id of deals) {
    expect(byDeal.get(`B24-D-${id}`)).toHaveLength(1);
    expect(byDeal.get(`B24-D-${id}`)?.[0]?.Комментарий).toBe(`Правка ${id}`);
  }
});

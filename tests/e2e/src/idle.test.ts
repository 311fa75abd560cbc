import { COUNTERPARTY_SET, startTestSystem, syncedDeal, waitQuiet, type TestSystem } from "./harness";

jest.setTimeout(240_000);

/**
 * Nothing at rest (issue 11): with nobody changing anything, the sweeps' list pages are the only
 * requests either target sees, and nothing is published, resolved or written. The figures the
 * test prints are the ones docs/performance.md states (sweeps every second here; scaled to the
 * defaults there).
 */
let t: TestSystem;
const SWEEP_MS = 1_000;
const EXTRA_COUNTERPARTIES = 700;

beforeAll(async () => {
  t = await startTestSystem({
    env: {
      "crm-writer": { CRM_SWEEP_INTERVAL_MS: String(SWEEP_MS), CRM_SWEEP_OVERLAP_MS: "5000", CRM_EXISTENCE_INTERVAL_MS: "3000" },
      "onec-writer": { ONEC_SWEEP_INTERVAL_MS: String(SWEEP_MS) },
    },
  });
}, 120_000);
afterAll(async () => {
  await t?.stop();
}, 60_000);

it("an idle system reads nothing but the sweeps' list pages, and publishes nothing", async () => {
  await syncedDeal(t);
  await syncedDeal(t);
  // A base with more than two pages of counterparties, to measure a page of 500.
  for (let i = 0; i < EXTRA_COUNTERPARTIES; i++) {
    await t.onecAdmin(`records/${encodeURIComponent(COUNTERPARTY_SET)}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ Description: `Контрагент ${i}`, ИНН: String(7700000000 + i) }),
    });
  }
  // The new counterparties have no pair: their first sweep records them, nothing else.
  await new Promise((r) => setTimeout(r, 4 * SWEEP_MS));
  await waitQuiet(t, 4_000, 90_000);
  const [before] = await t.sql<Array<{ n: number }>>`select count(*)::int as n from exchange_log`;
  await t.b24Admin("stats/reset", { method: "POST" });
  const started = Date.now();
  await new Promise((r) => setTimeout(r, 10_000));
  // Calls inside a `batch` count one by one in the sandbox's stats; requests are HTTP requests.
  const b24Stats = await t.b24Admin<{ requests: number; methods: Record<string, { calls: number }> }>("stats");
  const windowMs = Date.now() - started;

  const b24 = (await t.b24Admin<Array<{ at: string; method: string; durationMs: number }>>("requests?limit=1000")).filter((r) => Date.parse(r.at) >= started && !r.method.startsWith("/admin"));
  const onec = (await t.onecAdmin<Array<{ at: string; method: string; path: string; ms: number }>>("requests?limit=1000")).filter((r) => Date.parse(r.at) >= started && !r.path.includes("/admin/"));
  const [after] = await t.sql<Array<{ n: number }>>`select count(*)::int as n from exchange_log`;

  // Only list pages (grouped into `batch` requests when sweeps meet): no record read, no write, nothing resolved.
  expect(Object.keys(b24Stats.methods).filter((m) => !/^crm\.(deal|company|contact)\.list$|^batch$/.test(m))).toEqual([]);
  expect(onec.filter((r) => r.method !== "GET" || !r.path.includes("$select=Ref_Key,DataVersion"))).toEqual([]);
  expect(after?.n).toBe(before?.n);

  const counterpartyPages = onec.filter((r) => r.path.includes(COUNTERPARTY_SET));
  const perSweep = (n: number) => (n / windowMs) * SWEEP_MS;
  const report = {
    windowMs,
    bitrix24: { requests: b24.length, perSweep: perSweep(b24.length), calls: Object.fromEntries(Object.entries(b24Stats.methods).map(([m, s]) => [m, s.calls])) },
    onec: { requests: onec.length, perSweep: perSweep(onec.length), counterpartyPageMs: stats(counterpartyPages.map((r) => r.ms)) },
  };
  // The figures for docs/performance.md.
  process.stdout.write(`idle figures: ${JSON.stringify(report)}\n`);
  // Bitrix24: one page per entity per sweep, and the existence check's pages every 3 s.
  expect(report.bitrix24.perSweep).toBeLessThan(5);
  // 1C: orders and products one page each, counterparties two (700+ records).
  expect(report.onec.perSweep).toBeLessThan(6);
});

function stats(values: number[]) {
  const sorted = [...values].sort((a, b) => a - b);
  return { n: sorted.length, p50: sorted[Math.floor(sorted.length / 2)] ?? 0, max: sorted.at(-1) ?? 0 };
}

import { startTestSandbox, type TestSandbox } from "./testing";

let t: TestSandbox;

beforeAll(async () => {
  // The standard plan's bucket: 50 requests, draining 2 per second.
  t = await startTestSandbox({ rateCapacity: 50, rateDrainPerSec: 2 });
});
afterAll(async () => {
  await t.stop();
});
beforeEach(async () => {
  await t.admin("POST", "/reset");
});

describe("leaky bucket", () => {
  it("answers 503 QUERY_LIMIT_EXCEEDED after a burst of 50 and writes nothing for refused calls", async () => {
    const statuses: number[] = [];
    let refused: unknown;
    const started = Date.now();
    for (let i = 0; i < 60; i++) {
      const r = await t.call("crm.deal.add", { fields: { TITLE: `burst ${i}` } });
      statuses.push(r.status);
      if (r.status === 503) refused = r.body;
    }
    expect(statuses.slice(0, 50).every((s) => s === 200)).toBe(true);
    // The bucket drains 2 per second while the 60 calls run: on a slow machine a few more pass.
    const drained = Math.ceil(((Date.now() - started) / 1000) * 2);
    expect(statuses.filter((s) => s === 503).length).toBeGreaterThanOrEqual(Math.max(1, 10 - drained));
    expect(refused).toEqual({ error: "QUERY_LIMIT_EXCEEDED", error_description: "Too many requests" });
    const deals = (await t.admin("GET", "/records/deal")).body as unknown[];
    expect(deals).toHaveLength(statuses.filter((s) => s === 200).length);
    expect((await t.admin("GET", "/stats")).body.rateLimitRejections).toBe(statuses.filter((s) => s === 503).length);
  });

  it("a batch of 50 commands costs one request", async () => {
    const cmd = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`c${i}`, `crm.deal.add?fields[TITLE]=b${i}`]));
    for (let i = 0; i < 3; i++) expect((await t.call("batch", { cmd })).status).toBe(200);
    expect((await t.admin("GET", "/records/deal")).body).toHaveLength(150);
    expect((await t.admin("GET", "/rate-limit")).body.level).toBeLessThanOrEqual(3);
  });

  it("the bucket can be reconfigured through the admin API", async () => {
    await t.admin("PUT", "/rate-limit", { capacity: 2, drainPerSec: 0.001 });
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await t.call("crm.deal.list", {})).status);
    expect(statuses).toEqual([200, 200, 503]);
  });
});

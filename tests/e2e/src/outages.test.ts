import { waitFor } from "@concord/testkit";
import { waitReady } from "@concord/launcher";
import { createDeal, ordersOfDeal, startTestSystem, syncedDeal, waitQuiet, type TestSystem } from "./harness";
import { startFaultProxy, type FaultProxy } from "./fault-proxy";

jest.setTimeout(300_000);

/**
 * Target-wide faults pause the flow instead of burning retries (issue 11). The writers reach
 * both sandboxes through fault proxies that play what the sandboxes cannot: a portal whose budget
 * another client spends, a 1C web server answering 503 and then a base refusing connections, a
 * rotated credential. Short circuit settings keep the run short; the old retry schedule (10
 * deliveries) is exceeded in deliveries, not in minutes.
 */
let t: TestSystem;
let b24: FaultProxy;
let onec: FaultProxy;

const processesOf = (name: string) => [...t.system.processes.values()].filter((p) => p.spec.name === name || p.spec.name.startsWith(`${name}-`));

beforeAll(async () => {
  [b24, onec] = await Promise.all([startFaultProxy(), startFaultProxy()]);
  const outage = { CIRCUIT_PROBE_MIN_MS: "500", CIRCUIT_PROBE_MAX_MS: "2000", CIRCUIT_WINDOW_MS: "10000", CIRCUIT_DISTINCT_RECORDS: "2" };
  // A create cut by an outage stays in doubt for ONEC_CREATE_SETTLE_MS before a find settles it: short here.
  t = await startTestSystem({ env: { "crm-writer": outage, "onec-writer": { ...outage, ONEC_TIMEOUT_MS: "4000", ONEC_CREATE_SETTLE_MS: "8000" } } });
  b24.setTarget(t.config.ports["sandbox-bitrix24"]);
  onec.setTarget(t.config.ports["sandbox-1c"]);
  // The writers' URLs (the webhook's holds a token known only now) through the proxies.
  for (const proc of processesOf("crm-writer")) {
    await proc.stop();
    proc.spec.env.B24_WEBHOOK_URL = b24.via(proc.spec.env.B24_WEBHOOK_URL!);
    proc.start();
  }
  for (const proc of processesOf("onec-writer")) {
    await proc.stop();
    proc.spec.env.ONEC_ODATA_URL = onec.via(proc.spec.env.ONEC_ODATA_URL!);
    proc.start();
  }
  for (const proc of [...processesOf("crm-writer"), ...processesOf("onec-writer")]) await waitReady(proc);
}, 180_000);

afterAll(async () => {
  await t?.stop();
  await Promise.all([b24?.stop(), onec?.stop()]);
}, 60_000);

const readyz = async (app: "crm-writer" | "onec-writer") =>
  (await (await fetch(`http://127.0.0.1:${t.config.ports[app]}/readyz`)).json()) as { status: string; circuits: Array<{ status: string; since: string | null; lastError: string | null; lastCode: string | null }> };

const consoleCircuits = async () => {
  const response = await fetch(`http://127.0.0.1:${t.config.ports.console}/api/circuits`, { headers: { authorization: `Bearer ${t.config.secrets.consoleApiToken}` } });
  return (await response.json()) as { open: boolean; circuits: Array<{ target: string; status: string; lastError?: string }> };
};

const waitOpen = (app: "crm-writer" | "onec-writer", code?: RegExp) =>
  waitFor(async () => {
    const c = (await readyz(app)).circuits[0];
    return c?.status === "open" && (!code || code.test(String(c.lastCode))) ? c : undefined;
  }, { timeoutMs: 60_000, intervalMs: 250, what: `${app}'s circuit to open` });

const waitClosed = (app: "crm-writer" | "onec-writer") =>
  waitFor(async () => ((await readyz(app)).circuits[0]?.status === "closed" ? true : undefined), { timeoutMs: 60_000, intervalMs: 250, what: `${app}'s circuit to close` });

async function deadLetterCount(): Promise<number> {
  const info = await t.jsm.streams.info(t.subjects.streams.dlq);
  return info.state.messages;
}

async function oneOrderEach(dealIds: string[]) {
  await waitFor(async () => {
    for (const id of dealIds) if ((await ordersOfDeal(t, id)).length !== 1) return undefined;
    return true;
  }, { timeoutMs: 120_000, intervalMs: 1_000, what: "one order per deal" });
}

async function stageApplied(ref: string, status: string) {
  await waitFor(async () => {
    const orders = await t.onecRecords("Document_ЗаказКлиента");
    return orders.find((o) => String(o.Ref_Key).toLowerCase() === ref.toLowerCase())?.Статус === status ? true : undefined;
  }, { timeoutMs: 120_000, intervalMs: 1_000, what: `order ${ref} in ${status}` });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

it("a portal whose budget another client spends pauses the flow; afterwards every change is applied once, nothing dead-lettered", async () => {
  const before = await syncedDeal(t);
  await b24.mode({ kind: "answer", status: 503, body: JSON.stringify({ error: "QUERY_LIMIT_EXCEEDED", error_description: "Too many requests" }) });
  b24.resetCount();
  const created = [];
  for (let i = 0; i < 4; i++) created.push((await createDeal(t, { title: `Во время лимита ${i}` })).dealId);
  await t.b24("crm.deal.update", { id: before.dealId, fields: { STAGE_ID: "FINAL_INVOICE" } });
  try {
    const open = await waitOpen("crm-writer", /B24_QUERY_LIMIT_EXCEEDED/);
    expect(open.lastError).toContain("QUERY_LIMIT_EXCEEDED");
    const shown = await consoleCircuits();
    expect(shown).toMatchObject({ open: true });
    expect(shown.circuits.find((c) => c.target === "bitrix24")?.status).toBe("open");
    b24.resetCount();
    await sleep(15_000);
    // While open only probes reach the portal: at most one per probe interval (0.5–2 s), not a
    // retry per message and replica.
    process.stdout.write(`outage figures: ${JSON.stringify({ openForMs: 15_000, requestsReachingThePortal: b24.answered() })}\n`);
    expect(b24.answered()).toBeLessThan(20);
  } finally {
    await b24.mode({ kind: "pass" });
  }

  await oneOrderEach(created);
  await stageApplied(before.ref, "КОтгрузке");
  await waitClosed("crm-writer");
  await waitQuiet(t, 3_000, 90_000);
  expect(await deadLetterCount()).toBe(0);
  expect(t.logText()).toContain("circuit opened");
});

it("a 1C answering 503 and then refusing connections pauses the flow; it resumes by itself, nothing dead-lettered", async () => {
  const before = await syncedDeal(t);
  await onec.mode({ kind: "answer", status: 503, body: "<html><body>Service Unavailable</body></html>", contentType: "text/html" });
  const created = [];
  for (let i = 0; i < 3; i++) created.push((await createDeal(t, { title: `Во время простоя 1С ${i}` })).dealId);
  await t.b24("crm.deal.update", { id: before.dealId, fields: { STAGE_ID: "FINAL_INVOICE" } });
  try {
    const open = await waitOpen("onec-writer");
    expect(open.lastCode).toMatch(/ONEC_HTTP_503/);
    await sleep(5_000);
    await onec.mode({ kind: "refuse" });
    created.push((await createDeal(t, { title: "Во время простоя 1С, соединения отвергнуты" })).dealId);
    await waitOpen("onec-writer", /ONEC_NETWORK/);
    await sleep(3_000);
    expect((await readyz("onec-writer")).circuits[0]?.status).toBe("open");
    expect((await consoleCircuits()).circuits.find((c) => c.target === "onec")?.status).toBe("open");
  } finally {
    await onec.mode({ kind: "pass" });
  }

  await oneOrderEach(created);
  await stageApplied(before.ref, "КОтгрузке");
  await waitClosed("onec-writer");
  await waitQuiet(t, 3_000, 90_000);
  expect(await deadLetterCount()).toBe(0);
});

it("a rotated credential (401 from both targets) opens both circuits at once; fixed, every change is applied, nothing dead-lettered", async () => {
  await onec.mode({ kind: "answer", status: 401, body: JSON.stringify({ "odata.error": { code: "", message: { lang: "ru", value: "Ошибка аутентификации" } } }) });
  await b24.mode({ kind: "answer", status: 401, body: JSON.stringify({ error: "NO_AUTH_FOUND", error_description: "Wrong authorization data" }) });
  const created = [];
  for (let i = 0; i < 2; i++) created.push((await createDeal(t, { title: `После смены пароля ${i}` })).dealId);
  try {
    const open = await waitOpen("crm-writer", /B24_UNAUTHORIZED/);
    expect(open.lastError).toContain("401");
    await sleep(5_000);
    await b24.mode({ kind: "pass" });
    await waitOpen("onec-writer", /ONEC_UNAUTHORIZED/);
    await sleep(3_000);
  } finally {
    await b24.mode({ kind: "pass" });
    await onec.mode({ kind: "pass" });
  }

  await oneOrderEach(created);
  await waitClosed("crm-writer");
  await waitClosed("onec-writer");
  await waitQuiet(t, 3_000, 90_000);
  expect(await deadLetterCount()).toBe(0);
});

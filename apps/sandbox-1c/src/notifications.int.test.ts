import { createHash, createHmac } from "node:crypto";
import { DEFAULT_NOTIFY_TUNING } from "./config";
import { verifyWebhook } from "./signature";
import { SEED_REFS, productRefForArticle } from "./store";
import { odata, sleep, startReceiver, startSandbox, type Receiver, type ReceivedWebhook, type RunningSandbox } from "./testing";

const ORDERS = "Document_ЗаказКлиента";
const SECRET = "whsec_c2FuZGJveC0xYy1ub3RpZnktc2VjcmV0LTMyYnl0ZXMhIQ==";

let receiver: Receiver;
let sb: RunningSandbox;

beforeEach(async () => {
  receiver = await startReceiver();
  sb = await startSandbox({
    notifyUrl: receiver.url,
    notifySecret: SECRET,
    notify: { ...DEFAULT_NOTIFY_TUNING, backoffBaseMs: 50, backoffMaxMs: 200, maxAttempts: 4 },
  });
});
afterEach(async () => {
  await sb.stop();
  await receiver.close();
});

function parse(w: ReceivedWebhook): Record<string, unknown> {
  return JSON.parse(w.body) as Record<string, unknown>;
}

function expectValidSignature(w: ReceivedWebhook): void {
  const id = String(w.headers["webhook-id"]);
  const ts = Number(w.headers["webhook-timestamp"]);
  expect(w.headers["content-type"]).toBe("application/json");
  expect(Math.abs(ts - Date.now() / 1000)).toBeLessThan(30);
  expect(verifyWebhook(SECRET, id, ts, w.body, String(w.headers["webhook-signature"]))).toBe(true);
  // And with an independent HMAC, as a receiver in another language would do it.
  const key = Buffer.from(SECRET.slice("whsec_".length), "base64");
  const expected = createHmac("sha256", key).update(`${id}.${ts}.${w.body}`).digest("base64");
  expect(w.headers["webhook-signature"]).toBe(`v1,${expected}`);
}

async function putFaults(body: unknown): Promise<void> {
  const r = await fetch(`${sb.origin}/admin/faults`, { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  expect(r.status).toBe(200);
}

test("a POST is followed by a signed notification with exactly the documented body", async () => {
  const created = await odata(sb.root, "POST", `${ORDERS}?$format=json`, { Комментарий: "hi" });
  const [w] = await receiver.waitFor(1);
  expectValidSignature(w!);
  const body = parse(w!);
  expect(Object.keys(body).sort()).toEqual(["dataVersion", "deleted", "object", "occurredAt", "ref", "type", "v"]);
  expect(body).toMatchObject({ v: 1, type: "onec.change", object: ORDERS, ref: created.json.Ref_Key, dataVersion: "AAAAAAAAAAA=", deleted: false });
  expect(String(body.occurredAt)).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
  const id = createHash("sha256").update(`${ORDERS}|${created.json.Ref_Key}|AAAAAAAAAAA=`, "utf8").digest("hex").slice(0, 32);
  expect(w!.headers["webhook-id"]).toBe(id);
});

test("every write kind notifies: PATCH, Post, Unpost, DELETE (deleted, dataVersion null), admin edits", async () => {
  const partner = await odata(sb.root, "POST", "Catalog_Партнеры?$format=json", { Description: "P" });
  const cp = await odata(sb.root, "POST", "Catalog_Контрагенты?$format=json", { Description: "C" });
  const order = await odata(sb.root, "POST", `${ORDERS}?$format=json`, {
    Партнер_Key: partner.json.Ref_Key,
    Контрагент_Key: cp.json.Ref_Key,
    Организация_Key: SEED_REFS.organisation,
    Соглашение_Key: SEED_REFS.agreement,
    Валюта_Key: SEED_REFS.currency,
    Склад_Key: SEED_REFS.warehouse,
    Товары: [{ LineNumber: 1, Номенклатура_Key: productRefForArticle("SKU-001"), Количество: 1, Цена: 1, Сумма: 1, СтавкаНДС: "БезНДС" }],
  });
  const ref = order.json.Ref_Key as string;
  await odata(sb.root, "PATCH", `${ORDERS}(guid'${ref}')?$format=json`, { Комментарий: "x" });
  await odata(sb.root, "POST", `${ORDERS}(guid'${ref}')/Post?PostingModeOperational=false`);
  await odata(sb.root, "POST", `${ORDERS}(guid'${ref}')/Unpost`);
  await fetch(`${sb.origin}/admin/records/${encodeURIComponent("Catalog_Номенклатура")}/${"fe21b729-6977-5b4b-9cb9-8afa9bb0314a"}`, {
    method: "PATCH",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ Description: "renamed by a manager" }),
  });
  await odata(sb.root, "DELETE", `${ORDERS}(guid'${ref}')`);
  const all = await receiver.waitFor(8);
  const forOrder = all.map(parse).filter((b) => b.ref === ref);
  expect(forOrder.map((b) => b.dataVersion)).toEqual(expect.arrayContaining(["AAAAAAAAAAA=", "AAAAAAAAAAE=", "AAAAAAAAAAI=", "AAAAAAAAAAM=", null]));
  expect(forOrder.find((b) => b.dataVersion === null)).toMatchObject({ deleted: true });
  const deletedHook = all.find((w) => parse(w).deleted === true)!;
  expect(deletedHook.headers["webhook-id"]).toBe(createHash("sha256").update(`${ORDERS}|${ref}|deleted`).digest("hex").slice(0, 32));
  expect(all.map(parse).some((b) => b.object === "Catalog_Номенклатура" && b.dataVersion === "AAAAAAAAAAE=")).toBe(true);
  for (const w of all) expectValidSignature(w);
});

test("a failed write does not notify", async () => {
  await odata(sb.root, "POST", `${ORDERS}?$format=json`, { Статус: "Нет" });
  await odata(sb.root, "POST", `${ORDERS}?$format=json`, { Комментарий: "ok" });
  await receiver.waitFor(1);
  await sleep(100);
  expect(receiver.received).toHaveLength(1);
});

test("retried after the receiver answers 500: same id and body, fresh timestamp and signature", async () => {
  receiver.script.push(500, 503);
  await odata(sb.root, "POST", "Catalog_Партнеры?$format=json", { Description: "retry me" });
  const hooks = await receiver.waitFor(3, 5000);
  expect(new Set(hooks.map((h) => h.headers["webhook-id"])).size).toBe(1);
  expect(new Set(hooks.map((h) => h.body)).size).toBe(1);
  for (const h of hooks) expectValidSignature(h);
  // Backoff: at least ~50 ms, then ~100 ms between tries.
  expect(hooks[1]!.at - hooks[0]!.at).toBeGreaterThanOrEqual(40);
  expect(hooks[2]!.at - hooks[1]!.at).toBeGreaterThanOrEqual(90);
  await sb.sandbox.notifier.idle();
  const state = (await (await fetch(`${sb.origin}/admin/notifications`)).json()) as { log: Array<{ outcome: string; status: number }>; pending: unknown[]; failed: unknown[]; delivered: number };
  expect(state.log.map((e) => [e.outcome, e.status])).toEqual([
    ["retry", 500],
    ["retry", 503],
    ["delivered", 200],
  ]);
  expect(state.pending).toEqual([]);
  expect(state.delivered).toBe(1);
});

test("after maxAttempts the notification is parked in failed; retry-failed sends it again", async () => {
  receiver.script.push(500, 500, 500, 500);
  await odata(sb.root, "POST", "Catalog_Партнеры?$format=json", { Description: "doomed" });
  await receiver.waitFor(4, 5000);
  await sb.sandbox.notifier.idle();
  let state = (await (await fetch(`${sb.origin}/admin/notifications`)).json()) as { failed: Array<{ attempts: number; lastStatus: number }>; log: Array<{ outcome: string }> };
  expect(state.failed).toHaveLength(1);
  expect(state.failed[0]).toMatchObject({ attempts: 4, lastStatus: 500 });
  expect(state.log.at(-1)?.outcome).toBe("failed");
  const retry = (await (await fetch(`${sb.origin}/admin/notifications/retry-failed`, { method: "POST" })).json()) as { requeued: number };
  expect(retry.requeued).toBe(1);
  await receiver.waitFor(5);
  await sb.sandbox.notifier.idle();
  state = (await (await fetch(`${sb.origin}/admin/notifications`)).json()) as typeof state;
  expect(state.failed).toHaveLength(0);
});

test("network errors are retried too", async () => {
  await receiver.close();
  await odata(sb.root, "POST", "Catalog_Партнеры?$format=json", { Description: "offline" });
  await sleep(150);
  const state = (await (await fetch(`${sb.origin}/admin/notifications`)).json()) as { log: Array<{ outcome: string; error: string | null; status: number | null }>; pending: unknown[] };
  expect(state.log.length).toBeGreaterThanOrEqual(1);
  expect(state.log[0]).toMatchObject({ outcome: "retry", status: null });
  expect(state.log[0]!.error).toBeTruthy();
  expect(state.pending).toHaveLength(1);
});

test("dropRate 1: nothing is sent, the drop is logged and never retried", async () => {
  await putFaults({ seed: 1, notifications: { dropRate: 1 } });
  await odata(sb.root, "POST", "Catalog_Партнеры?$format=json", { Description: "lost" });
  await sleep(300);
  expect(receiver.received).toHaveLength(0);
  const state = (await (await fetch(`${sb.origin}/admin/notifications`)).json()) as { log: Array<{ outcome: string }>; pending: unknown[]; dropped: number };
  expect(state.log.map((e) => e.outcome)).toEqual(["dropped"]);
  expect(state.pending).toEqual([]);
  expect(state.dropped).toBe(1);
});

test("duplicateRate 1: each notification arrives twice with the same webhook-id", async () => {
  await putFaults({ seed: 1, notifications: { duplicateRate: 1 } });
  await odata(sb.root, "POST", "Catalog_Партнеры?$format=json", { Description: "twice" });
  const hooks = await receiver.waitFor(2);
  await sleep(100);
  expect(receiver.received).toHaveLength(2);
  expect(hooks[0]!.headers["webhook-id"]).toBe(hooks[1]!.headers["webhook-id"]);
  expect(hooks[0]!.body).toBe(hooks[1]!.body);
  for (const h of hooks) expectValidSignature(h);
});

test("delayMs holds the first attempt back; reorder can change arrival order", async () => {
  await putFaults({ notifications: { delayMs: 150 } });
  const started = Date.now();
  await odata(sb.root, "POST", "Catalog_Партнеры?$format=json", { Description: "late" });
  const [w] = await receiver.waitFor(1);
  expect(w!.at - started).toBeGreaterThanOrEqual(140);

  await putFaults({ seed: 3, notifications: { reorder: true, reorderWindowMs: 300 } });
  receiver.received.length = 0;
  const refs: string[] = [];
  for (let i = 0; i < 8; i++) {
    const r = await odata(sb.root, "POST", "Catalog_Партнеры?$format=json", { Description: `n${i}` });
    refs.push(r.json.Ref_Key as string);
  }
  const hooks = await receiver.waitFor(8, 5000);
  const arrived = hooks.map((h) => parse(h).ref);
  expect(new Set(arrived)).toEqual(new Set(refs));
  expect(arrived).not.toEqual(refs);
});

test("no notify URL: nothing queued", async () => {
  const quiet = await startSandbox({ notifyUrl: null });
  try {
    await odata(quiet.root, "POST", "Catalog_Партнеры?$format=json", { Description: "q" });
    const state = (await (await fetch(`${quiet.origin}/admin/notifications`)).json()) as { pending: unknown[]; log: unknown[] };
    expect([state.pending, state.log]).toEqual([[], []]);
  } finally {
    await quiet.stop();
  }
});

import { DEFAULT_NOTIFY_TUNING } from "./config";
import { AUTH, odata, sleep, startReceiver, startSandbox, type Receiver, type RunningSandbox } from "./testing";

const PARTNERS = "Catalog_Партнеры";

let receiver: Receiver;
let sb: RunningSandbox;

beforeEach(async () => {
  receiver = await startReceiver();
  sb = await startSandbox({ notifyUrl: receiver.url, notify: { ...DEFAULT_NOTIFY_TUNING, backoffBaseMs: 50, backoffMaxMs: 100, maxAttempts: 3 } });
});
afterEach(async () => {
  await sb.stop();
  await receiver.close();
});

async function putFaults(body: unknown): Promise<Response> {
  return fetch(`${sb.origin}/admin/faults`, { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
}

async function count(set: string): Promise<number> {
  return Number((await odata(sb.root, "GET", `${set}/$count`)).text);
}

test("errorRate: 500 with no odata.error body, nothing written, nothing notified", async () => {
  expect((await putFaults({ [PARTNERS]: { POST: { errorRate: 1 } } })).status).toBe(200);
  const r = await odata(sb.root, "POST", `${PARTNERS}?$format=json`, { Description: "x" });
  expect(r.status).toBe(500);
  expect(r.json).toBeUndefined();
  expect(r.text).not.toContain("odata.error");
  expect(await count(PARTNERS)).toBe(0);
  await sleep(100);
  expect(receiver.received).toHaveLength(0);
});

test("lockRate: 500 code -1 lock conflict", async () => {
  await putFaults({ "*": { lockRate: 1 } });
  const r = await odata(sb.root, "GET", `${PARTNERS}?$format=json`);
  expect(r.status).toBe(500);
  expect(r.json["odata.error"].code).toBe("-1");
  expect(r.json["odata.error"].message.value).toMatch(/^Конфликт блокировок при выполнении транзакции/);
});

test("timeoutRate: the request hangs timeoutMs, then the socket is destroyed; nothing written", async () => {
  await putFaults({ [PARTNERS]: { POST: { timeoutRate: 1, timeoutMs: 200 } } });
  const started = Date.now();
  await expect(odata(sb.root, "POST", `${PARTNERS}?$format=json`, { Description: "x" })).rejects.toThrow();
  expect(Date.now() - started).toBeGreaterThanOrEqual(190);
  await fetch(`${sb.origin}/admin/faults`, { method: "DELETE" });
  expect(await count(PARTNERS)).toBe(0);
});

test("latencyMs delays the answer", async () => {
  await putFaults({ [PARTNERS]: { GET: { latencyMs: 150 } } });
  const started = Date.now();
  const r = await odata(sb.root, "GET", `${PARTNERS}?$format=json`);
  expect(r.status).toBe(200);
  expect(Date.now() - started).toBeGreaterThanOrEqual(140);
});

test("commitThenFail (500): the write is applied and notified, but the client sees an opaque 500", async () => {
  await putFaults({ [PARTNERS]: { POST: { commitThenFailRate: 1, commitThenFailMode: "500" } } });
  const r = await odata(sb.root, "POST", `${PARTNERS}?$format=json`, { Description: "ghost" });
  expect(r.status).toBe(500);
  expect(r.json).toBeUndefined();
  const list = await odata(sb.root, "GET", `${PARTNERS}?$format=json`);
  expect(list.json.value.map((p: { Description: string }) => p.Description)).toEqual(["ghost"]);
  const [w] = await receiver.waitFor(1);
  expect(JSON.parse(w!.body)).toMatchObject({ ref: list.json.value[0].Ref_Key, dataVersion: "AAAAAAAAAAA=" });
});

test("commitThenFail (drop): PATCH applied, connection dropped", async () => {
  const created = await odata(sb.root, "POST", `${PARTNERS}?$format=json`, { Description: "before" });
  await putFaults({ [PARTNERS]: { PATCH: { commitThenFailRate: 1, commitThenFailMode: "drop" } } });
  await expect(odata(sb.root, "PATCH", `${PARTNERS}(guid'${created.json.Ref_Key}')?$format=json`, { Description: "after" })).rejects.toThrow();
  const now = await odata(sb.root, "GET", `${PARTNERS}(guid'${created.json.Ref_Key}')?$format=json`);
  expect(now.json).toMatchObject({ Description: "after", DataVersion: "AAAAAAAAAAE=" });
  const hooks = await receiver.waitFor(2);
  expect(hooks.map((h) => JSON.parse(h.body).dataVersion)).toEqual(["AAAAAAAAAAA=", "AAAAAAAAAAE="]);
  const stats = (await (await fetch(`${sb.origin}/admin/stats`)).json()) as { sets: Record<string, { PATCH: number; writes: number }> };
  expect(stats.sets[PARTNERS]).toMatchObject({ PATCH: 1, writes: 2 });
});

test("the same seed gives the same fault sequence over HTTP", async () => {
  const run = async (): Promise<number[]> => {
    await putFaults({ seed: 42, [PARTNERS]: { GET: { errorRate: 0.5 } } });
    const statuses: number[] = [];
    for (let i = 0; i < 16; i++) statuses.push((await odata(sb.root, "GET", `${PARTNERS}?$format=json`)).status);
    return statuses;
  };
  const first = await run();
  expect(await run()).toEqual(first);
  expect(first).toContain(500);
  expect(first).toContain(200);
});

test("DELETE /admin/faults clears; bad fault config → 400 naming the problem", async () => {
  await putFaults({ "*": { errorRate: 1 } });
  expect((await odata(sb.root, "GET", `${PARTNERS}?$format=json`)).status).toBe(500);
  await fetch(`${sb.origin}/admin/faults`, { method: "DELETE" });
  expect((await odata(sb.root, "GET", `${PARTNERS}?$format=json`)).status).toBe(200);
  const bad = await putFaults({ Catalog_Nope: { errorRate: 0.5 } });
  expect(bad.status).toBe(400);
  expect(JSON.stringify(await bad.json())).toContain("Catalog_Nope");
});

test("faults come after auth: unauthenticated requests still get 401", async () => {
  await putFaults({ "*": { errorRate: 1 } });
  const r = await fetch(`${sb.root}${PARTNERS}?$format=json`);
  expect(r.status).toBe(401);
  const ok = await fetch(`${sb.root}${PARTNERS}?$format=json`, { headers: { authorization: AUTH } });
  expect(ok.status).toBe(500);
});

test("slowCommitMs: a POST whose client gave up is still committed, later, and notified", async () => {
  await putFaults({ [PARTNERS]: { POST: { latencyMs: 5_000, slowCommitMs: 800 } } });
  const gaveUp = await fetch(`${sb.root}${encodeURIComponent(PARTNERS)}?$format=json`, {
    method: "POST",
    headers: { authorization: AUTH, "content-type": "application/json" },
    body: JSON.stringify({ Description: "медленный" }),
    signal: AbortSignal.timeout(300),
  }).catch((error: Error) => error);
  expect((gaveUp as Error).name).toBe("TimeoutError");
  await sleep(300);
  expect(await count(PARTNERS)).toBe(0); // not yet: 1C is still at it
  await sleep(1_000);
  expect(await count(PARTNERS)).toBe(1);
  await sleep(200);
  expect(receiver.received).toHaveLength(1);
});

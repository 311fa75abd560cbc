import { execFile } from "node:child_process";
import { join } from "node:path";
import { repoRoot } from "@concord/launcher";
import { waitFor } from "@concord/testkit";
import type { DeadLetterRecord, DlqGetReply } from "@concord/contracts";
import { ORDER_SET, createDeal, editInOnec, onecOrder, ordersOfDeal, startTestSystem, syncedDeal, waitQuiet, type TestSystem } from "./harness";

jest.setTimeout(180_000);

let t: TestSystem;
const outputs: string[] = [];

beforeAll(async () => {
  t = await startTestSystem();
}, 120_000);
afterAll(async () => {
  await t?.onecAdmin("reject", { method: "DELETE" }).catch(() => undefined);
  await t?.stop();
}, 60_000);

const consoleUrl = () => `http://127.0.0.1:${t.config.ports.console}`;
const token = () => t.config.secrets.consoleApiToken;

async function api<T>(path: string, init: RequestInit = {}, auth = true): Promise<{ status: number; body: T }> {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (auth) headers.authorization = `Bearer ${token()}`;
  const response = await fetch(`${consoleUrl()}${path}`, { ...init, headers });
  const text = await response.text();
  outputs.push(text);
  return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T };
}

/** Runs the CLI as a person would, as a child process. */
function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ["--import", "tsx", join("packages", "cli", "src", "main.ts"), ...args],
      { cwd: repoRoot, env: { ...process.env, CONCORD_CONSOLE_URL: consoleUrl(), CONCORD_API_TOKEN: token() }, timeout: 60_000 },
      (error, stdout, stderr) => {
        outputs.push(stdout, stderr);
        resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, stdout, stderr });
      },
    );
  });
}

const rejectOrders = () =>
  t.onecAdmin("reject", {
    method: "PUT",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ set: ORDER_SET, when: { field: "Комментарий", contains: "REJECT" }, message: "Недопустимый заказ" }),
  });
const allowOrders = () => t.onecAdmin("reject", { method: "DELETE" });

/** The open dead letter of a deal's order command, through the console API. */
async function orderDeadLetter(dealId: string, extra: (d: DeadLetterRecord) => boolean = () => true): Promise<DeadLetterRecord> {
  return waitFor(async () => {
    const { status, body } = await api<{ deadLetters: DeadLetterRecord[] }>(`/api/dlq?flow=${encodeURIComponent("bitrix24.deal→onec.order")}&status=open`);
    expect(status).toBe(200);
    return body.deadLetters.find((d) => d.recordId === dealId && d.subject.endsWith(".commands.onec.order") && extra(d));
  }, { timeoutMs: 60_000, intervalMs: 500, what: `the dead-lettered order command of deal ${dealId}` });
}

it("dead-letters a 1C rejection, and one CLI retry after the fix creates exactly one order", async () => {
  await rejectOrders();
  const { dealId } = await createDeal(t, { title: "REJECT me" });
  const letter = await orderDeadLetter(dealId);
  expect(letter).toMatchObject({ errorCode: "ONEC_REJECTED", failureClass: "business", errorKind: "permanent", system: "bitrix24", entity: "deal", status: "open" });
  expect(letter.errorMessage).toContain("Недопустимый заказ");
  expect(await ordersOfDeal(t, dealId)).toHaveLength(0);

  await allowOrders();
  const retried = await cli("dlq", "retry", String(letter.id));
  expect(retried).toMatchObject({ code: 0, stderr: "" });
  expect(retried.stdout).toContain(`retry:${letter.id}:1`);
  await waitFor(async () => ((await ordersOfDeal(t, dealId)).length > 0 ? true : undefined), { timeoutMs: 30_000, what: "the order after the retry" });
  const { body: after } = await api<DlqGetReply>(`/api/dlq/${letter.id}`);
  expect(after.deadLetter).toMatchObject({ status: "retried", retryCount: 1 });

  // The same retry again, and a bulk retry of that reason: nothing more is created.
  const again = await cli("dlq", "retry", String(letter.id));
  expect(again.code).not.toBe(0);
  expect(again.stderr.trim().split("\n")).toHaveLength(1);
  expect(again.stderr).toContain("only open dead letters are retried");
  const bulk = await cli("dlq", "retry", "--filter", "code=ONEC_REJECTED,flow=bitrix24.deal->onec.order", "--yes");
  expect(bulk.code).toBe(0);
  await waitQuiet(t);
  expect(await ordersOfDeal(t, dealId)).toHaveLength(1);
  const [order] = await ordersOfDeal(t, dealId);
  expect(order?.Комментарий).toBe("REJECT me");

  const list = await cli("dlq", "list", "--flow", "bitrix24.deal->onec.order", "--status", "retried");
  expect(list.code).toBe(0);
  expect(list.stdout).toMatch(/ID\s+STATUS/);
  expect(list.stdout).toContain(`bitrix24:deal:${dealId}`);
  const show = await cli("dlq", "show", String(letter.id));
  expect(show.code).toBe(0);
  expect(show.stdout).toContain("ONEC_REJECTED (permanent, business)");
  expect(show.stdout).toContain(`trace id`);
  expect(show.stdout).toContain("payload (masked):");
});

it("records a retry that fails again with retry_of pointing at the first, and discards only with a reason", async () => {
  await rejectOrders();
  try {
    const { dealId } = await createDeal(t, { title: "REJECT again" });
    const first = await orderDeadLetter(dealId);
    const retried = await cli("dlq", "retry", String(first.id));
    expect(retried.code).toBe(0);
    const second = await orderDeadLetter(dealId, (d) => d.retryOf === first.id);
    expect(second).toMatchObject({ errorCode: "ONEC_REJECTED", retryOf: first.id });
    expect(second.traceId).toBe(first.traceId); // the retry carried the original traceparent
    const { body: chain } = await api<DlqGetReply>(`/api/dlq/${second.id}`);
    expect(chain.history.map((h) => [h.id, h.status])).toEqual([
      [first.id, "retried"],
      [second.id, "open"],
    ]);
    const rows = await t.sql<Array<{ retry_of: string | null }>>`select retry_of from dead_letters where id = ${second.id}`;
    expect(Number(rows[0]?.retry_of)).toBe(first.id);

    const noReason = await cli("dlq", "discard", String(second.id));
    expect(noReason.code).not.toBe(0);
    expect(noReason.stderr).toContain("--reason");
    expect((await api(`/api/dlq/${second.id}/discard`, { method: "POST", body: "{}" })).status).toBe(400);
    const discarded = await cli("dlq", "discard", String(second.id), "--reason", "customer cancelled the order");
    expect(discarded).toMatchObject({ code: 0, stderr: "" });
    const { body: gone } = await api<DlqGetReply>(`/api/dlq/${second.id}`);
    expect(gone.deadLetter).toMatchObject({ status: "discarded", discardReason: "customer cancelled the order" });
    expect(await ordersOfDeal(t, dealId)).toHaveLength(0);
  } finally {
    await allowOrders();
  }
});

it("resyncs a deal whose 1C order was edited by hand: the deal's title wins again", async () => {
  const { dealId, ref } = await syncedDeal(t, { title: "Мебель для офиса" });
  // The hand edit's notification is lost, so only the resync can repair it.
  await t.onecAdmin("faults", { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify({ notifications: { dropRate: 1 }, seed: 1 }) });
  try {
    await editInOnec(t, ORDER_SET, ref, { Комментарий: "Правка руками" });
  } finally {
    await t.onecAdmin("faults", { method: "DELETE" });
  }
  expect((await onecOrder(t, ref)).Комментарий).toBe("Правка руками");
  const bad = await cli("resync", "bitrix24", "order", dealId);
  expect(bad.code).not.toBe(0);
  const resync = await cli("resync", "bitrix24", "deal", dealId);
  expect(resync).toMatchObject({ code: 0, stderr: "" });
  await waitFor(async () => ((await onecOrder(t, ref)).Комментарий === "Мебель для офиса" ? true : undefined), { timeoutMs: 30_000, what: "the deal's title back in 1C" });
  const manual = await t.sql<Array<{ n: number }>>`select count(*)::int as n from exchange_log where stage = 'resolver' and record_id = ${dealId} and message_id like '%:manual@%'`;
  expect(manual[0]?.n).toBeGreaterThan(0);
  expect(await ordersOfDeal(t, dealId)).toHaveLength(1);
});

it("answers 401 without the token, validates bodies, and never shows the token", async () => {
  expect((await api("/api/dlq", {}, false)).status).toBe(401);
  const wrong = await fetch(`${consoleUrl()}/api/dlq`, { headers: { authorization: "Bearer not-the-token-at-all" } });
  expect(wrong.status).toBe(401);
  expect((await fetch(`${consoleUrl()}/healthz`)).status).toBe(200);
  expect((await api("/api/resync", { method: "POST", body: JSON.stringify({ system: "onec", entity: "deal", id: "1" }) })).status).toBe(400);
  const preview = await api<{ wouldRetry: number }>("/api/dlq/retry", { method: "POST", body: JSON.stringify({ filter: { code: "NO_SUCH_CODE" } }) });
  expect(preview).toEqual({ status: 409, body: expect.objectContaining({ wouldRetry: 0 }) });
  const badToken = await new Promise<{ code: number; stderr: string }>((resolve) => {
    execFile(process.execPath, ["--import", "tsx", join("packages", "cli", "src", "main.ts"), "dlq", "list"], {
      cwd: repoRoot,
      env: { ...process.env, CONCORD_CONSOLE_URL: consoleUrl(), CONCORD_API_TOKEN: "wrong-token-123456" },
    }, (error, _stdout, stderr) => resolve({ code: error ? 1 : 0, stderr }));
  });
  expect(badToken.code).toBe(1);
  expect(badToken.stderr).toContain("401");

  const secrets = Object.values(t.config.secrets).filter((s) => s.length > 8);
  for (const secret of secrets) {
    expect(outputs.join("\n")).not.toContain(secret);
  }
  expect(t.logText()).not.toContain(token());
});

import { reportOutcome, requestRpc } from "@concord/bus";
import { ExchangeListReplySchema } from "@concord/contracts";
import { collectCalls, createLogger, masker, recordTargetCall } from "@concord/telemetry";
import { waitFor } from "@concord/testkit";
import { pruneExchangeLog } from "./exchange-log";
import { useMappingApp } from "./test-app";

const logger = createLogger("exchange-log-test", "error");
const TOKEN = "xlog-webhook-token-9f2c1a";
const PASSWORD = "xlog-1c-password-77aa";
// The periodic run stays out of the way: the test runs the retention itself.
const mapping = useMappingApp("xlog", { EXCHANGE_LOG_RETENTION_DAYS: "1", EXCHANGE_LOG_RETENTION_INTERVAL_MS: "3600000" }, () => masker.addSecrets([PASSWORD]));
const { subjects } = mapping;

it("records the target calls a writer made for a message on the outcome's row, masked, and lists them", async () => {
  // As the consumer runs a delivery: the clients record each call, the outcome carries them.
  await collectCalls(async () => {
    recordTargetCall({ target: "onec", call: "GET Catalog_Контрагенты", status: 200, durationMs: 12.4, attempt: 1 });
    recordTargetCall({ target: "onec", call: "POST Document_ЗаказКлиента", status: 503, durationMs: 30, attempt: 1, error: `1c POST: HTTP 503 http://concord:${PASSWORD}@1c.local/odata` });
    recordTargetCall({ target: "bitrix24", call: "crm.deal.get", status: null, durationMs: 5000, attempt: 2, error: `timeout https://p.bitrix24.ru/rest/1/${TOKEN}/crm.deal.get.json` });
    await reportOutcome(
      mapping.bus().js,
      subjects,
      { stage: "onec-writer", messageId: "cmd:xlog:1", subject: { system: "bitrix24", entity: "deal", id: "901" }, target: null, result: "retrying", detail: "1C answered 503", attempts: 1, durationMs: 5042 },
      logger,
    );
    // Each call goes with one outcome: the next report of the same delivery carries none.
    await reportOutcome(
      mapping.bus().js,
      subjects,
      { stage: "onec-writer", messageId: "cmd:xlog:1", subject: { system: "bitrix24", entity: "deal", id: "901" }, target: null, result: "skipped", detail: "x", attempts: 2, durationMs: 1 },
      logger,
    );
  });
  const rows = await waitFor(async () => {
    const found = await mapping.sql()<Array<{ result: string; calls: Array<Record<string, unknown>> }>>`
      select result, calls from exchange_log where record_id = '901' order by id`;
    return found.length === 2 ? found : undefined;
  }, { timeoutMs: 10_000, what: "both outcomes in the exchange log" });
  const retrying = rows.find((r) => r.result === "retrying");
  expect(retrying?.calls.map((c) => [c.target, c.call, c.status, c.attempt])).toEqual([
    ["onec", "GET Catalog_Контрагенты", 200, 1],
    ["onec", "POST Document_ЗаказКлиента", 503, 1],
    ["bitrix24", "crm.deal.get", null, 2],
  ]);
  expect(retrying?.calls[0]).toMatchObject({ durationMs: 12, error: null });
  expect(rows.find((r) => r.result === "skipped")?.calls).toEqual([]);
  const text = JSON.stringify(rows);
  expect(text).not.toContain(TOKEN);
  expect(text).not.toContain(PASSWORD);
  expect(text).toContain("HTTP 503");

  // The console's listing (exchange.list) shows them too.
  const reply = await requestRpc(mapping.bus().nc, subjects.rpc.exchangeList, { result: "retrying", limit: 10 }, ExchangeListReplySchema);
  expect(reply.entries[0]?.calls).toHaveLength(3);
});

it("deletes rows older than the retention in batches, one replica at a time, and keeps the rest", async () => {
  const old = new Date(Date.now() - 3 * 86_400_000);
  await mapping.sql()`
    insert into exchange_log (outcome_id, at, stage, message_id, system, entity, record_id, result, detail, attempts, duration_ms, calls)
    select 'old:' || g, ${old}, 'onec-writer', 'm' || g, 'bitrix24', 'deal', 'r' || g, 'applied', '', 1, 1, '[]'::jsonb from generate_series(1, 53) g`;
  const [before] = await mapping.sql()<Array<{ n: number }>>`select count(*)::int as n from exchange_log`;

  // Two replicas at once, 10 rows per transaction: together they delete each old row once.
  const cutoff = new Date(Date.now() - 86_400_000);
  const runs = await Promise.all([pruneExchangeLog(mapping.sql(), cutoff, 10), pruneExchangeLog(mapping.sql(), cutoff, 10)]);
  const [after] = await mapping.sql()<Array<{ n: number; oldest: Date }>>`select count(*)::int as n, min(at) as oldest from exchange_log`;
  expect((before?.n ?? 0) - (after?.n ?? 0)).toBe(53);
  expect(runs[0].deleted + runs[1].deleted).toBeLessThanOrEqual(53);
  expect(new Date(after?.oldest ?? 0).getTime()).toBeGreaterThan(cutoff.getTime());
  // Whatever a skipping replica left, the next run finds nothing more to do.
  expect(await pruneExchangeLog(mapping.sql(), cutoff, 10)).toEqual({ deleted: 0, skipped: false });

  // The service's own schedule runs the same (EXCHANGE_LOG_RETENTION_DAYS=1).
  await mapping.sql()`
    insert into exchange_log (outcome_id, at, stage, message_id, system, entity, record_id, result, detail, attempts, duration_ms)
    values ('old:scheduled', ${old}, 'resolver', 'm', 'bitrix24', 'deal', 'r', 'commanded', '', 1, 1)`;
  await mapping.app().retention?.runNow();
  const [left] = await mapping.sql()<Array<{ n: number }>>`select count(*)::int as n from exchange_log where outcome_id = 'old:scheduled'`;
  expect(left?.n).toBe(0);
});

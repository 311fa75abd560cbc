import { createDlqClient, publishDeadLetter } from "@concord/bus";
import type { DeadLetter } from "@concord/contracts";
import { waitFor } from "@concord/testkit";
import { useMappingApp } from "./test-app";

const mapping = useMappingApp("dlq");
const { subjects } = mapping;

let seq = 100;
function letter(overrides: { subject: string; data: unknown; code?: string; failureClass?: "business" | "pipeline"; retryOf?: string | null; at?: string }): DeadLetter {
  const at = overrides.at ?? new Date().toISOString();
  return {
    v: 1,
    type: "dead-letter",
    stage: overrides.subject.includes(".events.") ? "resolver" : "onec-writer",
    stream: overrides.subject.includes(".events.") ? subjects.streams.events : subjects.streams.commands,
    streamSeq: seq++,
    subject: overrides.subject,
    messageId: `m-${seq}`,
    original: { data: JSON.stringify(overrides.data), headers: { "Concord-Schema": "onec-command/1" } },
    error: { kind: "permanent", code: overrides.code ?? "ONEC_REJECTED", message: "Недопустимый заказ", failureClass: overrides.failureClass ?? "business" },
    attempts: 1,
    firstFailedAt: at,
    lastFailedAt: at,
    traceId: "0af7651916cd43dd8448eb211c80319c",
    retryOf: overrides.retryOf ?? null,
  };
}

const orderCommand = (dealId: string) => ({ v: 1, type: "onec.order.upsert", source: { system: "bitrix24", entity: "deal", id: dealId } });
const rows = async () => mapping.sql()<Array<{ id: number; retry_of: number | null; flow: string; system: string; entity: string; record_id: string; status: string }>>`
  select id, retry_of, flow, system, entity, record_id, status from dead_letters order by id`;

it("records each DLQ message once, with its flow and source record", async () => {
  const first = letter({ subject: subjects.command("onec", "order"), data: orderCommand("7") });
  await publishDeadLetter(mapping.bus().js, subjects, first);
  await publishDeadLetter(mapping.bus().js, subjects, first); // the same dedupe id: stored once in the stream
  const event = letter({ subject: subjects.event("onec", "order"), data: { v: 1, type: "change", system: "onec", entity: "order", sourceId: "ref-1" }, code: "BAD_MESSAGE", failureClass: "pipeline" });
  await publishDeadLetter(mapping.bus().js, subjects, event);
  const stored = await waitFor(async () => ((await rows()).length === 2 ? rows() : undefined), { what: "two dead letters recorded" });
  // Recorded concurrently: compare without regard to order.
  expect(stored.map((r) => [r.flow, r.system, r.entity, r.record_id, r.status]).sort()).toEqual([
    ["bitrix24.deal→onec.order", "bitrix24", "deal", "7", "open"],
    ["onec.order→bitrix24.deal", "onec", "order", "ref-1", "open"],
  ]);
  // A redelivery of the same DLQ message (same stream sequence) is a no-op.
  const recorded = stored.find((r) => r.record_id === "7")!;
  const [dlqSeq] = await mapping.sql()<Array<{ dlq_stream_seq: number }>>`select dlq_stream_seq from dead_letters where id = ${recorded.id}`;
  expect(await mapping.app().deadLetterStore.record(first, Number(dlqSeq!.dlq_stream_seq))).toBe(false);
  expect(await rows()).toHaveLength(2);
});

it("lists with filters, gets one with its retry chain, and marks it", async () => {
  const dlq = createDlqClient(mapping.bus().nc, subjects);
  const before = await dlq.list({});
  const original = before.deadLetters.find((d) => d.recordId === "7")!;
  expect(original).toMatchObject({ errorCode: "ONEC_REJECTED", failureClass: "business", errorMessage: "Недопустимый заказ", status: "open", retryOf: null });

  // The retry of dead letter `original` failed again: the bus carried Concord-Retry-Of into the record.
  await publishDeadLetter(mapping.bus().js, subjects, letter({ subject: subjects.command("onec", "order"), data: orderCommand("7"), retryOf: String(original.id) }));
  await publishDeadLetter(mapping.bus().js, subjects, letter({ subject: subjects.command("onec", "counterparty"), data: { v: 1, source: { system: "bitrix24", entity: "company", id: "3" } }, code: "PRODUCT_NOT_FOUND", at: "2020-01-01T00:00:00.000Z" }));
  await waitFor(async () => ((await rows()).length === 4 ? true : undefined), { what: "four dead letters" });

  expect((await dlq.list({ code: "PRODUCT_NOT_FOUND" })).deadLetters.map((d) => d.flow)).toEqual(["bitrix24.company→onec.counterparty"]);
  expect((await dlq.list({ system: "onec" })).total).toBe(1);
  expect((await dlq.list({ flow: "bitrix24.deal→onec.order" })).total).toBe(2);
  expect((await dlq.list({ to: "2021-01-01T00:00:00Z" })).deadLetters.map((d) => d.errorCode)).toEqual(["PRODUCT_NOT_FOUND"]);
  expect((await dlq.list({ from: "2021-01-01T00:00:00Z" })).total).toBe(3);
  const limited = await dlq.list({ limit: 1 });
  expect(limited).toMatchObject({ total: 4 });
  expect(limited.deadLetters).toHaveLength(1);

  const retry = (await dlq.list({ flow: "bitrix24.deal→onec.order", limit: 1 })).deadLetters[0]!;
  expect(retry.retryOf).toBe(original.id);
  const fromRetry = await dlq.get(retry.id);
  const fromOriginal = await dlq.get(original.id);
  expect(fromRetry.history.map((h) => h.id)).toEqual([original.id, retry.id]);
  expect(fromOriginal.history.map((h) => h.id)).toEqual([original.id, retry.id]);
  expect(await dlq.get(999_999)).toEqual({ deadLetter: null, history: [] });

  const marked = await dlq.mark({ id: original.id, status: "retried" });
  expect(marked).toMatchObject({ changed: true, deadLetter: { status: "retried", retryCount: 1 } });
  expect(marked.deadLetter.retriedAt).not.toBeNull();
  await expect(dlq.mark({ id: original.id, status: "retried" })).resolves.toMatchObject({ changed: false, deadLetter: { retryCount: 1 } });
  await expect(dlq.mark({ id: original.id, status: "discarded", reason: "x" })).rejects.toMatchObject({ code: "DEAD_LETTER_NOT_OPEN" });
  await expect(dlq.mark({ id: retry.id, status: "discarded", reason: "" } as never)).rejects.toMatchObject({ code: "BAD_REQUEST" });
  await expect(dlq.mark({ id: retry.id, status: "discarded", reason: "order cancelled by the customer" })).resolves.toMatchObject({
    changed: true,
    deadLetter: { status: "discarded", discardReason: "order cancelled by the customer" },
  });
  await expect(dlq.mark({ id: original.id, status: "resolved" })).resolves.toMatchObject({ changed: true, deadLetter: { status: "resolved" } });
  await expect(dlq.mark({ id: 999_999, status: "resolved" })).rejects.toMatchObject({ code: "DEAD_LETTER_NOT_FOUND" });
  expect((await dlq.list({ status: "open" })).total).toBe(2);
});

it("keeps the audit trail: every entry stored, listed newest first by record or actor (issue 12)", async () => {
  const dlq = createDlqClient(mapping.bus().nc, subjects);
  const base = { role: "operator" as const, result: "ok" as const, traceId: null };
  await dlq.audit({ ...base, at: "2026-05-01T10:00:00.000Z", actor: "alice", action: "dlq.retry", targetKind: "dead-letter", targetId: "41", detail: "republished" });
  await dlq.audit({ ...base, at: "2026-05-01T10:05:00.000Z", actor: "bob", action: "dlq.discard", targetKind: "dead-letter", targetId: "41", detail: "duplicate order" });
  await dlq.audit({ ...base, at: "2026-05-01T10:06:00.000Z", actor: "alice", action: "resync", targetKind: "record", targetId: "bitrix24:deal:7", detail: "published" });
  const forLetter = await dlq.auditList({ targetKind: "dead-letter", targetId: "41" });
  expect(forLetter.entries.map((e) => [e.actor, e.action, e.detail])).toEqual([
    ["bob", "dlq.discard", "duplicate order"],
    ["alice", "dlq.retry", "republished"],
  ]);
  expect((await dlq.auditList({ actor: "alice" })).entries.map((e) => e.targetId)).toEqual(["bitrix24:deal:7", "41"]);
  const [row] = await mapping.sql()<Array<{ n: string }>>`select count(*)::text as n from audit_log`;
  expect(row?.n).toBe("3");
});

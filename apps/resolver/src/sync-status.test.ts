import { OutcomeSchema, contentHash, type Outcome } from "@concord/contracts";
import { clockTime, decideStatus, needsKnownNumber, signalMatters, signalOf, statusText, type StatusFacts, type StatusSignal, type SyncStatusRecord } from "./sync-status";

const settings = { field: "UF_CRM_CONCORD_SYNC", timeZone: "Europe/Moscow", language: "en" as const, comments: true };
const facts: StatusFacts = { onecOpenSince: null, orderExists: false, knownNumber: null, compensated: false };
const hash = contentHash(["order", 1]);

function outcome(over: Partial<Outcome>): Outcome {
  return OutcomeSchema.parse({
    v: 1,
    type: "outcome",
    stage: "onec-writer",
    messageId: `cmd:onec.order.upsert:bitrix24:deal:7:2026-12-01T10:00:00+03:00:${hash}`,
    subject: { system: "bitrix24", entity: "deal", id: "7" },
    target: null,
    result: "created",
    detail: "",
    attempts: 1,
    durationMs: 1,
    traceId: null,
    error: null,
    at: "2026-12-01T10:00:00.000Z",
    ...over,
  });
}

/** Runs signals in order from no record, returning what each wrote. */
function run(steps: Array<[StatusSignal, Partial<StatusFacts>?]>): Array<{ text: string; comment: string | null } | null> {
  let record: SyncStatusRecord | null = null;
  return steps.map(([signal, more], i) => {
    const change = decideStatus(record, signal, { ...facts, ...more }, new Date(Date.parse("2026-12-01T10:00:00Z") + i * 1000).toISOString(), `out:${i}`, settings);
    if (change) record = change.record;
    return change?.write ?? null;
  });
}

describe("signalOf", () => {
  it("reads a deal's order outcomes from onec-writer", () => {
    expect(signalOf(outcome({ result: "created", targetNumber: "0000-000123", target: { system: "onec", entity: "order", id: "5a1c4f9e-0000-4000-8000-000000000001" } }))).toEqual({ kind: "written", number: "0000-000123" });
    expect(signalOf(outcome({ result: "applied", target: { system: "onec", entity: "order", id: "5a1c4f9e-0000-4000-8000-000000000001" } }))).toEqual({ kind: "written", number: null });
    const detail = "1c POST Document_ЗаказКлиента: HTTP 500 code -1 Недопустимый заказ";
    const dead = signalOf(outcome({ result: "dead-lettered", detail, error: { code: "ONEC_REJECTED", failureClass: "business" } }));
    expect(dead).toEqual({ kind: "refused", reason: "Недопустимый заказ", business: true, contentHash: hash });
    expect(signalOf(outcome({ result: "retrying", error: { code: "CIRCUIT_OPEN", failureClass: "pipeline" } }))).toEqual({ kind: "unreachable" });
    expect(signalOf(outcome({ result: "retrying", error: { code: "REFERENCE_NOT_READY", failureClass: "pipeline" } }))).toEqual({ kind: "unreachable" });
    expect(signalOf(outcome({ stage: "resolver", messageId: "chg:x", result: "retrying", error: { code: "ONEC_HTTP_503", failureClass: "pipeline" } }))).toEqual({ kind: "unreachable" });
    expect(signalOf(outcome({ stage: "resolver", messageId: "chg:x", result: "retrying", error: { code: "B24_HTTP_503", failureClass: "pipeline" } }))).toBeNull();
  });

  it("ignores other records, the counterparty and delete commands, and CRM writes", () => {
    expect(signalOf(outcome({ subject: { system: "bitrix24", entity: "company", id: "7" } }))).toBeNull();
    expect(signalOf(outcome({ messageId: `${outcome({}).messageId}:dry-run`, result: "retrying" }))).toBeNull();
    expect(signalOf(outcome({ messageId: "cmd:onec.order.delete:bitrix24:deal:7:x:y", result: "dead-lettered" }))).toBeNull();
    expect(signalOf(outcome({ stage: "crm-writer", messageId: "cmd:bitrix24.deal.status:7:abc", result: "applied" }))).toBeNull();
    expect(signalOf(outcome({ stage: "resolver", messageId: "chg:x", result: "commanded" }))).toEqual({ kind: "commanded" });
    expect(signalOf(outcome({ stage: "resolver", messageId: "chg:x", result: "echo" }))).toEqual({ kind: "settled" });
  });
});

describe("decideStatus", () => {
  const refused: StatusSignal = { kind: "refused", reason: "Недопустимый заказ", business: true, contentHash: hash };

  it("shows the order number once, and writes nothing for the same text again", () => {
    expect(run([[{ kind: "written", number: "0000-000123" }], [{ kind: "written", number: "0000-000123" }], [{ kind: "written", number: null }]])).toEqual([
      { text: "1C: order 0000-000123", comment: null },
      null,
      null,
    ]);
  });

  it("shows a refusal with one comment, and its recovery with another", () => {
    expect(run([[refused], [refused], [{ ...refused, contentHash: "other" }], [{ kind: "written", number: "0000-000124" }]])).toEqual([
      { text: "1C refused: Недопустимый заказ", comment: "Concord: 1C refused the order of this deal: Недопустимый заказ. A change of the deal sends it again; if the cause is in 1C, it is retried once fixed there." },
      null,
      null,
      { text: "1C: order 0000-000124", comment: "Concord: the order of this deal is in 1C now (order 0000-000124)." },
    ]);
  });

  it("remembers the refused content until a write succeeds", () => {
    const first = decideStatus(null, refused, facts, "2026-12-01T10:00:00Z", "a", settings);
    expect(first?.record).toMatchObject({ refused: hash, failureOpen: true, commanded: false });
    const again = decideStatus(first!.record, { ...refused, contentHash: "h2" }, facts, "2026-12-01T10:00:01Z", "b", settings);
    expect(again).toMatchObject({ write: null, record: { refused: "h2", commanded: true } });
    const fixed = decideStatus(again!.record, { kind: "written", number: "1" }, facts, "2026-12-01T10:00:02Z", "c", settings);
    expect(fixed?.record).toMatchObject({ refused: null, failureOpen: false });
  });

  it("leaves the comment to the saga when it compensated, and still recovers with one", () => {
    expect(run([[refused, { compensated: true }], [{ kind: "written", number: "5" }]])).toEqual([
      { text: expect.stringMatching(/^1C refused/), comment: null },
      { text: "1C: order 5", comment: expect.stringContaining("in 1C now") },
    ]);
  });

  it("waits for 1C only while its circuit is open, once per outage, without a comment", () => {
    const since = "2026-12-01T23:14:00.000Z"; // 02:14 in Moscow
    const open = { onecOpenSince: since };
    expect(
      run([
        [{ kind: "written", number: "9" }],
        [{ kind: "unreachable" }],
        [{ kind: "unreachable" }, open],
        [{ kind: "commanded" }, open],
        [{ kind: "settled" }, open],
        [{ kind: "settled" }, { orderExists: true, knownNumber: "9" }],
      ]),
    ).toEqual([
      { text: "1C: order 9", comment: null },
      null,
      { text: expect.stringMatching(/^waiting for 1C \(not answering since (02\.12 )?02:14\)$/), comment: null },
      null,
      null,
      { text: "1C: order 9", comment: null },
    ]);
  });

  it("does not wait for a commanded update of an order that exists, and ignores older outcomes", () => {
    expect(run([[{ kind: "commanded" }, { onecOpenSince: "2026-12-01T09:00:00Z", orderExists: true }]])).toEqual([null]);
    const now = decideStatus(null, { kind: "written", number: "1" }, facts, "2026-12-01T10:00:05Z", "a", settings);
    expect(decideStatus(now!.record, refused, facts, "2026-12-01T10:00:01Z", "b", settings)).toBeNull();
  });

  it("writes no comment when comments are off, and speaks Russian when asked", () => {
    const quiet = decideStatus(null, refused, facts, "2026-12-01T10:00:00Z", "a", { ...settings, comments: false });
    expect(quiet?.write).toEqual({ text: expect.any(String), comment: null });
    const ru = decideStatus(null, { kind: "written", number: "0000-000123" }, facts, "2026-12-01T10:00:00Z", "a", { ...settings, language: "ru" });
    expect(ru?.write?.text).toBe("1С: заказ 0000-000123");
  });
});

describe("what is read before deciding", () => {
  it("reads nothing for a signal that cannot change the record, and the pair only for a number not known", () => {
    const waiting = decideStatus(null, { kind: "unreachable" }, { ...facts, onecOpenSince: "2026-12-01T09:00:00Z" }, "2026-12-01T10:00:00Z", "a", settings)!.record;
    const ok = decideStatus(null, { kind: "written", number: "7" }, facts, "2026-12-01T10:00:00Z", "a", settings)!.record;
    expect(signalMatters(ok, { kind: "settled" })).toBe(false);
    expect(signalMatters(waiting, { kind: "settled" })).toBe(true);
    expect(signalMatters(waiting, { kind: "commanded" })).toBe(false);
    expect(needsKnownNumber(ok, { kind: "written", number: null })).toBe(false);
    expect(needsKnownNumber(null, { kind: "written", number: null })).toBe(true);
    expect(needsKnownNumber(null, { kind: "written", number: "7" })).toBe(false);
  });
});

describe("statusText", () => {
  it("fits a long reason into the field", () => {
    const text = statusText({ kind: "refused", reason: "x".repeat(500), business: false }, settings);
    expect(text.length).toBeLessThanOrEqual(255);
    expect(text.startsWith("not sent to 1C: ")).toBe(true);
  });

  it("shows the time in the portal's zone, with the date when not today", () => {
    expect(clockTime("2026-12-01T23:14:00Z", "Europe/Moscow", Date.parse("2026-12-02T00:30:00Z"))).toBe("02:14");
    expect(clockTime("2026-11-30T10:05:00Z", "Europe/Moscow", Date.parse("2026-12-02T00:30:00Z"))).toBe("30.11 13:05");
  });
});

import { changeEventId } from "@concord/contracts";
import { rejectedRecordLog, toChangeEvent } from "./offline-events";

const record = (over: Partial<{ ID: string; TIMESTAMP_X: string; EVENT_NAME: string }> = {}) => ({
  ID: "7",
  TIMESTAMP_X: "2026-11-23T17:04:05+03:00",
  EVENT_NAME: "ONCRMDEALUPDATE",
  EVENT_DATA: { FIELDS: { ID: "42" } },
  MESSAGE_ID: "0123456789abcdef0123456789abcdef",
  ...over,
});
const at = new Date("2026-11-23T14:05:00Z");

it("turns a queue record into the change event a webhook would give, marked as offline", () => {
  expect(toChangeEvent(record(), at)).toMatchObject({
    system: "bitrix24",
    entity: "deal",
    sourceId: "42",
    action: "upsert",
    occurredAt: "2026-11-23T14:04:05.000Z",
    via: "offline",
  });
  expect(toChangeEvent(record({ EVENT_NAME: "ONCRMCOMPANYDELETE" }), at)).toMatchObject({ entity: "company", action: "delete" });
});

it("gives a new dedupe id to a new row or a later change of the same row, and the same id to a re-read", () => {
  const id = (r: ReturnType<typeof record>) => changeEventId(toChangeEvent(r, at)!);
  expect(id(record())).toBe(id(record()));
  expect(id(record({ ID: "8" }))).not.toBe(id(record()));
  expect(id(record({ TIMESTAMP_X: "2026-11-23T17:04:06+03:00" }))).not.toBe(id(record()));
});

it("answers null for an event Concord does not handle or a time it cannot read", () => {
  expect(toChangeEvent(record({ EVENT_NAME: "ONCRMLEADADD" }), at)).toBeNull();
  expect(toChangeEvent(record({ TIMESTAMP_X: "yesterday" }), at)).toBeNull();
});

it("logs of a record it does not understand its MESSAGE_ID and the problem, never the record (issue 12)", () => {
  const canary = "canary-application-token-5f1";
  const raw = { ...record(), EVENT_DATA: { FIELDS: { ID: "not-a-number" } }, auth: { application_token: canary, domain: "p.bitrix24.ru" } };
  const logged = rejectedRecordLog(raw);
  expect(logged.messageId).toBe("0123456789abcdef0123456789abcdef");
  expect(logged.problem).toMatch(/EVENT_DATA\.FIELDS\.ID/);
  expect(JSON.stringify(logged)).not.toContain(canary);
  expect(JSON.stringify(logged)).not.toContain("not-a-number");
});

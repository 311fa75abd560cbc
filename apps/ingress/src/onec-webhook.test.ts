import { authenticateOnec, parseOnecNotification } from "./onec-webhook";
import { signStandardWebhook } from "./signature";

const RECEIVED = new Date("2025-01-09T07:00:00.000Z");
const REF = "3f2504e0-4f89-11d3-9a0c-0305e82c3301";
const notification = (overrides: Record<string, unknown> = {}) => ({
  v: 1,
  type: "onec.change",
  object: "Document_ЗаказКлиента",
  ref: REF,
  dataVersion: "AAAAAgAAAAA=",
  deleted: false,
  occurredAt: "2025-01-09T06:59:58+03:00",
  ...overrides,
});
const raw = (value: unknown) => Buffer.from(JSON.stringify(value), "utf8");

describe("parseOnecNotification", () => {
  it("maps an order change to a ChangeEvent keyed by DataVersion", () => {
    expect(parseOnecNotification(raw(notification()), RECEIVED)).toEqual({
      ok: true,
      detail: "Document_ЗаказКлиента upsert",
      event: {
        v: 1,
        type: "change",
        system: "onec",
        entity: "order",
        sourceId: REF,
        action: "upsert",
        sourceVersion: "AAAAAgAAAAA=",
        occurredAt: "2025-01-09T06:59:58+03:00",
        receivedAt: "2025-01-09T07:00:00.000Z",
        via: "webhook",
      },
    });
  });

  it("maps a delete without DataVersion to a delete keyed by its instant", () => {
    const result = parseOnecNotification(raw(notification({ object: "Catalog_Контрагенты", deleted: true, dataVersion: null })), RECEIVED);
    expect(result.ok && result.event).toMatchObject({
      entity: "counterparty",
      action: "delete",
      sourceVersion: "deleted@2025-01-09T06:59:58+03:00",
    });
  });

  it("normalises the Ref_Key to lower case, as OData returns it", () => {
    const result = parseOnecNotification(raw(notification({ ref: REF.toUpperCase() })), RECEIVED);
    expect(result.ok && result.event.sourceId).toBe(REF);
  });

  it.each([
    [Buffer.from("{not json"), "malformed JSON"],
    [Buffer.alloc(0), "malformed JSON"],
    [Buffer.from([0x7b, 0xff, 0x7d]), "malformed JSON"],
    [raw(notification({ object: "Catalog_Валюты" })), "object: "],
    [raw(notification({ ref: "42" })), "ref: ref must be a Ref_Key GUID"],
    [raw(notification({ occurredAt: undefined })), "occurredAt: is required"],
    [raw([notification()]), "(body): "],
  ])("refuses a bad body with 400 and a reason (%#)", (body, reason) => {
    const result = parseOnecNotification(body, RECEIVED);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.rejection.status).toBe(400);
      expect(result.rejection.reason).toContain(reason);
    }
  });
});

describe("authenticateOnec", () => {
  const secret = `whsec_${Buffer.from("another-test-key-of-32-bytes!!!!").toString("base64")}`;
  const body = raw(notification());
  const nowS = 1_736_406_000;

  it("answers the two 401 messages of the API", () => {
    const signature = signStandardWebhook(secret, "id1", nowS, body);
    expect(authenticateOnec({ id: "id1", timestamp: String(nowS), signature, body }, { secret, toleranceS: 300, nowS })).toEqual({
      ok: true,
      webhookId: "id1",
    });
    expect(authenticateOnec({ id: "id1", timestamp: String(nowS), signature: "v1,AAAA", body }, { secret, toleranceS: 300, nowS })).toEqual({
      ok: false,
      rejection: { status: 401, error: "invalid signature" },
    });
    const stale = nowS - 3600;
    expect(
      authenticateOnec(
        { id: "id1", timestamp: String(stale), signature: signStandardWebhook(secret, "id1", stale, body), body },
        { secret, toleranceS: 300, nowS },
      ),
    ).toEqual({ ok: false, rejection: { status: 401, error: "timestamp outside the replay window" } });
  });
});

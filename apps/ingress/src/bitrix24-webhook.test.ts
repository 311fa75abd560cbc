import { changeEventId } from "@concord/contracts";
import { parseBitrix24Webhook } from "./bitrix24-webhook";

const TOKEN = "b24-app-token-0123456789";
const RECEIVED = new Date("2025-01-09T07:00:00.000Z");

const payload = (overrides: Record<string, unknown> = {}) => ({
  event: "ONCRMDEALUPDATE",
  event_handler_id: "3",
  data: { FIELDS: { ID: "759" } },
  ts: "1736405807",
  auth: {
    domain: "example.bitrix24.ru",
    client_endpoint: "https://example.bitrix24.ru/rest/",
    server_endpoint: "https://oauth.bitrix.info/rest/",
    member_id: "a1b2c3",
    application_token: TOKEN,
  },
  ...overrides,
});

describe("parseBitrix24Webhook", () => {
  it("maps a deal update to a ChangeEvent", () => {
    const result = parseBitrix24Webhook(payload(), TOKEN, RECEIVED);
    expect(result).toEqual({
      ok: true,
      detail: "ONCRMDEALUPDATE",
      event: {
        v: 1,
        type: "change",
        system: "bitrix24",
        entity: "deal",
        sourceId: "759",
        action: "upsert",
        sourceVersion: "ONCRMDEALUPDATE@1736405807",
        occurredAt: "2025-01-09T06:56:47.000Z",
        receivedAt: "2025-01-09T07:00:00.000Z",
        via: "webhook",
      },
    });
  });

  it.each([
    ["ONCRMDEALADD", "deal", "upsert"],
    ["ONCRMDEALDELETE", "deal", "delete"],
    ["ONCRMCOMPANYUPDATE", "company", "upsert"],
    ["ONCRMCONTACTDELETE", "contact", "delete"],
    ["onCrmContactAdd", "contact", "upsert"],
  ])("maps %s to %s/%s", (event, entity, action) => {
    const result = parseBitrix24Webhook(payload({ event }), TOKEN, RECEIVED);
    expect(result.ok && result.event).toMatchObject({ entity, action, sourceVersion: `${event.toUpperCase()}@1736405807` });
  });

  it("gives ADD and UPDATE of the same record at the same second different dedupe ids", () => {
    const add = parseBitrix24Webhook(payload({ event: "ONCRMDEALADD" }), TOKEN, RECEIVED);
    const update = parseBitrix24Webhook(payload(), TOKEN, RECEIVED);
    if (!add.ok || !update.ok) throw new Error("expected both to parse");
    expect(changeEventId(add.event)).not.toBe(changeEventId(update.event));
  });

  it("gives a repeated delivery the same dedupe id, whenever it arrives", () => {
    const first = parseBitrix24Webhook(payload(), TOKEN, RECEIVED);
    const again = parseBitrix24Webhook(payload(), TOKEN, new Date(RECEIVED.getTime() + 60_000));
    if (!first.ok || !again.ok) throw new Error("expected both to parse");
    expect(changeEventId(again.event)).toBe(changeEventId(first.event));
  });

  it("refuses a missing or wrong token with a generic 401, before looking at the payload", () => {
    const auth = payload().auth;
    for (const body of [
      payload({ auth: { ...auth, application_token: "wrong-token-value" } }),
      payload({ auth: { ...auth, application_token: undefined } }),
      payload({ auth: undefined }),
      payload({ auth: { ...auth, application_token: [TOKEN] } }),
      { ...payload({ event: "NOPE" }), auth: { application_token: "wrong" } },
      undefined,
      "event=ONCRMDEALUPDATE",
    ]) {
      expect(parseBitrix24Webhook(body, TOKEN, RECEIVED)).toEqual({ ok: false, rejection: { status: 401, error: "unauthorized" } });
    }
  });

  it.each([
    [{ data: { FIELDS: {} } }, "data[FIELDS][ID]: is required"],
    [{ data: { FIELDS: { ID: "75a" } } }, "data[FIELDS][ID]: data[FIELDS][ID] must be a numeric id"],
    [{ data: { FIELDS: { ID: ["1", "2"] } } }, "data[FIELDS][ID]"],
    [{ data: undefined }, "data: is required"],
    [{ event: "ONCRMLEADADD" }, "event: "],
    [{ event: undefined }, "event: is required"],
    [{ ts: "yesterday" }, "ts: ts must be unix seconds"],
    [{ ts: "999999999999" }, "ts: out of range"],
  ])("refuses %j with 400 and the reason %s", (overrides, reason) => {
    const result = parseBitrix24Webhook(payload(overrides), TOKEN, RECEIVED);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.rejection.status).toBe(400);
    expect(result.rejection.error).toBe("invalid payload");
    expect(result.rejection.reason).toContain(reason);
    expect(result.rejection.reason).not.toContain(TOKEN);
  });
});

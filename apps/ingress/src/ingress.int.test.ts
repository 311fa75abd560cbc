import { ChangeEventSchema, OutcomeSchema, SchemaVersions } from "@concord/contracts";
import { waitFor } from "@concord/testkit";
import { bitrix24Fields, postForm, postOnec, request, startIngress, TEST_SECRET, TEST_TOKEN, type RunningIngress } from "./testing";
import { signStandardWebhook } from "./signature";

let ingress: RunningIngress;

beforeAll(async () => {
  ingress = await startIngress();
});

afterAll(async () => {
  await ingress?.stop();
});

async function lastMessage(stream: string) {
  const info = await ingress.bus.jsm.streams.info(stream);
  const message = await ingress.bus.jsm.streams.getMessage(stream, { seq: info.state.last_seq });
  if (!message) throw new Error(`no message in ${stream}`);
  return message;
}

/** Asserts that `action` publishes nothing to EVENTS. */
async function expectNothingPublished(action: () => Promise<void>) {
  const before = await ingress.messages();
  await action();
  expect(await ingress.messages()).toBe(before);
}

describe("POST /webhooks/bitrix24", () => {
  it("answers 202 only with the event stored once, with dedupe id, trace context and schema headers", async () => {
    const before = await ingress.messages();
    const res = await postForm(ingress.origin, bitrix24Fields());
    const id = "chg:bitrix24:deal:759:upsert:ONCRMDEALUPDATE@1736405807";
    expect(res.status).toBe(202);
    expect(res.json).toEqual({ accepted: true, id, duplicate: false });
    expect(await ingress.messages()).toBe(before + 1);

    const stored = await lastMessage(ingress.subjects.streams.events);
    expect(stored.subject).toBe(ingress.subjects.event("bitrix24", "deal"));
    expect(stored.header.get("Nats-Msg-Id")).toBe(id);
    expect(stored.header.get("Concord-Schema")).toBe(SchemaVersions.change);
    expect(stored.header.get("traceparent")).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/);
    const event = ChangeEventSchema.parse(stored.json());
    expect(event).toEqual({
      v: 1,
      type: "change",
      system: "bitrix24",
      entity: "deal",
      sourceId: "759",
      action: "upsert",
      sourceVersion: "ONCRMDEALUPDATE@1736405807",
      occurredAt: "2025-01-09T06:56:47.000Z",
      receivedAt: expect.any(String),
      via: "webhook",
    });

    // The outcome follows, best effort, in the same trace.
    const outcome = await waitFor(async () => {
      if ((await ingress.messages(ingress.subjects.streams.outcomes)) === 0) return undefined;
      return lastMessage(ingress.subjects.streams.outcomes);
    }, { what: "an ingress outcome" });
    expect(outcome.subject).toBe(ingress.subjects.outcome("bitrix24", "deal"));
    expect(outcome.header.get("Concord-Schema")).toBe(SchemaVersions.outcome);
    const parsed = OutcomeSchema.parse(outcome.json());
    expect(parsed).toMatchObject({
      stage: "ingress",
      result: "accepted",
      messageId: id,
      subject: { system: "bitrix24", entity: "deal", id: "759" },
      target: null,
      detail: "ONCRMDEALUPDATE",
      attempts: 1,
    });
    expect(stored.header.get("traceparent")).toContain(parsed.traceId);
  });

  it("stores the same webhook sent 5× concurrently once, and answers 202 to all", async () => {
    const before = await ingress.messages();
    const fields = bitrix24Fields({ "data[FIELDS][ID]": "1001", event: "ONCRMDEALADD" });
    const answers = await Promise.all(Array.from({ length: 5 }, () => postForm(ingress.origin, fields)));
    expect(answers.map((a) => a.status)).toEqual([202, 202, 202, 202, 202]);
    expect(new Set(answers.map((a) => a.json.id)).size).toBe(1);
    expect(answers.filter((a) => a.json.duplicate === false)).toHaveLength(1);
    expect(await ingress.messages()).toBe(before + 1);
  });

  it("keeps ADD and UPDATE of the same record at the same second apart", async () => {
    const before = await ingress.messages();
    const add = await postForm(ingress.origin, bitrix24Fields({ "data[FIELDS][ID]": "1002", event: "ONCRMDEALADD" }));
    const update = await postForm(ingress.origin, bitrix24Fields({ "data[FIELDS][ID]": "1002", event: "ONCRMDEALUPDATE" }));
    expect([add.json.duplicate, update.json.duplicate]).toEqual([false, false]);
    expect(await ingress.messages()).toBe(before + 2);
  });

  it.each([
    ["a wrong token", bitrix24Fields({ "auth[application_token]": "not-the-token" })],
    ["no token", bitrix24Fields({ "auth[application_token]": undefined })],
    ["no auth at all", { event: "ONCRMDEALUPDATE", "data[FIELDS][ID]": "1", ts: "1" }],
    ["the token twice", { ...bitrix24Fields(), "auth[application_token][]": TEST_TOKEN }],
  ])("answers 401 to %s and publishes nothing", async (_name, fields) => {
    await expectNothingPublished(async () => {
      const res = await postForm(ingress.origin, fields);
      expect(res.status).toBe(401);
      expect(res.json).toEqual({ error: "unauthorized" });
    });
  });

  it.each([
    ["missing data[FIELDS][ID]", bitrix24Fields({ "data[FIELDS][ID]": undefined }), "data: is required"],
    ["empty data[FIELDS]", bitrix24Fields({ "data[FIELDS][ID]": undefined, "data[FIELDS][TITLE]": "x" }), "data[FIELDS][ID]: is required"],
    ["non-numeric ID", bitrix24Fields({ "data[FIELDS][ID]": "75 9" }), "data[FIELDS][ID]: data[FIELDS][ID] must be a numeric id"],
    ["unknown event", bitrix24Fields({ event: "ONCRMLEADADD" }), "event: "],
    ["non-numeric ts", bitrix24Fields({ ts: "now" }), "ts: ts must be unix seconds"],
  ])("answers 400 to %s with a reason and publishes nothing", async (_name, fields, reason) => {
    await expectNothingPublished(async () => {
      const res = await postForm(ingress.origin, fields);
      expect(res.status).toBe(400);
      expect(res.json.error).toBe("invalid payload");
      expect(res.json.reason).toEqual(expect.stringContaining(reason));
    });
  });

  it("answers 413 to an oversize body and publishes nothing", async () => {
    await expectNothingPublished(async () => {
      const res = await postForm(ingress.origin, { ...bitrix24Fields(), padding: "x".repeat(70 * 1024) });
      expect(res.status).toBe(413);
      expect(res.json.error).toBe("payload too large");
    });
  });

  it("answers 415 to a JSON body, 405 to GET", async () => {
    await expectNothingPublished(async () => {
      const json = await request(ingress.origin, "/webhooks/bitrix24", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ event: "ONCRMDEALUPDATE" }),
      });
      expect(json.status).toBe(415);
      expect(json.json.error).toBe("unsupported media type");
      const get = await request(ingress.origin, "/webhooks/bitrix24");
      expect(get.status).toBe(405);
      expect(get.headers.get("allow")).toBe("POST");
      expect(get.json).toEqual({ error: "method not allowed" });
    });
  });
});

describe("POST /webhooks/1c", () => {
  const ref = "3f2504e0-4f89-11d3-9a0c-0305e82c3301";
  const body = (overrides: Record<string, unknown> = {}) =>
    JSON.stringify({
      v: 1,
      type: "onec.change",
      object: "Document_ЗаказКлиента",
      ref,
      dataVersion: "AAAAAgAAAAA=",
      deleted: false,
      occurredAt: "2025-01-09T09:59:58+03:00",
      ...overrides,
    });

  it("accepts a correctly signed notification and stores its ChangeEvent", async () => {
    const before = await ingress.messages();
    const res = await postOnec(ingress.origin, body());
    expect(res.status).toBe(202);
    expect(res.json).toEqual({ accepted: true, id: `chg:onec:order:${ref}:upsert:AAAAAgAAAAA=`, duplicate: false });
    expect(await ingress.messages()).toBe(before + 1);
    const stored = await lastMessage(ingress.subjects.streams.events);
    expect(stored.subject).toBe(ingress.subjects.event("onec", "order"));
    expect(stored.header.get("traceparent")).toBeTruthy();
    expect(stored.json()).toMatchObject({ system: "onec", entity: "order", sourceId: ref, action: "upsert", via: "webhook" });
  });

  it("answers a replay inside the window with 202 duplicate:true and stores it once", async () => {
    const before = await ingress.messages();
    const raw = body({ dataVersion: "AAAAAwAAAAA=" });
    const timestamp = Math.floor(Date.now() / 1000);
    const first = await postOnec(ingress.origin, raw, { id: "msg_replay", timestamp });
    const replay = await postOnec(ingress.origin, raw, { id: "msg_replay", timestamp });
    expect(first.json).toMatchObject({ accepted: true, duplicate: false });
    expect(replay.status).toBe(202);
    expect(replay.json).toEqual({ ...first.json, duplicate: true });
    expect(await ingress.messages()).toBe(before + 1);
  });

  it.each([
    ["a signature with another secret", { secret: `whsec_${Buffer.from("some-other-key-of-32-bytes-xxxxx").toString("base64")}` }, "invalid signature"],
    ["a garbage signature", { signature: "v1,Zm9vYmFy" }, "invalid signature"],
    ["no signature header", { headers: { "webhook-signature": "" } }, "invalid signature"],
    ["a stale timestamp", { timestamp: Math.floor(Date.now() / 1000) - 301 }, "timestamp outside the replay window"],
    ["a future timestamp", { timestamp: Math.floor(Date.now() / 1000) + 600 }, "timestamp outside the replay window"],
  ])("answers 401 to %s and publishes nothing", async (_name, options, error) => {
    await expectNothingPublished(async () => {
      const res = await postOnec(ingress.origin, body({ dataVersion: "AAAABAAAAAA=" }), options);
      expect(res.status).toBe(401);
      expect(res.json).toEqual({ error });
    });
  });

  it("rejects a body changed after signing", async () => {
    const id = "msg_tampered";
    const timestamp = Math.floor(Date.now() / 1000);
    const signature = signStandardWebhook(TEST_SECRET, id, timestamp, body());
    await expectNothingPublished(async () => {
      const res = await postOnec(ingress.origin, body({ deleted: true }), { id, timestamp, signature });
      expect(res.status).toBe(401);
    });
  });

  it.each([
    ["malformed JSON", "{\"v\":1,", "malformed JSON"],
    ["an unknown object", body({ object: "Catalog_Валюты" }), "object: "],
    ["a bad ref", body({ ref: "not-a-guid" }), "ref: ref must be a Ref_Key GUID"],
  ])("answers 400 to signed %s with a reason", async (_name, raw, reason) => {
    await expectNothingPublished(async () => {
      const res = await postOnec(ingress.origin, raw);
      expect(res.status).toBe(400);
      expect(res.json.reason).toEqual(expect.stringContaining(reason));
    });
  });

  it("answers 415 to a form body and 413 to an oversize one", async () => {
    await expectNothingPublished(async () => {
      const form = await postOnec(ingress.origin, "a=1", { headers: { "content-type": "application/x-www-form-urlencoded" } });
      expect(form.status).toBe(415);
      const big = await postOnec(ingress.origin, body({ padding: "x".repeat(70 * 1024) }));
      expect(big.status).toBe(413);
      expect(big.json.error).toBe("payload too large");
    });
  });
});

describe("the rest of the HTTP surface", () => {
  it("serves health and readiness on the same port, JSON 404 elsewhere", async () => {
    expect((await request(ingress.origin, "/healthz")).status).toBe(200);
    const ready = await request(ingress.origin, "/readyz");
    expect(ready.status).toBe(200);
    expect(ready.json).toEqual({ status: "ready" });
    expect(ingress.app.ready()).toBe(true);
    const missing = await request(ingress.origin, "/webhooks/amocrm", { method: "POST" });
    expect(missing.status).toBe(404);
    expect(missing.json).toEqual({ error: "not found" });
  });

  it("logs one line per request with ids and trace id, and never a token, secret or signature", async () => {
    const timestamp = Math.floor(Date.now() / 1000);
    const raw = JSON.stringify({
      v: 1,
      type: "onec.change",
      object: "Catalog_Номенклатура",
      ref: "3f2504e0-4f89-11d3-9a0c-0305e82c3302",
      dataVersion: "AAAABQAAAAA=",
      deleted: false,
      occurredAt: "2025-01-09T09:59:58+03:00",
    });
    const signature = signStandardWebhook(TEST_SECRET, "msg_logged", timestamp, raw);
    await postOnec(ingress.origin, raw, { id: "msg_logged", timestamp, signature });
    await postForm(ingress.origin, bitrix24Fields({ "data[FIELDS][ID]": "4242" }));
    const line = await waitFor(
      () => ingress.lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.sourceId === "4242" && l.message === "request"),
      { what: "the request log line" },
    );
    expect(line).toMatchObject({
      system: "bitrix24",
      entity: "deal",
      msgId: "chg:bitrix24:deal:4242:upsert:ONCRMDEALUPDATE@1736405807",
      status: 202,
      path: "/webhooks/bitrix24",
      trace_id: expect.stringMatching(/^[0-9a-f]{32}$/),
    });
    expect(typeof line.ms).toBe("number");
    const all = ingress.lines.join("\n");
    const key = TEST_SECRET.slice("whsec_".length);
    for (const secret of [TEST_TOKEN, encodeURIComponent(TEST_TOKEN), TEST_SECRET, key, signature.slice(3)]) {
      expect(all).not.toContain(secret);
    }
    expect(all).not.toContain("application_token");
  });
});

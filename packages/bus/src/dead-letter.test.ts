import { headers as natsHeaders } from "@nats-io/nats-core";
import type { JsMsg, JetStreamClient, PubAck } from "@nats-io/jetstream";
import { DeadLetterSchema, isSyncError, permanent, type DeadLetterRecord } from "@concord/contracts";
import { masker } from "@concord/telemetry";
import { toDeadLetter } from "./dead-letter";
import { openOriginal, republishOriginal } from "./dead-letter-ops";
import { configureSealing, createSealer } from "./sealing";

const webhookToken = "wh00k-t0ken-abcdef";
// A 1C password of 4 digits: short secrets must never rewrite numbers.
masker.addSecrets(["1234", webhookToken, "onec-long-password"]);

const payload = JSON.stringify({
  v: 1,
  type: "onec.order.upsert",
  title: "Password: reset — Bearer of the goods, see /rest/1/x/",
  comment: `portal https://p.bitrix24.ru/rest/1/${webhookToken}/ and onec-long-password`,
  lines: [{ sku: "SKU-1234", quantity: 1234, price: "12340.00" }],
});

function message(data: string): JsMsg {
  const h = natsHeaders();
  h.set("Nats-Msg-Id", "cmd:1");
  h.set("Concord-Schema", "onec.order.upsert/1");
  h.set("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
  return { data: new TextEncoder().encode(data), headers: h, subject: "concord.commands.onec.order", info: { stream: "COMMANDS", streamSequence: 5, deliveryCount: 3 } } as unknown as JsMsg;
}

const asRecord = (letter: ReturnType<typeof toDeadLetter>) => ({ subject: letter.subject, original: letter.original }) as Pick<DeadLetterRecord, "subject" | "original">;

describe("a dead letter keeps its original sealed, shows it masked, and a retry sends the original", () => {
  const sealer = createSealer("test-dlq-key-0123456789abcdef");
  beforeAll(() => configureSealing(sealer));
  afterAll(() => configureSealing(null));

  it("shows only real secrets masked, business text and numbers intact", () => {
    const letter = DeadLetterSchema.parse(toDeadLetter("onec-writer", message(payload), permanent("ONEC_REJECTED", "no"), new Date()));
    const shown = JSON.parse(letter.original.data) as { title: string; comment: string; lines: unknown };
    expect(shown.title).toBe("Password: reset — Bearer of the goods, see /rest/1/x/");
    expect(shown.lines).toEqual([{ sku: "SKU-1234", quantity: 1234, price: "12340.00" }]);
    expect(shown.comment).toBe("portal https://p.bitrix24.ru/rest/1/***/ and ***");
    expect(letter.original.sealed).toMatch(/^v1\./);
    expect(letter.original.sealed).not.toContain(webhookToken);
    expect(JSON.stringify(letter)).not.toContain(webhookToken);
  });

  it("a retry publishes the original byte for byte, with its schema and trace", async () => {
    const letter = toDeadLetter("onec-writer", message(payload), permanent("ONEC_REJECTED", "no"), new Date());
    const sent: Array<{ subject: string; data: string; headers: Record<string, string> }> = [];
    const js = {
      publish: (subject: string, data: Uint8Array, opts: { headers: ReturnType<typeof natsHeaders> }) => {
        const headers: Record<string, string> = {};
        for (const [k, v] of opts.headers) headers[k] = v.join(",");
        sent.push({ subject, data: new TextDecoder().decode(data), headers });
        return Promise.resolve({ duplicate: false, seq: 1, stream: "COMMANDS" } as PubAck);
      },
    } as unknown as Pick<JetStreamClient, "publish">;
    await republishOriginal(js, asRecord(letter), { msgId: "retry:1:1", retryOf: 1 });
    expect(sent).toHaveLength(1);
    expect(sent[0]?.data).toBe(payload);
    expect(sent[0]?.headers).toMatchObject({ "Nats-Msg-Id": "retry:1:1", "Concord-Schema": "onec.order.upsert/1", "Concord-Retry-Of": "1" });
  });

  it("an altered seal, a missing key or a masked-only letter is refused, never published", () => {
    const letter = toDeadLetter("onec-writer", message(payload), permanent("ONEC_REJECTED", "no"), new Date());
    const sealed = letter.original.sealed ?? "";
    const tampered = { ...letter.original, sealed: `${sealed.slice(0, -4)}AAAA` };
    const code = (fn: () => unknown) => {
      try {
        fn();
        return "opened";
      } catch (error) {
        return isSyncError(error) ? error.code : "other";
      }
    };
    expect(code(() => openOriginal({ original: tampered }, sealer))).toBe("DLQ_SEAL_INVALID");
    expect(code(() => openOriginal({ original: letter.original }, createSealer("another-key-0123456789abcdef")))).toBe("DLQ_SEAL_UNKNOWN_KEY");
    expect(code(() => openOriginal({ original: { data: letter.original.data, headers: {} } }, sealer))).toBe("DLQ_PAYLOAD_MASKED");
  });

  it("a rotated key still opens what the old key sealed", () => {
    const letter = toDeadLetter("onec-writer", message(payload), permanent("ONEC_REJECTED", "no"), new Date());
    const rotated = createSealer("new-dlq-key-0123456789abcdef", ["test-dlq-key-0123456789abcdef"]);
    expect(openOriginal({ original: letter.original }, rotated).data).toBe(payload);
  });
});

import fc from "fast-check";
import { OnecObjects, changeEventId } from "@concord/contracts";
import { signStandardWebhook } from "./signature";
import { postOnec, startIngress, TEST_SECRET, type RunningIngress } from "./testing";

/**
 * Random 1C notifications, then mutated after (or instead of) signing: truncated, tampered,
 * oversized, wrongly signed, outside the replay window, or replayed as they were. Every answer
 * is a 202 (valid, or the same valid request again) or a 4xx with a reason; the process keeps
 * answering; only valid events reach the EVENTS stream, each once.
 */

let ingress: RunningIngress;

beforeAll(async () => {
  ingress = await startIngress({ INGRESS_BODY_LIMIT: "4kb" });
});

afterAll(async () => {
  await ingress?.stop();
});

const hex = (n: number) => fc.string({ unit: fc.constantFrom(..."0123456789abcdef"), minLength: n, maxLength: n });
const notification = fc.record({
  v: fc.constant(1),
  type: fc.constant("onec.change"),
  object: fc.constantFrom(...Object.keys(OnecObjects)),
  ref: fc.tuple(hex(8), hex(4), hex(4), hex(4), hex(12)).map((parts) => parts.join("-")),
  deleted: fc.boolean(),
  dataVersion: fc.base64String({ minLength: 4, maxLength: 16 }).filter((s) => s.length > 0),
  occurredAt: fc.date({ min: new Date("2024-01-01T00:00:00Z"), max: new Date("2030-01-01T00:00:00Z"), noInvalidDate: true }).map((d) => d.toISOString()),
}).map((n) => ({ ...n, dataVersion: n.deleted ? null : n.dataVersion }));

interface Request {
  body: string;
  id: string;
  timestamp: number;
  signature?: string;
}
type Mutation = { name: string; valid: boolean; apply(r: Request): Request };

const junk = fc.oneof(fc.string({ maxLength: 40 }), fc.constantFrom("", "{", "null", "[]", '{"v":1}', "\u0000", "{\"__proto__\":{}}"));

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.constant<Mutation>({ name: "none", valid: true, apply: (r) => r }),
  fc.nat().map<Mutation>((at) => ({ name: "truncated", valid: false, apply: (r) => ({ ...r, body: r.body.slice(0, at % r.body.length) }) })),
  fc.tuple(fc.nat(), junk).map<Mutation>(([at, insert]) => ({
    name: "tampered after signing",
    valid: false,
    apply: (r) => {
      const signature = signStandardWebhook(TEST_SECRET, r.id, r.timestamp, r.body);
      const i = at % (r.body.length + 1);
      const body = r.body.slice(0, i) + insert + r.body.slice(i);
      return { ...r, body, signature: body === r.body ? "v1,AAAA" : signature };
    },
  })),
  fc.constant<Mutation>({ name: "oversized", valid: false, apply: (r) => ({ ...r, body: r.body.replace(/}$/, `,"pad":"${"x".repeat(5_000)}"}`) }) }),
  fc.constant<Mutation>({
    name: "wrong secret",
    valid: false,
    apply: (r) => ({ ...r, signature: signStandardWebhook(`whsec_${Buffer.from("another-key-of-32-bytes-length!!").toString("base64")}`, r.id, r.timestamp, r.body) }),
  }),
  fc.constantFrom(-3_600, -301, 301, 86_400).map<Mutation>((skew) => ({ name: `timestamp ${skew} s`, valid: false, apply: (r) => ({ ...r, timestamp: r.timestamp + skew }) })),
  fc.tuple(fc.constantFrom("v", "type", "object", "ref", "deleted", "occurredAt"), fc.oneof(junk, fc.constant(undefined))).map<Mutation>(([key, value]) => ({
    name: `set ${key}`,
    valid: false,
    apply: (r) => ({ ...r, body: JSON.stringify({ ...(JSON.parse(r.body) as object), [key]: value }) }),
  })),
  junk.map<Mutation>((raw) => ({ name: "garbage", valid: false, apply: (r) => ({ ...r, body: raw }) })),
);

it("answers every notification with 202 (valid or replayed) or a 4xx with a reason, and publishes only valid events once", async () => {
  const accepted = new Set<string>();
  let n = 0;
  await fc.assert(
    fc.asyncProperty(notification, mutation, fc.boolean(), async (note, { name, valid, apply }, replay) => {
      const request = apply({ body: JSON.stringify(note), id: `msg_prop_${n++}`, timestamp: Math.floor(Date.now() / 1000) });
      const send = () => postOnec(ingress.origin, request.body, { id: request.id, timestamp: request.timestamp, signature: request.signature });
      const res = await send();
      if (res.status === 202) {
        expect({ mutation: name, accepted: true }).toEqual({ mutation: name, accepted: valid });
        accepted.add(String(res.json.id));
        if (replay) {
          // The same request again (a retry, or a replay inside the window) is the same event: stored once.
          const again = await send();
          expect(again.status).toBe(202);
          expect(again.json).toMatchObject({ id: res.json.id, duplicate: true });
        }
        return;
      }
      expect({ mutation: name, accepted: false }).toEqual({ mutation: name, accepted: valid });
      expect([400, 401, 413]).toContain(res.status);
      expect(typeof res.json.error).toBe("string");
      expect(JSON.stringify(res.json)).not.toContain(TEST_SECRET.slice("whsec_".length));
    }),
    { numRuns: 250 },
  );

  expect((await fetch(`${ingress.origin}/healthz`)).status).toBe(200);
  const stored = await ingress.storedEvents();
  expect(stored.map((m) => m.msgId).sort()).toEqual([...accepted].sort());
  for (const { event, msgId } of stored) {
    expect(event.system).toBe("onec");
    expect(msgId).toBe(changeEventId(event));
  }
}, 90_000);

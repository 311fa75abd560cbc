import fc from "fast-check";
import { Bitrix24EventNames, changeEventId } from "@concord/contracts";
import { bitrix24Fields, postForm, startIngress, TEST_TOKEN, type RunningIngress } from "./testing";

/**
 * Random and mutated form bodies: every answer is a 4xx with a reason or a 202, a 202 is
 * given exactly for the valid ones, and nothing invalid ever reaches the EVENTS stream.
 */

let ingress: RunningIngress;

beforeAll(async () => {
  ingress = await startIngress();
});

afterAll(async () => {
  await ingress?.stop();
});

const eventNames = Object.keys(Bitrix24EventNames);

/** A valid body, as an ordered list of fields. */
const validFields = fc
  .record({
    event: fc.constantFrom(...eventNames).chain((name) => fc.constantFrom(name, name.toLowerCase())),
    id: fc.bigInt({ min: 1n, max: 999_999_999_999_999_999n }).map(String),
    ts: fc.integer({ min: 1_500_000_000, max: 2_000_000_000 }).map(String),
  })
  .map(({ event, id, ts }) => bitrix24Fields({ event, "data[FIELDS][ID]": id, ts }));

const junk = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.string({ unit: "binary", maxLength: 20 }),
  fc.constantFrom("", "[]", "[x]", "%", "%ZZ", "__proto__", "constructor", "0", "-1", "1e3", " 7", "７"),
);

type Mutation = (fields: Record<string, string>) => Record<string, string> | string;

const mutation: fc.Arbitrary<{ name: string; apply: Mutation }> = fc.oneof(
  fc.constant({ name: "none", apply: (f: Record<string, string>) => f }),
  fc.constantFrom(...Object.keys(bitrix24Fields())).map((key) => ({
    name: `drop ${key}`,
    apply: (f: Record<string, string>) => Object.fromEntries(Object.entries(f).filter(([k]) => k !== key)),
  })),
  fc.tuple(fc.constantFrom(...Object.keys(bitrix24Fields())), junk).map(([key, value]) => ({
    name: `set ${key}`,
    apply: (f: Record<string, string>) => ({ ...f, [key]: value }),
  })),
  fc.tuple(junk, junk).map(([key, value]) => ({
    name: "extra field",
    apply: (f: Record<string, string>) => ({ ...f, [key]: value }),
  })),
  fc.tuple(fc.nat(), junk).map(([at, insert]) => ({
    name: "raw splice",
    apply: (f: Record<string, string>) => {
      const raw = new URLSearchParams(f).toString();
      const i = at % (raw.length + 1);
      return raw.slice(0, i) + insert + raw.slice(i);
    },
  })),
  junk.map((raw) => ({ name: "garbage", apply: () => raw })),
);

it("answers every form body with 202 (valid) or a 4xx with a reason, and publishes only valid events", async () => {
  const accepted = new Set<string>();
  await fc.assert(
    fc.asyncProperty(validFields, mutation, async (fields, { name, apply }) => {
      const body = apply(fields);
      const res = await postForm(ingress.origin, body);
      if (name === "none") expect(res.status).toBe(202);
      if (res.status === 202) {
        expect(res.json).toEqual({ accepted: true, id: expect.any(String), duplicate: expect.any(Boolean) });
        accepted.add(String(res.json.id));
        return;
      }
      expect([400, 401, 413]).toContain(res.status);
      expect(typeof res.json.error).toBe("string");
      if (res.status === 400) expect(res.json.reason).toEqual(expect.any(String));
      expect(JSON.stringify(res.json)).not.toContain(TEST_TOKEN);
    }),
    { numRuns: 300 },
  );

  // Everything stored is a valid ChangeEvent whose dedupe id is the one the caller was given.
  const stored = await ingress.storedEvents();
  expect(stored.map((m) => m.msgId).sort()).toEqual([...accepted].sort());
  for (const { event, msgId, subject } of stored) {
    expect(msgId).toBe(changeEventId(event));
    expect(subject).toBe(ingress.subjects.event("bitrix24", event.entity));
  }
}, 60_000);

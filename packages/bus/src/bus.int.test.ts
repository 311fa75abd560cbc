import { createSubjects, permanent, retryable, DeadLetterSchema, ChangeEventSchema, type ChangeEvent } from "@concord/contracts";
import { createLogger } from "@concord/telemetry";
import { testNatsUrl, uniqueNamespace, waitFor } from "@concord/testkit";
import { z } from "zod";
import { connectBus, type Bus } from "./connection";
import { ensureStreams } from "./streams";
import { publishJson } from "./publish";
import { startConsumer } from "./consumer";
import { requestRpc, serveRpc } from "./rpc";

const logger = createLogger("bus-test", "error");
const subjects = createSubjects(uniqueNamespace("bus"));
let bus: Bus;

const event = (id: string): ChangeEvent => ({
  v: 1,
  type: "change",
  system: "bitrix24",
  entity: "deal",
  sourceId: id,
  action: "upsert",
  sourceVersion: "ONCRMDEALUPDATE@1",
  occurredAt: new Date().toISOString(),
  receivedAt: new Date().toISOString(),
  via: "webhook",
});

beforeAll(async () => {
  bus = await connectBus(testNatsUrl(), "bus-test");
  await ensureStreams(bus.jsm, subjects);
  await ensureStreams(bus.jsm, subjects); // idempotent
});

afterAll(async () => {
  for (const name of Object.values(subjects.streams)) await bus.jsm.streams.delete(name).catch(() => undefined);
  await bus.nc.close();
});

async function deadLetters() {
  const info = await bus.jsm.streams.info(subjects.streams.dlq);
  const out: Array<z.infer<typeof DeadLetterSchema>> = [];
  for (let seq = 1; seq <= info.state.last_seq; seq++) {
    const m = await bus.jsm.streams.getMessage(subjects.streams.dlq, { seq });
    if (m) out.push(DeadLetterSchema.parse(m.json()));
  }
  return out;
}

it("stores a message once per dedupe id", async () => {
  const subject = subjects.event("bitrix24", "deal");
  const first = await publishJson(bus.js, subject, event("1"), { msgId: "same-id", schema: "change/1" });
  const again = await publishJson(bus.js, subject, event("1"), { msgId: "same-id", schema: "change/1" });
  expect(first.duplicate).toBe(false);
  expect(again.duplicate).toBe(true);
  expect(again.seq).toBe(first.seq);
});

it("acks handled messages, retries retryable failures, dead-letters permanent and malformed ones", async () => {
  const subject = subjects.event("bitrix24", "company");
  const attempts = new Map<string, number>();
  const handled: string[] = [];
  const consumer = await startConsumer(
    bus,
    subjects,
    {
      stage: "test",
      stream: subjects.streams.events,
      durable: "test-consumer",
      filterSubject: subject,
      schema: ChangeEventSchema,
      ackWaitMs: 5_000,
      policy: { maxDeliver: 3, backoffMs: [50], jitter: 0 },
      concurrency: 4,
      handle: async (message) => {
        const n = (attempts.get(message.sourceId) ?? 0) + 1;
        attempts.set(message.sourceId, n);
        if (message.sourceId === "102" && n < 2) throw retryable("HTTP_503", "try later");
        if (message.sourceId === "103") throw permanent("REJECTED", "target refused: POST https://svc:hunter2@1c.example/odata");
        if (message.sourceId === "104") throw retryable("HTTP_503", "down");
        handled.push(message.sourceId);
      },
    },
    logger,
  );
  for (const id of ["101", "102", "103", "104"]) {
    await publishJson(bus.js, subject, { ...event(id), entity: "company" }, { msgId: `m-${id}`, schema: "change/1" });
  }
  await publishJson(bus.js, subject, { not: "a change event" }, { msgId: "m-bad", schema: "change/1" });

  const letters = await waitFor(async () => {
    const all = await deadLetters();
    return all.length >= 3 ? all : undefined;
  }, { what: "three dead letters" });
  await waitFor(() => handled.includes("102") && handled.includes("101"), { what: "handled messages" });

  expect(attempts.get("102")).toBe(2);
  expect(attempts.get("103")).toBe(1);
  expect(attempts.get("104")).toBe(3);
  const byCode = Object.fromEntries(letters.map((l) => [l.error.code, l]));
  expect(byCode.REJECTED?.attempts).toBe(1);
  expect(byCode.REJECTED?.error.failureClass).toBe("business");
  expect(byCode.REJECTED?.error.message).not.toContain("hunter2");
  expect(byCode.HTTP_503?.attempts).toBe(3);
  expect(byCode.HTTP_503?.error.failureClass).toBe("pipeline");
  expect(byCode.BAD_MESSAGE?.messageId).toBe("m-bad");
  expect(JSON.parse(byCode.REJECTED!.original.data).sourceId).toBe("103");

  await consumer.stop();
  const info = await bus.jsm.consumers.info(subjects.streams.events, "test-consumer");
  expect(info.num_ack_pending).toBe(0);
  expect(info.num_pending).toBe(0);
});

it("answers request/reply with parsed values and typed errors", async () => {
  const subject = `${subjects.namespace}.rpc.test`;
  const sub = serveRpc(bus.nc, subject, z.object({ n: z.number() }), async ({ n }) => {
    if (n < 0) throw permanent("NEGATIVE", "n must be positive");
    return { doubled: n * 2 };
  }, logger);
  const reply = z.object({ doubled: z.number() });
  await expect(requestRpc(bus.nc, subject, { n: 21 }, reply)).resolves.toEqual({ doubled: 42 });
  await expect(requestRpc(bus.nc, subject, { n: -1 }, reply)).rejects.toMatchObject({ kind: "permanent", code: "NEGATIVE" });
  await expect(requestRpc(bus.nc, subject, { n: "x" }, reply)).rejects.toMatchObject({ code: "BAD_REQUEST" });
  sub.unsubscribe();
  await expect(requestRpc(bus.nc, `${subject}.nobody`, { n: 1 }, reply, 500)).rejects.toMatchObject({
    kind: "retryable",
    code: "RPC_UNAVAILABLE",
  });
});

it("hands messages a stopping replica had pulled to the other replica at once, not after AckWait", async () => {
  const subject = subjects.event("bitrix24", "contact");
  const handledBy = new Map<string, string[]>();
  const replica = (name: string) =>
    startConsumer(
      bus,
      subjects,
      {
        stage: "test",
        stream: subjects.streams.events,
        durable: "test-replicas",
        filterSubject: subject,
        schema: ChangeEventSchema,
        ackWaitMs: 60_000, // a stranded message would be invisible for a minute
        policy: { maxDeliver: 5, backoffMs: [50], jitter: 0 },
        concurrency: 3,
        handle: async (message) => {
          await new Promise((r) => setTimeout(r, 200));
          handledBy.set(message.sourceId, [...(handledBy.get(message.sourceId) ?? []), name]);
        },
      },
      logger,
    );
  const [a, b] = await Promise.all([replica("a"), replica("b")]);
  const ids = Array.from({ length: 30 }, (_, i) => `${i + 1}`);
  for (const id of ids) await publishJson(bus.js, subject, { ...event(id), entity: "contact" }, { msgId: `rep-${id}`, schema: "change/1" });
  await waitFor(() => handledBy.size >= 3, { what: "the first messages" });
  await a.stop();

  await waitFor(() => ids.every((id) => handledBy.has(id)), { timeoutMs: 20_000, what: "every message handled" });
  await b.stop();
  expect([...handledBy.values()].filter((names) => names.length > 1)).toEqual([]);
  expect(new Set([...handledBy.values()].flat())).toEqual(new Set(["a", "b"]));
  const info = await bus.jsm.consumers.info(subjects.streams.events, "test-replicas");
  expect(info.num_ack_pending).toBe(0);
}, 40_000);

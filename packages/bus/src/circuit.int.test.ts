import { ChangeEventSchema, permanent, retryable, type ChangeEvent } from "@concord/contracts";
import { createLogger } from "@concord/telemetry";
import { waitFor } from "@concord/testkit";
import type { Bus } from "./connection";
import { publishJson } from "./publish";
import { startConsumer } from "./consumer";
import { createCircuit } from "./circuit";
import type { StateStore } from "./state-store";
import { testEvent, useTestBus } from "./test-fixtures";

const logger = createLogger("circuit-test", "error");
const { subjects, bus: testBus, state: testState } = useTestBus("circuit");
let bus: Bus;
let state: StateStore;
const event = (id: string): ChangeEvent => testEvent(id);
beforeAll(() => {
  bus = testBus();
  state = testState();
});

const settings = { windowMs: 5_000, distinctRecords: 3, probeMinMs: 300, probeMaxMs: 600 };
const url = "http://1c.example:8080/base/odata/standard.odata/";

it("is shared by replicas: one opens it, the other refuses calls; only one probe goes out, and it closes it for both", async () => {
  const a = createCircuit({ state, target: "onec", url, owner: "a", logger, settings, refreshMs: 0 });
  const b = createCircuit({ state, target: "onec", url, owner: "b", logger, settings, refreshMs: 0 });
  await a.recordFailure(retryable("ONEC_NETWORK", "refused"), "order:1");
  await b.recordFailure(retryable("ONEC_NETWORK", "refused"), "order:2");
  await expect(a.admit()).resolves.toBeUndefined(); // two distinct records: still closed
  await b.recordFailure(retryable("ONEC_LOCKED", "locked"), "order:9"); // record scope: ignored
  await b.recordFailure(retryable("ONEC_HTTP_503", "unavailable"), "order:3");
  expect(b.view()).toMatchObject({ status: "open", lastCode: "ONEC_HTTP_503" });
  await expect(a.admit()).rejects.toMatchObject({ code: "CIRCUIT_OPEN" });
  await new Promise((r) => setTimeout(r, 350));
  const admitted = await Promise.allSettled([a.admit(), b.admit()]);
  expect(admitted.filter((r) => r.status === "fulfilled")).toHaveLength(1);
  const prober = admitted[0]!.status === "fulfilled" ? a : b;
  await prober.recordSuccess();
  await expect(a.admit()).resolves.toBeUndefined();
  await expect(b.admit()).resolves.toBeUndefined();
  expect((await a.current()).status).toBe("closed");
});

it("a consumer behind an open circuit pulls nothing, dead-letters nothing, and resumes by itself", async () => {
  const subject = subjects.event("bitrix24", "deal");
  let targetUp = false;
  let calls = 0;
  const handled = new Set<string>();
  const storedAt = new Map<number, string>();
  const circuit = createCircuit({ state, target: "onec", url: "http://other-base.example/", owner: "c", logger, settings });
  const consumer = await startConsumer(
    bus,
    subjects,
    {
      stage: "test",
      stream: subjects.streams.events,
      durable: "circuit-consumer",
      filterSubject: subject,
      schema: ChangeEventSchema,
      ackWaitMs: 10_000,
      policy: { maxDeliver: 2, backoffMs: [50], jitter: 0, budgetMs: 60_000, pauseMaxMs: 500 },
      concurrency: 4,
      circuit,
      retryState: state,
      handle: async (message, context) => {
        storedAt.set(context.streamSeq, context.storedAt);
        await circuit.admit();
        calls++;
        if (!targetUp) throw retryable("ONEC_NETWORK", "connection refused");
        if (message.sourceId === "999") throw permanent("ONEC_REJECTED", "refused the order");
        handled.add(message.sourceId);
      },
      outcomes: { stage: "onec-writer", describe: (m) => ({ messageId: m.sourceVersion, subject: { system: "bitrix24", entity: "deal", id: m.sourceId }, target: null }) },
    },
    logger,
  );
  const ids = Array.from({ length: 12 }, (_, i) => `${i + 1}`);
  for (const id of [...ids, "999"]) await publishJson(bus.js, subject, event(id), { msgId: `c-${id}`, schema: "change/1" });
  await waitFor(async () => (await circuit.current()).status === "open", { what: "the circuit to open" });
  const callsWhenOpen = calls;
  await new Promise((r) => setTimeout(r, 2_000));
  // While open: only probes (one message each, at ≥ 300 ms intervals) reached the target.
  expect(calls - callsWhenOpen).toBeLessThanOrEqual(8);
  targetUp = true;
  await waitFor(() => ids.every((id) => handled.has(id)), { timeoutMs: 20_000, what: "every message applied after recovery" });
  await waitFor(async () => (await bus.jsm.streams.info(subjects.streams.dlq)).state.messages === 1, { what: "only the poisoned record dead-lettered" });
  expect((await circuit.current()).status).toBe("closed");
  // Every replica sees the same observation time: the server's, not its own clock.
  const [seq, seen] = [...storedAt.entries()][0]!;
  expect(seen).toBe((await bus.jsm.streams.getMessage(subjects.streams.events, { seq }))?.time.toISOString());
  await consumer.stop();
  const info = await bus.jsm.consumers.info(subjects.streams.events, "circuit-consumer");
  expect(info.config.max_deliver).toBe(-1);
  expect(info.num_ack_pending).toBe(0);
}, 40_000);

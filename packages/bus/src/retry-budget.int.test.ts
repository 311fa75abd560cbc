import { ChangeEventSchema, retryable, type ChangeEvent } from "@concord/contracts";
import { createLogger } from "@concord/telemetry";
import { waitFor } from "@concord/testkit";
import type { Bus } from "./connection";
import { publishJson } from "./publish";
import { startConsumer } from "./consumer";
import type { StateStore } from "./state-store";
import { testEvent, useTestBus } from "./test-fixtures";

const logger = createLogger("budget-test", "error");
const { subjects, bus: testBus, state: testState } = useTestBus("budget");
let bus: Bus;
let state: StateStore;
const event = (id: string): ChangeEvent => testEvent(id);
beforeAll(() => {
  bus = testBus();
  state = testState();
});

it("counts only a record's own failures, in the shared store, forgets them on success, and dead-letters when the time budget is spent", async () => {
  const subject = subjects.event("bitrix24", "deal");
  const attempts = new Map<string, number>();
  const seenCounts: number[] = [];
  const consumer = await startConsumer(
    bus,
    subjects,
    {
      stage: "test",
      stream: subjects.streams.events,
      durable: "budget-consumer",
      filterSubject: subject,
      schema: ChangeEventSchema,
      ackWaitMs: 10_000,
      policy: { maxDeliver: 3, backoffMs: [50], jitter: 0, budgetMs: 1_000, pauseMaxMs: 200 },
      concurrency: 2,
      retryState: state,
      handle: async (message, context) => {
        const n = (attempts.get(message.sourceId) ?? 0) + 1;
        attempts.set(message.sourceId, n);
        if (message.sourceId === "1") {
          if (n === 1) throw retryable("RPC_UNAVAILABLE", "mapping away"); // pipeline: not counted
          if (n <= 3) throw retryable("ONEC_LOCKED", "locked");
          const kept = await state.getJson<{ failures: number }>(`retry.${subjects.streams.events}.budget-consumer.${context.streamSeq}`);
          seenCounts.push(kept?.value.failures ?? 0);
          return;
        }
        throw retryable("ONEC_LOCKED", "locked for good");
      },
    },
    logger,
  );
  await publishJson(bus.js, subject, event("1"), { msgId: "b-1", schema: "change/1" });
  await publishJson(bus.js, subject, event("2"), { msgId: "b-2", schema: "change/1" });
  await waitFor(() => attempts.get("1") === 4, { what: "record 1 to succeed" });
  // Two record failures were counted (the pipeline failure was not), and success forgets them.
  expect(seenCounts).toEqual([2]);
  await waitFor(async () => ((await state.getJson(`retry.${subjects.streams.events}.budget-consumer.1`)) === null ? true : undefined), { what: "record 1's failures forgotten" });
  const info = await waitFor(async () => {
    const dlq = await bus.jsm.streams.info(subjects.streams.dlq);
    return dlq.state.messages === 1 ? dlq : undefined;
  }, { timeoutMs: 20_000, what: "record 2 dead-lettered once its budget is spent" });
  expect(info.state.messages).toBe(1);
  // At least maxDeliver failures and at least the budget's time.
  expect(attempts.get("2")).toBeGreaterThanOrEqual(3);
  await consumer.stop();
}, 40_000);

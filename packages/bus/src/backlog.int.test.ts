import { AckPolicy, DeliverPolicy } from "@nats-io/jetstream";
import { createSubjects } from "@concord/contracts";
import { testNatsUrl, uniqueNamespace } from "@concord/testkit";
import { connectBus, type Bus } from "./connection";
import { ensureStreams } from "./streams";
import { readBacklog } from "./consumer";

const subjects = createSubjects(uniqueNamespace("backlog"));
let bus: Bus;

beforeAll(async () => {
  bus = await connectBus(testNatsUrl(), "backlog-test");
  await ensureStreams(bus.jsm, subjects);
});

afterAll(async () => {
  for (const name of Object.values(subjects.streams)) await bus.jsm.streams.delete(name).catch(() => undefined);
  await bus.nc.close();
});

it("reads a filtered consumer's backlog and the age of its oldest waiting message from JetStream", async () => {
  const stream = subjects.streams.commands;
  const mine = `${subjects.namespace}.commands.onec.order`;
  const other = `${subjects.namespace}.commands.bitrix24.deal`;
  await bus.jsm.consumers.add(stream, { durable_name: "backlog", ack_policy: AckPolicy.Explicit, deliver_policy: DeliverPolicy.All, filter_subject: `${subjects.namespace}.commands.onec.>` });
  expect(await readBacklog(bus, stream, "backlog", `${subjects.namespace}.commands.onec.>`)).toEqual({ pending: 0, ackPending: 0, oldestAgeMs: 0 });

  // Another consumer's message first: older, but not this consumer's to wait for.
  await bus.js.publish(other, "{}");
  await new Promise((r) => setTimeout(r, 300));
  const firstAt = Date.now();
  await bus.js.publish(mine, "{}");
  await bus.js.publish(mine, "{}");
  const now = firstAt + 1_000;
  const waiting = await readBacklog(bus, stream, "backlog", `${subjects.namespace}.commands.onec.>`, now);
  expect(waiting.pending).toBe(2);
  expect(waiting.ackPending).toBe(0);
  // The first filtered message's stored time: about a second before `now`, not the other subject's.
  expect(waiting.oldestAgeMs).toBeGreaterThan(900);
  expect(waiting.oldestAgeMs).toBeLessThan(1_200);

  // One delivered and acknowledged, one delivered and still in hand: the ack floor moved past the first.
  const consumer = await bus.js.consumers.get(stream, "backlog");
  const batch = await consumer.fetch({ max_messages: 2, expires: 2_000 });
  const got = [];
  for await (const msg of batch) got.push(msg);
  await got[0]?.ackAck();
  const inHand = await readBacklog(bus, stream, "backlog", `${subjects.namespace}.commands.onec.>`, now);
  expect(inHand).toMatchObject({ pending: 0, ackPending: 1 });
  expect(inHand.oldestAgeMs).toBeGreaterThan(0);
  expect(inHand.oldestAgeMs).toBeLessThanOrEqual(waiting.oldestAgeMs);
  await got[1]?.ackAck();
  expect(await readBacklog(bus, stream, "backlog", `${subjects.namespace}.commands.onec.>`)).toEqual({ pending: 0, ackPending: 0, oldestAgeMs: 0 });
});

import { createSubjects, type ChangeEvent, type Subjects } from "@concord/contracts";
import { testNatsUrl, uniqueNamespace } from "@concord/testkit";
import { connectBus, type Bus } from "./connection";
import { ensureStreams } from "./streams";
import { openStateStore, type StateStore } from "./state-store";

/** A deal change event for the bus's own tests. */
export function testEvent(id: string, sourceVersion = `v-${id}`): ChangeEvent {
  const now = new Date().toISOString();
  return { v: 1, type: "change", system: "bitrix24", entity: "deal", sourceId: id, action: "upsert", sourceVersion, occurredAt: now, receivedAt: now, via: "webhook" };
}

/**
 * A namespace of its own on the test NATS, with the streams and the state store, set up before
 * the file's tests and removed after them (so test files run in parallel).
 */
export function useTestBus(name: string): { subjects: Subjects; bus: () => Bus; state: () => StateStore } {
  const subjects = createSubjects(uniqueNamespace(name));
  let bus: Bus | undefined;
  let state: StateStore | undefined;
  beforeAll(async () => {
    bus = await connectBus(testNatsUrl(), `${name}-test`);
    await ensureStreams(bus.jsm, subjects);
    state = await openStateStore(bus, subjects);
  });
  afterAll(async () => {
    if (!bus) return;
    for (const stream of Object.values(subjects.streams)) await bus.jsm.streams.delete(stream).catch(() => undefined);
    await bus.jsm.streams.delete(`KV_${subjects.stateBucket}`).catch(() => undefined);
    await bus.jsm.streams.delete(`KV_${subjects.sessionsBucket}`).catch(() => undefined);
    await bus.nc.close();
  });
  const ready = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error("the test bus is not set up yet (use it inside a test)");
    return value;
  };
  return { subjects, bus: () => ready(bus), state: () => ready(state) };
}

/**
 * Fresh state stores on the test NATS — each call its own KV bucket, so tests of one file do not
 * share keys — removed after the file's tests.
 */
export function useTestStateStores(name: string): () => Promise<StateStore> {
  let bus: Bus | undefined;
  const buckets: string[] = [];
  beforeAll(async () => {
    bus = await connectBus(testNatsUrl(), `${name}-state-test`);
  });
  afterAll(async () => {
    if (!bus) return;
    for (const bucket of buckets) await bus.jsm.streams.delete(`KV_${bucket}`).catch(() => undefined);
    await bus.nc.close();
  });
  return async () => {
    if (!bus) throw new Error("the test bus is not set up yet (use it inside a test)");
    const subjects = createSubjects(uniqueNamespace(name));
    buckets.push(subjects.stateBucket);
    return openStateStore(bus, subjects);
  };
}

import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { connectBus, openStateStore } from "@concord/bus";
import { createSubjects } from "@concord/contracts";
import { defaultPolicyPath, loadPolicy } from "@concord/policy";
import { testNatsUrl, uniqueNamespace } from "@concord/testkit";
import { entitiesOfFlows, missingBackfills } from "./backfill-gate";

const namespace = uniqueNamespace("gate");
const policy = loadPolicy(defaultPolicyPath);

afterAll(async () => {
  const bus = await connectBus(testNatsUrl(), "gate-test-cleanup");
  for (const name of await bus.jsm.streams.names().next()) if (name.toLowerCase().includes(namespace)) await bus.jsm.streams.delete(name).catch(() => false);
  await bus.nc.close();
});

it("an order flow needs all three entities backfilled or skipped; what `concord backfill` records opens them", async () => {
  expect(entitiesOfFlows(policy).sort()).toEqual(["customers", "orders", "products"]);
  expect((await missingBackfills(testNatsUrl(), namespace, policy)).sort()).toEqual(["customers", "orders", "products"]);
  const bus = await connectBus(testNatsUrl(), "gate-test");
  const state = await openStateStore(bus, createSubjects(namespace));
  await state.putJson("backfill.customers", { status: "applied", at: new Date().toISOString(), by: "test", runId: 1, reason: null });
  await state.putJson("backfill.products", { status: "skipped", at: new Date().toISOString(), by: "test", runId: null, reason: "catalogue starts empty" });
  await state.putJson("backfill.orders", { status: "reading" });
  await bus.nc.close();
  expect(await missingBackfills(testNatsUrl(), namespace, policy)).toEqual(["orders"]);
});

it("the resolver refuses to start under RESOLVER_REQUIRE_BACKFILL while an entity waits, naming it and the command", () => {
  const run = spawnSync(process.execPath, ["--import", "tsx", "src/main.ts"], {
    cwd: join(__dirname, ".."),
    env: { ...process.env, NATS_URL: testNatsUrl(), CONCORD_NAMESPACE: namespace, RESOLVER_HEALTH_PORT: "0", RESOLVER_REQUIRE_BACKFILL: "true" },
    encoding: "utf8",
    timeout: 60_000,
  });
  expect(run.status).toBe(1);
  expect(run.stdout).toContain("the flows of orders may not start: no backfill applied or skipped (concord backfill --entity orders --apply");
});

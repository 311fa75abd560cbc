import type { DryRunMark } from "@concord/contracts";
import { createFlowModes } from "./flow-modes";
import { useTestStateStores } from "./test-fixtures";

// The real state KV (NATS), a bucket per test.
const freshState = useTestStateStores("flowmodes");

let clock = Date.parse("2026-12-01T08:00:00.000Z");
const now = () => clock;

describe("flow modes", () => {
  it("follow the policy file until a person switches a flow, whose setting then stands", async () => {
    const state = await freshState();
    const resolver = createFlowModes(state, { policyDryRun: ["customers"], now });
    await resolver.adoptPolicy();
    expect((await resolver.all()).map((v) => [v.flow, v.mode, v.record?.source])).toEqual([
      ["orders.crmToOnec", "live", "policy"],
      ["orders.onecToCrm", "live", "policy"],
      ["customers", "dry-run", "policy"],
      ["products", "live", "policy"],
    ]);
    clock += 60_000;
    const consoleModes = createFlowModes(state, { now });
    const { record, changed } = await consoleModes.set("customers", "live", "alice");
    expect(changed).toBe(true);
    expect(record).toMatchObject({ mode: "live", by: "alice", source: "console", previous: { mode: "dry-run", since: "2026-12-01T08:00:00.000Z" } });
    expect((await consoleModes.set("customers", "live", "bob")).changed).toBe(false);

    // A restart with the same file leaves the person's setting alone; a changed file moves policy-set flows.
    await createFlowModes(state, { policyDryRun: ["customers", "products"], now }).adoptPolicy();
    const after = createFlowModes(state, { now });
    expect((await after.modeOf("customers", true)).mode).toBe("live");
    expect((await after.modeOf("products", true)).mode).toBe("dry-run");
  });

  it("are cached for a second, and read fresh on request", async () => {
    const state = await freshState();
    const reader = createFlowModes(state, { policyDryRun: ["products"], now });
    expect((await reader.modeOf("products")).mode).toBe("dry-run");
    await createFlowModes(state, { now }).set("products", "live", "alice");
    expect((await reader.modeOf("products")).mode).toBe("dry-run");
    expect((await reader.modeOf("products", true)).mode).toBe("live");
    clock += 1_001;
    expect((await reader.modeOf("products")).mode).toBe("live");
  });

  it("tell a writer whether its dry-run command was decided before a switch to live", async () => {
    const state = await freshState();
    const modes = createFlowModes(state, { now });
    const mark: DryRunMark = { flow: "orders.crmToOnec", decidedAt: new Date(clock).toISOString(), origin: { system: "bitrix24", entity: "deal", id: "7" }, action: "upsert" };
    await modes.set("orders.crmToOnec", "dry-run", "alice");
    expect(await modes.switchedLiveSince(mark)).toBeNull();
    clock += 5_000;
    await modes.set("orders.crmToOnec", "live", "alice");
    expect(await modes.switchedLiveSince(mark)).toMatchObject({ mode: "live", since: new Date(clock).toISOString() });
    expect(await modes.switchedLiveSince({ ...mark, decidedAt: new Date(clock + 1).toISOString() })).toBeNull();
  });
});

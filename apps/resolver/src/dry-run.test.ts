import type { FlowModes, FlowModeView } from "@concord/bus";
import { isSyncError, type FlowName } from "@concord/contracts";
import { allLive, readDecisionModes } from "./dry-run";

/** Modes whose cached view and fresh read can differ (a switch seen by the fresh read only). */
function fakeModes(cached: Partial<Record<FlowName, "dry-run">>, fresh: Partial<Record<FlowName, "dry-run">> = cached): FlowModes {
  const view = (flow: FlowName, mode: "live" | "dry-run"): FlowModeView => ({ flow, mode, since: null, record: null });
  return { modeOf: (flow: FlowName, isFresh = false) => Promise.resolve(view(flow, ((isFresh ? fresh : cached)[flow] ?? "live") as "live" | "dry-run")) } as unknown as FlowModes;
}

const deal = { system: "bitrix24" as const, entity: "deal" as const, id: "42" };
const at = Date.parse("2026-12-01T08:00:00.000Z");

describe("a decision's modes", () => {
  it("are all live without a mode store, or when no flow of the decision is in dry-run", async () => {
    expect(await readDecisionModes(undefined, ["orders.crmToOnec"], deal, "upsert")).toBe(allLive);
    expect(await readDecisionModes(fakeModes({ customers: "dry-run" }), ["orders.crmToOnec", "orders.onecToCrm"], deal, "upsert")).toBe(allLive);
  });

  it("mark the commands of a flow in dry-run with the decision's origin, and leave the live flow's unmarked", async () => {
    let clock = at;
    const modes = await readDecisionModes(fakeModes({ "orders.crmToOnec": "dry-run" }), ["orders.crmToOnec", "orders.onecToCrm"], deal, "delete", () => clock);
    expect(modes.anyDryRun).toBe(true);
    clock += 3_000;
    await modes.confirm();
    expect(modes.field("orders.crmToOnec")).toEqual({ dryRun: { flow: "orders.crmToOnec", decidedAt: "2026-12-01T08:00:03.000Z", origin: deal, action: "delete" } });
    expect(modes.field("orders.onecToCrm")).toEqual({});
  });

  it("are decided again, live, when the flow was switched live while the decision was made", async () => {
    const modes = await readDecisionModes(fakeModes({ "orders.crmToOnec": "dry-run" }, {}), ["orders.crmToOnec"], deal, "upsert");
    const error = await modes.confirm().then(() => null, (e: unknown) => e);
    expect(isSyncError(error) && error.code === "FLOW_SWITCHED_LIVE" && error.kind === "retryable").toBe(true);
  });
});

import { retryable, type DryRunMark, type FlowName, type RecordRef } from "@concord/contracts";
import type { FlowModes } from "@concord/bus";

/**
 * The modes of the flows one decision may write in, read once when it starts (cached for
 * FLOW_MODE_CACHE_MS). A decision in dry-run claims nothing, records no sync state and no
 * conflict, and marks its commands so the writers only report what they would write.
 */
export interface DecisionModes {
  isDryRun(flow: FlowName): boolean;
  /** Whether any of the decision's flows is in dry-run. */
  readonly anyDryRun: boolean;
  /**
   * Right before a dry-run decision is published or reported: the modes are read again,
   * uncached, and a flow switched live since is not decided in dry-run after all — the event is
   * retried at once and decided live. Sets the time the marks carry.
   */
  confirm(): Promise<void>;
  /** The mark for a command of this flow (undefined when the flow is live). */
  mark(flow: FlowName): DryRunMark | undefined;
  /** `{ dryRun }` to spread into a command of this flow, or nothing. */
  field(flow: FlowName): { dryRun?: DryRunMark };
}

/** Every flow live: the modes of code paths (and tests) without a mode store. */
export const allLive: DecisionModes = {
  isDryRun: () => false,
  anyDryRun: false,
  confirm: async () => undefined,
  mark: () => undefined,
  field: () => ({}),
};

export async function readDecisionModes(modes: FlowModes | undefined, flows: readonly FlowName[], origin: RecordRef, action: "upsert" | "delete", now: () => number = Date.now): Promise<DecisionModes> {
  if (!modes) return allLive;
  const dry = new Set<FlowName>();
  for (const flow of flows) if ((await modes.modeOf(flow)).mode === "dry-run") dry.add(flow);
  if (dry.size === 0) return allLive;
  let decidedAt = new Date(now()).toISOString();
  const mark = (flow: FlowName): DryRunMark | undefined => (dry.has(flow) ? { flow, decidedAt, origin, action } : undefined);
  return {
    isDryRun: (flow) => dry.has(flow),
    anyDryRun: true,
    async confirm() {
      decidedAt = new Date(now()).toISOString();
      for (const flow of dry) {
        const current = await modes.modeOf(flow, true);
        if (current.mode === "live") throw retryable("FLOW_SWITCHED_LIVE", `flow ${flow} was switched live during a dry-run decision: decided again, live`, { retryAfterMs: 100 });
      }
    },
    mark,
    field: (flow) => {
      const m = mark(flow);
      return m ? { dryRun: m } : {};
    },
  };
}

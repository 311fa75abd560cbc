import { z } from "zod";
import type { JetStreamClient, JetStreamManager } from "@nats-io/jetstream";
import { FLOW_MODE_CACHE_MS, publishReplay, type ExchangeClient, type FlowModes } from "@concord/bus";
import { FlowModeSchema, FlowNameSchema, InstantSchema, actionOfChangeId, flowOrigins, type FlowModeRecord, type FlowName, type Subjects } from "@concord/contracts";
import type { AuditTrail } from "./audit";
import type { Caller } from "./auth";

/** `PUT /api/flows/:flow`: the mode to switch to, and why (recorded in the audit trail). */
export const FlowModeBodySchema = z.strictObject({
  mode: FlowModeSchema,
  reason: z.string().max(500).optional(),
});

/** `GET /api/flows/:flow/dry-run?since=&limit=`: the would-be writes, newest first. */
export const WouldBeQuerySchema = z.strictObject({
  since: InstantSchema.optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

export type FlowModeBody = z.infer<typeof FlowModeBodySchema>;

export const parseFlowName = (value: unknown) => FlowNameSchema.safeParse(value);

export interface ReplayReport {
  /** Records decided in dry-run since the flow entered it, announced again as changed. */
  records: number;
  /** Of those, already announced for this switch (a writer re-decided an in-flight command first). */
  duplicates: number;
  /** Whether the exchange log had recorded every outcome reported before the switch (else waited out `exchangeLogWaitMs`). */
  exchangeLogCaughtUp: boolean;
}

export interface FlowOperationsDeps {
  modes: FlowModes;
  exchange: ExchangeClient;
  js: JetStreamClient;
  jsm: Pick<JetStreamManager, "streams" | "consumers">;
  subjects: Subjects;
  /** Longest wait for mapping to record the outcomes reported before a switch. */
  exchangeLogWaitMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

const wait = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Flows: their modes, the switch, and what a flow in dry-run would have written. Switching a
 * flow from dry-run to live decides again, live, every record decided in dry-run since it
 * entered dry-run, from its current state: every write the dry-run showed that is still due
 * is made, and one that became obsolete meanwhile is not.
 */
export function createFlowOperations(deps: FlowOperationsDeps) {
  const sleep = deps.sleep ?? wait;

  /** Until mapping has recorded every outcome already in OUTCOMES (its `exchange-log` consumer's ack floor). */
  async function waitForExchangeLog(): Promise<boolean> {
    const stream = deps.subjects.streams.outcomes;
    const last = (await deps.jsm.streams.info(stream)).state.last_seq;
    const deadline = Date.now() + (deps.exchangeLogWaitMs ?? 30_000);
    for (;;) {
      const info = await deps.jsm.consumers.info(stream, "exchange-log").catch(() => null);
      if (info && info.ack_floor.stream_seq >= last) return true;
      if (Date.now() >= deadline) return false;
      await sleep(200);
    }
  }

  /**
   * Announces again every record a resolver decided in dry-run since `from`. First every
   * replica's cached mode runs out (a decision started after this sees live; one under way
   * re-reads the mode before it publishes, and a writer holding a dry-run command re-decides it
   * itself), then the exchange log catches up with the outcomes already reported.
   */
  async function replay(flow: FlowName, from: string, switched: FlowModeRecord): Promise<ReplayReport> {
    await sleep(FLOW_MODE_CACHE_MS + 500);
    const exchangeLogCaughtUp = await waitForExchangeLog();
    const { entries } = await deps.exchange.list({ result: "dry-run", stages: ["resolver"], subjects: [...flowOrigins[flow]], since: from, distinctRecords: true, limit: 10_000 });
    let duplicates = 0;
    for (const entry of entries) {
      const ack = await publishReplay(deps.js, deps.subjects, entry.subject, actionOfChangeId(entry.messageId), switched.since);
      if (ack.duplicate) duplicates++;
    }
    return { records: entries.length, duplicates, exchangeLogCaughtUp };
  }

  return {
    list: () => deps.modes.all(),

    /** Sets a flow's mode; from dry-run to live, what the dry-run showed is decided again, live. */
    async switchMode(flow: FlowName, mode: z.infer<typeof FlowModeSchema>, by: string): Promise<{ flow: FlowName; mode: string; since: string; changed: boolean; replay: ReplayReport | null }> {
      const before = await deps.modes.modeOf(flow, true);
      const { record, changed } = await deps.modes.set(flow, mode, by);
      // Dry since when: the record's own start, or the start of the policy's dry-run the resolvers recorded.
      const dryFrom = before.mode === "dry-run" ? (before.since ?? record.previous?.since ?? null) : null;
      const replayed = changed && mode === "live" && dryFrom ? await replay(flow, dryFrom, record) : null;
      return { flow, mode: record.mode, since: record.since, changed, replay: replayed };
    },

    /** What the writers would have written in this flow's dry-runs (the exchange log's `dry-run` outcomes), newest first. */
    async wouldBeWrites(flow: FlowName, query: z.infer<typeof WouldBeQuerySchema>) {
      const { entries } = await deps.exchange.list({ result: "dry-run", stages: ["resolver", "onec-writer", "crm-writer"], detailPrefix: `dry-run (${flow}):`, ...(query.since ? { since: query.since } : {}), limit: query.limit });
      return { flow, writes: entries };
    },
  };
}
export type FlowOperations = ReturnType<typeof createFlowOperations>;

/**
 * A person's switch of a flow (admin), recorded in the audit trail the same way whichever door
 * it came through: `PUT /api/flows/:flow` and the web console's Flows page both call this.
 */
export function switchFlowAudited(flows: FlowOperations, audit: AuditTrail, caller: Caller, flow: FlowName, body: FlowModeBody) {
  return audit.act(caller, "flow.change", { kind: "flow", id: flow }, async () => {
    const r = await flows.switchMode(flow, body.mode, caller.name);
    const replay = r.replay ? `; decided again, live: ${r.replay.records} record(s)${r.replay.exchangeLogCaughtUp ? "" : " (the exchange log was still catching up)"}` : "";
    return { value: r, detail: `${r.changed ? `set to ${r.mode}` : `already ${r.mode}`} since ${r.since}${replay}${body.reason ? `; reason: ${body.reason}` : ""}` };
  });
}

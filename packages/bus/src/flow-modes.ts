import type { NatsConnection } from "@nats-io/nats-core";
import type { JetStreamClient, PubAck } from "@nats-io/jetstream";
import {
  ExchangeListReplySchema,
  FLOW_NAMES,
  FlowModeRecordSchema,
  SchemaVersions,
  changeEventId,
  flowModeKey,
  replayChangeEvent,
  type DryRunMark,
  type ExchangeListRequest,
  type FlowMode,
  type FlowModeRecord,
  type FlowName,
  type RecordRef,
  type Subjects,
} from "@concord/contracts";
import type { StateStore } from "./state-store";
import { publishJsonWithHeaders } from "./dead-letter-ops";
import { requestRpc } from "./rpc";

/**
 * How long a replica may act on a mode it read: a switch reaches every resolver decision
 * started this long after it. A resolver re-reads the mode (uncached) before it publishes a
 * dry-run decision, and a writer before it reports one, so a switch to live never leaves a
 * dry-run decision undecided.
 */
export const FLOW_MODE_CACHE_MS = 1_000;

export interface FlowModeView {
  flow: FlowName;
  mode: FlowMode;
  /** When the flow entered this mode; null while no replica has recorded one (policy default). */
  since: string | null;
  record: FlowModeRecord | null;
}

/**
 * Every flow's mode, shared by every replica of every service through the state KV (key
 * `flow.<flow>`). The policy file gives the mode of a flow no person has switched; a person's
 * switch (console API, `concord flows set`) stands over it until switched again.
 */
export function createFlowModes(state: StateStore, options: { policyDryRun?: readonly FlowName[]; cacheMs?: number; now?: () => number } = {}) {
  const cacheMs = options.cacheMs ?? FLOW_MODE_CACHE_MS;
  const now = options.now ?? Date.now;
  const policyMode = (flow: FlowName): FlowMode => (options.policyDryRun?.includes(flow) ? "dry-run" : "live");
  const cache = new Map<FlowName, { view: FlowModeView; readAt: number }>();

  async function read(flow: FlowName): Promise<{ record: FlowModeRecord; revision: number } | null> {
    const entry = await state.getJson<unknown>(flowModeKey(flow));
    if (!entry) return null;
    const parsed = FlowModeRecordSchema.safeParse(entry.value);
    // A record this build cannot read is treated as absent: the policy decides, and the next switch overwrites it.
    return parsed.success ? { record: parsed.data, revision: entry.revision } : null;
  }

  async function view(flow: FlowName, fresh = false): Promise<FlowModeView> {
    const cached = cache.get(flow);
    if (!fresh && cached && now() - cached.readAt < cacheMs) return cached.view;
    const found = await read(flow);
    const result: FlowModeView = found ? { flow, mode: found.record.mode, since: found.record.since, record: found.record } : { flow, mode: policyMode(flow), since: null, record: null };
    cache.set(flow, { view: result, readAt: now() });
    return result;
  }

  /**
   * At a resolver's start: a flow no person has switched follows the policy file. Its record is
   * written when the file's mode differs from the recorded one (so `since` tells when the flow
   * entered dry-run); a person's setting is left as it is.
   */
  async function adoptPolicy(): Promise<void> {
    for (const flow of FLOW_NAMES) {
      for (let attempt = 0; attempt < 5; attempt++) {
        const found = await read(flow);
        if (found && (found.record.source === "console" || found.record.mode === policyMode(flow))) break;
        const at = new Date(now()).toISOString();
        const record: FlowModeRecord = { flow, mode: policyMode(flow), since: at, by: "policy", source: "policy", previous: found ? { mode: found.record.mode, since: found.record.since } : null };
        if (await state.compareAndSet(flowModeKey(flow), record, found?.revision ?? null)) break;
      }
    }
  }

  /** A person's switch. Unchanged when the flow is already in that mode. */
  async function set(flow: FlowName, mode: FlowMode, by: string): Promise<{ record: FlowModeRecord; changed: boolean }> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const found = await read(flow);
      const current = found?.record ?? null;
      if ((current?.mode ?? policyMode(flow)) === mode && current) return { record: current, changed: false };
      const record: FlowModeRecord = {
        flow,
        mode,
        since: new Date(now()).toISOString(),
        by,
        source: "console",
        previous: current ? { mode: current.mode, since: current.since } : null,
      };
      if (await state.compareAndSet(flowModeKey(flow), record, found?.revision ?? null)) {
        cache.set(flow, { view: { flow, mode, since: record.since, record }, readAt: now() });
        return { record, changed: true };
      }
    }
    throw new Error(`flow ${flow}: the mode changed under five attempts to set it; try again`);
  }

  /** The switch to live made after this dry-run decision, if any (read fresh). */
  async function switchedLiveSince(mark: DryRunMark): Promise<FlowModeRecord | null> {
    const found = await read(mark.flow);
    if (!found || found.record.mode !== "live") return null;
    return Date.parse(found.record.since) > Date.parse(mark.decidedAt) ? found.record : null;
  }

  return {
    /** The flow's mode, cached for `cacheMs` (fresh: read now). */
    modeOf: (flow: FlowName, fresh = false) => view(flow, fresh),
    all: () => Promise.all(FLOW_NAMES.map((flow) => view(flow, true))),
    read,
    adoptPolicy,
    set,
    switchedLiveSince,
  };
}
export type FlowModes = ReturnType<typeof createFlowModes>;

/**
 * "Decide this record again, live" after a switch: a change event whose dedupe id is fixed by
 * the switch, so however many replicas and commands ask for it, it is stored once per switch.
 */
export async function publishReplay(js: JetStreamClient, subjects: Subjects, ref: RecordRef, action: "upsert" | "delete", switchedAt: string): Promise<PubAck> {
  const event = replayChangeEvent(ref, action, switchedAt);
  return publishJsonWithHeaders(js, subjects.event(ref.system, ref.entity), event, { msgId: changeEventId(event), schema: SchemaVersions.change });
}

/** Typed client of mapping's `exchange.list` (mapping owns the exchange log). */
export function createExchangeClient(nc: NatsConnection, subjects: Subjects, timeoutMs = 10_000) {
  return { list: (request: ExchangeListRequest) => requestRpc(nc, subjects.rpc.exchangeList, request, ExchangeListReplySchema, timeoutMs) };
}
export type ExchangeClient = ReturnType<typeof createExchangeClient>;

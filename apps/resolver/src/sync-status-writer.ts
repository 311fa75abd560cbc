import { CrmDealSyncStatusSchema, SchemaVersions, crmCommandId, idOn, outcomeId, type CrmDealSyncStatus, type Outcome } from "@concord/contracts";
import { CircuitViewSchema, circuitSubject, publishJson, requestRpc, type StateStore } from "@concord/bus";
import type { SyncStatusSettings } from "@concord/policy";
import type { ResolverDeps } from "./resolve-deal";
import { decideStatus, needsKnownNumber, signalMatters, signalOf, type StatusFacts, type StatusSignal, type SyncStatusRecord } from "./sync-status";

const keyOf = (dealId: string) => `syncstatus.deal.${dealId}`;

/** How long one answer about 1C's circuit serves (a burst of outcomes asks once). */
const CIRCUIT_CACHE_MS = 2_000;

/**
 * The deal's sync status, decided where outcomes are known: each outcome about a deal (its
 * order created, written, dead-lettered; 1C unreachable) may change it. One command per change
 * of the text (never per retry), written by crm-writer like every CRM write, with a dedupe id
 * from its content. The record also remembers the order content 1C refused for good, so the
 * deal event that the status write itself causes commands nothing to 1C (`refusedOrder`).
 */
export function createSyncStatus(deps: ResolverDeps & { state: StateStore }, settings: SyncStatusSettings) {
  const { bus, subjects, mapping, logger, state } = deps;
  let circuit: { at: number; openSince: string | null } = { at: 0, openSince: null };

  /** 1C's circuit as its writer reports it; a writer that does not answer says nothing (treated as closed). */
  async function onecOpenSince(): Promise<string | null> {
    if (Date.now() - circuit.at < CIRCUIT_CACHE_MS) return circuit.openSince;
    const view = await requestRpc(bus.nc, circuitSubject(subjects, "onec"), {}, CircuitViewSchema, 2_000).catch(() => null);
    circuit = { at: Date.now(), openSince: view?.status === "open" ? (view.since ?? new Date().toISOString()) : null };
    return circuit.openSince;
  }

  async function facts(current: SyncStatusRecord | null, signal: StatusSignal, dealId: string, compensated: boolean): Promise<StatusFacts> {
    const needsCircuit = signal.kind === "unreachable" || signal.kind === "commanded" || signal.kind === "settled";
    const openSince = needsCircuit ? await onecOpenSince() : null;
    // The pair is read only when it decides something: a wait that may be over, or a number not in the outcome.
    const needsPair = (signal.kind === "commanded" && openSince !== null) || needsKnownNumber(current, signal);
    let orderExists = false;
    let knownNumber: string | null = null;
    if (needsPair) {
      const pair = await mapping.resolve({ system: "bitrix24", entity: "deal", id: dealId }, "onec");
      orderExists = pair?.state === "confirmed" && idOn(pair, "onec") !== null;
      if (pair && orderExists) {
        const sides = await Promise.all([mapping.getState(pair.id, "onec"), mapping.getState(pair.id, "bitrix24")]);
        knownNumber = sides.map((s) => (s?.values as { number?: unknown } | null)?.number).find((n): n is string => typeof n === "string" && n !== "") ?? null;
      }
    }
    return { onecOpenSince: openSince, orderExists, knownNumber, compensated };
  }

  async function publish(dealId: string, record: SyncStatusRecord, text: string): Promise<void> {
    const command: CrmDealSyncStatus = CrmDealSyncStatusSchema.parse({
      v: 1,
      type: "bitrix24.deal.status",
      dealId,
      field: settings.field,
      text,
      comment: record.comment,
      at: record.at,
      cause: record.cause,
      issuedAt: new Date().toISOString(),
    });
    await publishJson(bus.js, subjects.command("bitrix24", "deal"), command, { msgId: crmCommandId(command), schema: SchemaVersions.crmCommand });
  }

  return {
    /** Decides the status after one outcome about a deal; `compensated`: the saga answered it with its own comment. */
    async onOutcome(outcome: Outcome, compensated = false): Promise<void> {
      const signal = signalOf(outcome);
      if (!signal) return;
      // A flow in dry-run writes nothing on the deal, its status included.
      if (deps.modes && (await Promise.all([deps.modes.modeOf("orders.crmToOnec"), deps.modes.modeOf("orders.onecToCrm")])).some((v) => v.mode === "dry-run")) return;
      const dealId = outcome.subject.id;
      const cause = outcomeId(outcome);
      for (let attempt = 0; attempt < 10; attempt++) {
        const entry = await state.getJson<SyncStatusRecord>(keyOf(dealId));
        const current = entry?.value ?? null;
        if (current && current.cause === cause) {
          // Redelivered after the record was written: its command goes out (again; the dedupe id keeps it single).
          if (!current.commanded && current.text) await publish(dealId, current, current.text);
          if (!current.commanded) await state.compareAndSet(keyOf(dealId), { ...current, commanded: true }, entry?.revision ?? null);
          return;
        }
        if (current && Date.parse(outcome.at) < Date.parse(current.at)) return;
        if (!signalMatters(current, signal)) return;
        const change = decideStatus(current, signal, await facts(current, signal, dealId, compensated), outcome.at, cause, settings);
        if (!change) return;
        // The record first (the refused content must be known before the write's own event comes back), then the command.
        const record = { ...change.record, text: change.write?.text ?? current?.text };
        if (!(await state.compareAndSet(keyOf(dealId), record, entry?.revision ?? null))) continue;
        if (!change.write) return;
        await publish(dealId, record, change.write.text);
        const written = await state.getJson<SyncStatusRecord>(keyOf(dealId));
        if (written?.value.cause === cause) await state.compareAndSet(keyOf(dealId), { ...written.value, commanded: true }, written.revision);
        logger.info("deal sync status changed", { dealId, status: change.write.text, comment: change.write.comment !== null, cause: outcome.messageId });
        return;
      }
      logger.warn("deal sync status not decided: its record kept changing", { dealId, cause });
    },

    /**
     * The content hash of the order command 1C refused for good for this deal, while no later
     * write of its order succeeded; null when none.
     */
    async refusedOrder(dealId: string): Promise<string | null> {
      const entry = await state.getJson<SyncStatusRecord>(keyOf(dealId));
      return entry?.value.refused ?? null;
    },
  };
}

export type SyncStatusComponent = ReturnType<typeof createSyncStatus>;

import { createBitrix24Client } from "@concord/bitrix24-client";
import { hostname } from "node:os";
import {
  circuitSettingsOf,
  connectBus,
  createCircuit,
  createMappingClient,
  createFlowModes,
  createSharedRateLimiter,
  ensureStreams,
  gateLimiter,
  streamMaxAgeMs,
  openStateStore,
  rateLimitKey,
  reportOutcome,
  retryPolicyOf,
  serveCircuit,
  serveRpc,
  startConsumer,
  scheduledThroughCircuit,
  throughCircuit,
  type Bus,
} from "@concord/bus";
import {
  CrmCommandSchema,
  SnapshotRequestSchema,
  decideWrite,
  createSubjects,
  crmCommandId,
  idOn,
  isSyncError,
  permanent,
  retryable,
  type CrmDealCompensate,
  type CrmDealLink,
  type CrmDealSyncStatus,
  type CrmDealUpdate,
  type SourceVersion,
  type Subjects,
} from "@concord/contracts";
import { startPeriodic, startWorker } from "@concord/runtime";
import type { Logger } from "@concord/telemetry";
import type { CrmWriterConfig } from "./config";
import { readCustomerSnapshot, readDealSnapshot } from "./snapshots";
import { createOnecMirror } from "./mirror-onec";
import { createCrmSweep } from "./sweep";
import { createDealExistenceCheck } from "./existence";
import { bindOfflineEvents, createOfflineEventReader } from "./offline-events";
import { createCrmDryRun } from "./dry-run";

/** The only process that talks to Bitrix24: snapshots on request, and CRM write commands. */
export async function createApp(config: CrmWriterConfig, logger: Logger) {
  const subjects = createSubjects(config.CONCORD_NAMESPACE);
  const bus = await connectBus(config.NATS_URL, "crm-writer");
  await ensureStreams(bus.jsm, subjects);
  const state = await openStateStore(bus, subjects);
  // One limit per portal, kept in NATS: every replica (and any process calling the portal) shares it.
  const limiter = createSharedRateLimiter({
    state,
    key: rateLimitKey("bitrix24", config.B24_WEBHOOK_URL),
    ratePerSec: config.B24_RATE_PER_SEC,
    burst: config.B24_RATE_BURST,
    logger,
  });
  const owner = `crm-writer:${hostname()}:${process.pid}`;
  // The portal's circuit, shared by every replica: while open no request goes out (commands,
  // the resolver's snapshot reads, sweeps) but one probe at a time.
  const circuit = createCircuit({ state, target: "bitrix24", url: config.B24_WEBHOOK_URL, owner, logger, settings: circuitSettingsOf(config), streamMaxAgeMs: await streamMaxAgeMs(bus, subjects) });
  const client = createBitrix24Client({ webhookBase: config.B24_WEBHOOK_URL, timeoutMs: config.B24_TIMEOUT_MS, limiter: gateLimiter(limiter, circuit), batchMax: config.B24_BATCH_MAX });

  const snapshots = serveRpc(bus.nc, subjects.rpc.crmSnapshot, SnapshotRequestSchema, async (r): Promise<unknown> =>
    throughCircuit<unknown>(circuit, `${r.entity}:${r.id}`, () => (r.entity === "deal" ? readDealSnapshot(client, r.id, config.CRM_PRODUCT_SKU_FIELD) : readCustomerSnapshot(client, r.entity, r.id))), logger);
  const circuitRpc = serveCircuit(bus.nc, subjects, circuit, logger);

  /** Writes the inverse id (1C Ref_Key) on the deal, unless it is already there. */
  async function linkDeal(command: CrmDealLink, bus: Bus, subjects: Subjects, attempts: number) {
    const started = Date.now();
    const deal = await client.getDeal(command.dealId);
    const base = {
      stage: "crm-writer" as const,
      messageId: crmCommandId(command),
      subject: { system: "bitrix24" as const, entity: "deal" as const, id: command.dealId },
      target: { system: "onec" as const, entity: "order" as const, id: command.originId },
      attempts,
    };
    if (!deal) {
      await reportOutcome(bus.js, subjects, { ...base, result: "skipped", detail: "deal no longer exists", durationMs: Date.now() - started }, logger);
      return;
    }
    if (deal.ORIGIN_ID === command.originId && deal.ORIGINATOR_ID === command.originatorId) {
      await reportOutcome(bus.js, subjects, { ...base, result: "echo", detail: "deal already carries the 1C Ref_Key", durationMs: Date.now() - started }, logger);
      return;
    }
    await client.updateDeal(command.dealId, { ORIGINATOR_ID: command.originatorId, ORIGIN_ID: command.originId });
    await reportOutcome(bus.js, subjects, { ...base, result: "applied", detail: "ORIGIN_ID set to the 1C Ref_Key", durationMs: Date.now() - started }, logger);
  }

  const mapping = createMappingClient(bus.nc, subjects);

  /** Writes 1C-owned values onto a mapped deal, under the pair's lease, unless a newer state was applied. */
  async function updateDeal(command: CrmDealUpdate, attempts: number) {
    const started = Date.now();
    const pair = await mapping.resolve({ system: "bitrix24", entity: "deal", id: command.dealId }, "onec");
    if (!pair) throw permanent("NOT_MAPPED", `deal ${command.dealId} is not mapped to a 1C order`);
    const report = (result: "applied" | "stale" | "skipped" | "echo", detail: string) =>
      reportOutcome(
        bus.js,
        subjects,
        { stage: "crm-writer", messageId: crmCommandId(command), subject: { system: "bitrix24", entity: "deal", id: command.dealId }, target: command.source, result, detail, attempts, durationMs: Date.now() - started },
        logger,
      );
    await mapping.withLease(pair, owner, config.CRM_LEASE_TTL_MS, async () => {
      const current = (await mapping.resolve({ system: "bitrix24", entity: "deal", id: command.dealId }, "onec")) ?? pair;
      const state = await mapping.getState(current.id, "bitrix24");
      const last = state?.lastVersion ? (JSON.parse(state.lastVersion) as SourceVersion) : null;
      // The echo check compares the deal's values below: a hash cannot see a CRM user's edit since.
      const decision = decideWrite({ deleted: current.state === "deleted", lastVersion: last, lastHash: state?.lastHash ?? null }, command, false);
      if (!decision.write) {
        await report(decision.result, decision.detail);
        return;
      }
      const deal = await client.getDeal(command.dealId);
      if (!deal) {
        await report("skipped", "deal no longer exists");
        return;
      }
      // Two reconciles of one change (its notification and another event) can both command it:
      // write only what the deal does not hold yet.
      const unchanged = !command.rows && Object.entries(command.fields).every(([field, value]) => String(deal[field] ?? "") === value);
      if (unchanged && !command.markMappingDeleted) {
        await mapping.recordState(current.id, "bitrix24", JSON.stringify(command.sourceVersion), command.contentHash, state?.lastHash ?? null, command.syncView);
        await report("echo", "the deal already holds these values");
        return;
      }
      try {
        if (command.rows) {
          // References first: every 1C product must have its CRM product before the rows are set.
          const rows = [];
          for (const row of command.rows) {
            const product = await mapping.resolve(row.product, "bitrix24");
            const productId = product?.state === "confirmed" ? idOn(product, "bitrix24") : null;
            if (!productId) throw retryable("REFERENCE_NOT_READY", `1C product ${row.product.id} has no CRM product yet`, { retryAfterMs: 1_000 });
            rows.push({ PRODUCT_ID: Number(productId), PRODUCT_NAME: row.name, PRICE: Number(row.price), QUANTITY: row.quantity });
          }
          await client.call("crm.deal.productrows.set", { id: command.dealId, rows });
        }
        if (Object.keys(command.fields).length > 0) await client.updateDeal(command.dealId, command.fields);
      } catch (error) {
        // Deleted between the read above and the write: nothing to write; its delete event decides.
        if (isSyncError(error) && error.code === "B24_NOT_FOUND" && !(await client.getDeal(command.dealId))) {
          await report("skipped", "the deal was deleted meanwhile (its delete event decides)");
          return;
        }
        throw error;
      }
      await mapping.recordState(current.id, "bitrix24", JSON.stringify(command.sourceVersion), command.contentHash, state?.lastHash ?? null, command.syncView);
      if (command.markMappingDeleted) await mapping.markDeleted(current.id, "onec");
      await report("applied", `deal fields ${Object.keys(command.fields).join(", ")} set${command.markMappingDeleted ? "; mapping marked deleted" : ""}`);
    });
  }

  /**
   * Saga compensation: the deal returns to its previous stage (only if it is still in the stage
   * 1C refused), its timeline says why, and an alert is raised (an error log line and a
   * `compensated` outcome in the exchange log).
   */
  async function compensateDeal(command: CrmDealCompensate, attempts: number) {
    const started = Date.now();
    const deal = await client.getDeal(command.dealId);
    const subject = { system: "bitrix24" as const, entity: "deal" as const, id: command.dealId };
    const base = { stage: "crm-writer" as const, messageId: crmCommandId(command), subject, target: null, attempts };
    if (!deal) {
      await reportOutcome(bus.js, subjects, { ...base, result: "skipped", detail: "deal no longer exists", durationMs: Date.now() - started }, logger);
      return;
    }
    const reverted = deal.STAGE_ID === command.failedStage;
    if (reverted) await client.updateDeal(command.dealId, { STAGE_ID: command.revertTo });
    await client.call("crm.timeline.comment.add", { fields: { ENTITY_ID: Number(command.dealId), ENTITY_TYPE: "deal", COMMENT: command.comment } });
    const detail = `ALERT: ${reverted ? `stage ${command.failedStage} reverted to ${command.revertTo}` : `deal already left ${command.failedStage}; stage kept`}; ${command.comment}`;
    logger.error("alert: saga compensated a deal", { dealId: command.dealId, failedStage: command.failedStage, revertTo: command.revertTo, failedMessageId: command.failedMessageId });
    await reportOutcome(bus.js, subjects, { ...base, result: "compensated", detail, durationMs: Date.now() - started }, logger);
  }

  /**
   * The deal's sync status, as the resolver decided it: the field is rewritten only when its text
   * changes, and the timeline gets the comment the command carries. What was last written per
   * deal is kept in the state KV, so an older status never overwrites a newer one and a
   * redelivered command writes nothing twice. Two calls at most, sent together (one `batch`
   * when they wait for the portal's rate limit).
   */
  async function writeSyncStatus(command: CrmDealSyncStatus, attempts: number) {
    const started = Date.now();
    const messageId = crmCommandId(command);
    const key = `syncstatus.written.${command.dealId}`;
    const report = (result: "applied" | "echo" | "stale" | "skipped", detail: string) =>
      reportOutcome(bus.js, subjects, { stage: "crm-writer", messageId, subject: { system: "bitrix24", entity: "deal", id: command.dealId }, target: null, result, detail, attempts, durationMs: Date.now() - started }, logger);
    type Written = { text: string; at: string; messageId: string; done: boolean; commented: boolean };
    const entry = await state.getJson<Written>(key);
    const last = entry?.value ?? null;
    if (last?.messageId === messageId && last.done) return report("echo", "this status is already written");
    if (last && last.messageId !== messageId && Date.parse(last.at) > Date.parse(command.at)) return report("stale", `a newer status is on the deal (${last.text})`);
    const sameCommand = last?.messageId === messageId;
    const rewrite = sameCommand || last?.text !== command.text;
    const comment = command.comment !== null && !(sameCommand && last?.commented);
    if (!rewrite && !comment) {
      await state.compareAndSet(key, { ...(last as Written), at: command.at, messageId, done: true }, entry?.revision ?? null);
      return report("echo", "the deal already shows this status");
    }
    // Taken before the write: a concurrent older status sees this one and stands down.
    const mine: Written = { text: command.text, at: command.at, messageId, done: false, commented: sameCommand && last?.commented === true };
    if (!(await state.compareAndSet(key, mine, entry?.revision ?? null))) throw retryable("JS_WRONG_LAST_SEQUENCE", `another status of deal ${command.dealId} is being written`, { retryAfterMs: 500 });
    const [field, note] = await Promise.allSettled([
      rewrite ? client.updateDeal(command.dealId, { [command.field]: command.text }) : Promise.resolve(),
      comment ? client.call("crm.timeline.comment.add", { fields: { ENTITY_ID: Number(command.dealId), ENTITY_TYPE: "deal", COMMENT: command.comment } }) : Promise.resolve(),
    ]);
    const failed = [field, note].find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failed) {
      if (comment && note.status === "fulfilled") await state.putJson(key, { ...mine, commented: true });
      if (isSyncError(failed.reason) && failed.reason.code === "B24_NOT_FOUND") return report("skipped", "deal no longer exists");
      throw failed.reason;
    }
    await state.putJson(key, { ...mine, done: true, commented: comment || mine.commented });
    await report("applied", `${rewrite ? `${command.field} set to "${command.text}"` : "status unchanged"}${comment ? "; timeline comment added" : ""}`);
  }

  const dryRun = createCrmDryRun({ bus, subjects, mapping, client, logger, modes: createFlowModes(state), skuField: config.CRM_PRODUCT_SKU_FIELD });
  const mirror = createOnecMirror({ bus, subjects, mapping, client, logger, leaseTtlMs: config.CRM_LEASE_TTL_MS, skuField: config.CRM_PRODUCT_SKU_FIELD, state });

  const commands = await startConsumer(
    bus,
    subjects,
    {
      stage: "crm-writer",
      stream: subjects.streams.commands,
      durable: "crm-writer",
      filterSubject: `${subjects.namespace}.commands.bitrix24.>`,
      schema: CrmCommandSchema,
      ackWaitMs: 60_000,
      policy: retryPolicyOf(config),
      circuit,
      retryState: state,
      // Commands waiting together for the portal's rate limit share one `batch` request, so more
      // in flight means fuller batches; without batching each call needs its own token, and more
      // would only wait (and risk AckWait).
      concurrency: config.B24_BATCH_MAX > 1 ? 32 : 4,
      handle: (command, context) => {
        if (command.type === "bitrix24.deal.status") return writeSyncStatus(command, context.deliveryCount);
        // Decided in dry-run: reported, never written (even if the flow went live meanwhile).
        if (command.type !== "bitrix24.deal.compensate" && command.dryRun) return dryRun(command, command.dryRun, context.deliveryCount);
        if (command.type === "bitrix24.deal.link") return linkDeal(command, bus, subjects, context.deliveryCount);
        if (command.type === "bitrix24.deal.update") return updateDeal(command, context.deliveryCount);
        if (command.type === "bitrix24.deal.compensate") return compensateDeal(command, context.deliveryCount);
        return mirror(command, context.deliveryCount);
      },
      outcomes: {
        stage: "crm-writer",
        describe: (command) =>
          command.type === "bitrix24.deal.link" || command.type === "bitrix24.deal.update" || command.type === "bitrix24.deal.compensate" || command.type === "bitrix24.deal.status"
            ? {
                messageId: crmCommandId(command),
                subject: { system: "bitrix24", entity: "deal", id: command.dealId },
                target:
                  command.type === "bitrix24.deal.link"
                    ? { system: "onec", entity: "order", id: command.originId }
                    : command.type === "bitrix24.deal.update"
                      ? command.source
                      : null,
              }
            : { messageId: crmCommandId(command), subject: command.source, target: null },
      },
    },
    logger,
  );

  const sweepDeps = { bus, subjects, client, state, logger, owner, intervalMs: config.CRM_SWEEP_INTERVAL_MS, overlapMs: config.CRM_SWEEP_OVERLAP_MS };
  const tasks =
    config.CRM_SWEEP_INTERVAL_MS > 0
      ? (["deal", "company", "contact"] as const).map((entity) => {
          const sweep = createCrmSweep(entity, sweepDeps);
          return startPeriodic(`bitrix24 ${entity} sweep`, config.CRM_SWEEP_INTERVAL_MS, async () => void (await scheduledThroughCircuit(circuit, `sweep:${entity}`, sweep)), logger);
        })
      : [];
  if (config.CRM_SWEEP_INTERVAL_MS > 0 && config.CRM_EXISTENCE_INTERVAL_MS > 0) {
    const checkDeals = createDealExistenceCheck({ bus, subjects, client, state, logger, owner, intervalMs: config.CRM_EXISTENCE_INTERVAL_MS });
    tasks.push(startPeriodic("bitrix24 deal existence check", config.CRM_EXISTENCE_INTERVAL_MS, async () => void (await scheduledThroughCircuit(circuit, "existence:deal", checkDeals)), logger));
  }
  if (config.CRM_OFFLINE_EVENTS_INTERVAL_MS > 0) {
    await bindOfflineEvents(client, logger);
    const readOffline = createOfflineEventReader({ bus, subjects, client, state, logger, owner, intervalMs: config.CRM_OFFLINE_EVENTS_INTERVAL_MS });
    tasks.push(startPeriodic("bitrix24 offline events", config.CRM_OFFLINE_EVENTS_INTERVAL_MS, async () => void (await readOffline()), logger));
  }
  // An outage nobody looks at is still reported before its waiting messages could age out.
  tasks.push(startPeriodic(`${circuit.key} watch`, 600_000, async () => void (await circuit.current(0).then(() => circuit.view())), logger));
  return startWorker({
    bus,
    consumers: [commands],
    subscriptions: [snapshots, circuitRpc],
    tasks,
    host: config.CRM_WRITER_HOST,
    healthPort: config.CRM_WRITER_HEALTH_PORT,
    // Read fresh: a replica with nothing to do would otherwise show the state of its last call.
    detail: async () => ({ circuits: [await circuit.current(0).then(() => circuit.view(), () => circuit.view())] }),
  });
}

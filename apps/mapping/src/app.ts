import {
  AuditListRequestSchema,
  AuditRecordRequestSchema,
  ClaimRequestSchema,
  ConfirmRequestSchema,
  CreateAttemptRequestSchema,
  LeaseRequestSchema,
  OutcomeSchema,
  ReleaseRequestSchema,
  ResolveRequestSchema,
  SyncStateGetRequestSchema,
  SyncStateRecordRequestSchema,
  MarkDeletedRequestSchema,
  ReviveRequestSchema,
  ConflictsRecordRequestSchema,
  DeadLetterSchema,
  DlqGetRequestSchema,
  DlqListRequestSchema,
  DlqMarkRequestSchema,
  DecisionOpenRequestSchema,
  DecisionListRequestSchema,
  DecisionDecideRequestSchema,
  ExchangeListRequestSchema,
  ReconcileRunsRequestSchema,
  createSubjects,
} from "@concord/contracts";
import { connectBus, defaultRetryPolicy, ensureStreams, serveRpc, startConsumer } from "@concord/bus";
import { connectDb, migrateDb } from "@concord/db";
import { startPeriodic, startWorker } from "@concord/runtime";
import { cachedRead, gauges, metrics, type Logger } from "@concord/telemetry";
import type { MappingConfig } from "./config";
import { createMappingStore } from "./store";
import { listExchange, pruneExchangeLog, recordOutcome } from "./exchange-log";
import { createDeadLetterStore } from "./dead-letters";
import { createAuditStore } from "./audit";
import { createDecisionStore } from "./decisions";
import { listReconcileRuns } from "./reconcile-runs";

/** Wires the identity service: migrations, request/reply handlers, the exchange-log and dead-letter recorders. */
export async function createApp(config: MappingConfig, logger: Logger) {
  const subjects = createSubjects(config.CONCORD_NAMESPACE);
  await migrateDb(config.DATABASE_URL, config.DATABASE_SCHEMA);
  const database = connectDb(config.DATABASE_URL, config.DATABASE_SCHEMA);
  const store = createMappingStore(database.db);
  const deadLetterStore = createDeadLetterStore(database.db);
  const auditStore = createAuditStore(database.db);
  const decisionStore = createDecisionStore(database.db);
  const bus = await connectBus(config.NATS_URL, "mapping");
  await ensureStreams(bus.jsm, subjects);

  const subs = [
    serveRpc(bus.nc, subjects.rpc.mappingResolve, ResolveRequestSchema, async (r) => ({ mapping: await store.resolve(r.ref, r.targetSystem) }), logger),
    serveRpc(bus.nc, subjects.rpc.mappingClaim, ClaimRequestSchema, (r) => store.claim(r), logger),
    serveRpc(bus.nc, subjects.rpc.mappingConfirm, ConfirmRequestSchema, async (r) => ({ mapping: await store.confirm(r.mappingId, r.targetId, r.owner, r.createdBy) }), logger),
    serveRpc(bus.nc, subjects.rpc.mappingCreateAttempt, CreateAttemptRequestSchema, async (r) => ({ mapping: await store.createAttempt(r.mappingId, r.owner, r.action) }), logger),
    serveRpc(bus.nc, subjects.rpc.mappingLease, LeaseRequestSchema, (r) => store.lease(r.mappingId, r.owner, r.ttlMs), logger),
    serveRpc(bus.nc, subjects.rpc.mappingRelease, ReleaseRequestSchema, (r) => store.release(r.mappingId, r.owner), logger),
    serveRpc(bus.nc, subjects.rpc.syncStateGet, SyncStateGetRequestSchema, async (r) => ({ state: await store.getState(r.mappingId, r.side) }), logger),
    serveRpc(
      bus.nc,
      subjects.rpc.syncStateRecord,
      SyncStateRecordRequestSchema,
      (r) => store.recordState(r.mappingId, r.side, r.version, r.hash, r.expectHash, r.values),
      logger,
    ),
    serveRpc(bus.nc, subjects.rpc.mappingMarkDeleted, MarkDeletedRequestSchema, async (r) => ({ mapping: await store.markDeleted(r.mappingId, r.side) }), logger),
    serveRpc(bus.nc, subjects.rpc.mappingRevive, ReviveRequestSchema, async (r) => ({ mapping: await store.revive(r.mappingId) }), logger),
    serveRpc(bus.nc, subjects.rpc.conflictsRecord, ConflictsRecordRequestSchema, async (r) => ({ recorded: await store.recordConflicts(r.conflicts) }), logger),
    serveRpc(bus.nc, subjects.rpc.dlqList, DlqListRequestSchema, (r) => deadLetterStore.list(r), logger),
    serveRpc(bus.nc, subjects.rpc.dlqGet, DlqGetRequestSchema, (r) => deadLetterStore.get(r.id), logger),
    serveRpc(bus.nc, subjects.rpc.dlqMark, DlqMarkRequestSchema, (r) => deadLetterStore.mark(r), logger),
    serveRpc(bus.nc, subjects.rpc.auditRecord, AuditRecordRequestSchema, (r) => auditStore.record(r), logger),
    serveRpc(bus.nc, subjects.rpc.auditList, AuditListRequestSchema, (r) => auditStore.list(r), logger),
    serveRpc(bus.nc, subjects.rpc.exchangeList, ExchangeListRequestSchema, (r) => listExchange(database.db, r), logger),
    serveRpc(bus.nc, subjects.rpc.decisionOpen, DecisionOpenRequestSchema, (r) => decisionStore.open(r), logger),
    serveRpc(bus.nc, subjects.rpc.decisionList, DecisionListRequestSchema, (r) => decisionStore.list(r), logger),
    serveRpc(bus.nc, subjects.rpc.decisionDecide, DecisionDecideRequestSchema, (r) => decisionStore.decide(r), logger),
    serveRpc(bus.nc, subjects.rpc.reconcileRuns, ReconcileRunsRequestSchema, (r) => listReconcileRuns(database.db, r), logger),
  ];

  const recorder = await startConsumer(
    bus,
    subjects,
    {
      stage: "exchange-log",
      stream: subjects.streams.outcomes,
      durable: "exchange-log",
      filterSubject: subjects.wildcards.outcomes,
      schema: OutcomeSchema,
      ackWaitMs: 30_000,
      policy: defaultRetryPolicy,
      concurrency: 8,
      handle: (outcome) => recordOutcome(database.db, outcome),
    },
    logger,
  );

  // DLQ records become rows people can list, retry and discard; the stream keeps them 90 days regardless.
  const deadLetterRecorder = await startConsumer(
    bus,
    subjects,
    {
      stage: "dead-letter-recorder",
      stream: subjects.streams.dlq,
      durable: "dead-letter-recorder",
      filterSubject: subjects.wildcards.dlq,
      schema: DeadLetterSchema,
      ackWaitMs: 30_000,
      policy: defaultRetryPolicy,
      concurrency: 4,
      handle: async (letter, context) => {
        await deadLetterStore.record(letter, context.streamSeq);
      },
    },
    logger,
  );

  // Retention of the exchange log: every replica runs it, one at a time does the deleting.
  const retentionDays = config.EXCHANGE_LOG_RETENTION_DAYS;
  const retention =
    retentionDays > 0
      ? startPeriodic(
          "exchange-log retention",
          config.EXCHANGE_LOG_RETENTION_INTERVAL_MS,
          async () => {
            const before = new Date(Date.now() - retentionDays * 86_400_000);
            const { deleted, skipped } = await pruneExchangeLog(database.sql, before);
            metrics.exchangeLogDeleted.inc(deleted);
            if (deleted > 0 || skipped) logger.info("exchange-log retention", { before: before.toISOString(), deleted, skipped });
          },
          logger,
          Math.min(config.EXCHANGE_LOG_RETENTION_INTERVAL_MS, 60_000),
        )
      : null;

  // Records waiting for a person's decision, read at scrape time (cached: a scrape costs at most one query per 15 s).
  const openDecisions = cachedRead(15_000, () =>
    database.sql<Array<{ system: string; entity: string; n: number; oldest: Date }>>`
      select source_system as system, source_entity as entity, count(*)::int as n, min(opened_at) as oldest from decisions where status = 'open' group by 1, 2`,
  );
  const unregister = [
    gauges.decisionsOpen.add(async () => (await openDecisions()).map((r) => ({ labels: { system: r.system, entity: r.entity }, value: r.n }))),
    gauges.decisionOldestAge.add(async () => {
      const oldest = Math.min(...(await openDecisions()).map((r) => new Date(r.oldest).getTime()));
      return [{ labels: {}, value: Number.isFinite(oldest) ? Math.max(0, Date.now() - oldest) / 1000 : 0 }];
    }),
  ];

  const worker = await startWorker({
    bus,
    consumers: [recorder, deadLetterRecorder],
    subscriptions: subs,
    tasks: retention ? [retention] : [],
    host: config.MAPPING_HOST,
    healthPort: config.MAPPING_HEALTH_PORT,
    close: async () => {
      unregister.forEach((remove) => remove());
      await database.close();
    },
  });
  return { store, deadLetterStore, decisionStore, retention, ...worker };
}

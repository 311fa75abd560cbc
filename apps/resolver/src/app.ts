import { hostname } from "node:os";
import { connectBus, createFlowModes, createMappingClient, defaultRetryPolicy, ensureStreams, openStateStore, reportOutcome, startConsumer } from "@concord/bus";
import { ChangeEventSchema, OutcomeSchema, changeEventId, createSubjects, type ChangeEvent } from "@concord/contracts";
import { connectDb } from "@concord/db";
import { runReconcile } from "@concord/reconcile";
import { startWorker } from "@concord/runtime";
import type { Logger } from "@concord/telemetry";
import type { Policy } from "@concord/policy";
import type { ResolverConfig } from "./config";
import { createDealResolver } from "./resolve-deal";
import { createOnecOrderResolver } from "./resolve-onec-order";
import { createCustomerResolver } from "./resolve-customer";
import { createProductResolver } from "./resolve-product";
import { createSaga } from "./saga";
import { startReconcileSchedule } from "./reconcile-schedule";
import { createSyncStatus } from "./sync-status-writer";

/** Decides what each change means for the other system and emits write commands. */
export async function createApp(config: ResolverConfig, logger: Logger, policy: Policy) {
  const subjects = createSubjects(config.CONCORD_NAMESPACE);
  const bus = await connectBus(config.NATS_URL, "resolver");
  await ensureStreams(bus.jsm, subjects);
  // Each flow's mode (live or dry-run), shared by every replica: the policy file's for flows no
  // person has switched, recorded at start so a switch to live knows since when a flow was dry.
  const state = await openStateStore(bus, subjects);
  const modes = createFlowModes(state, { policyDryRun: policy.flows.dryRun });
  await modes.adoptPolicy();
  const base = { bus, subjects, mapping: createMappingClient(bus.nc, subjects), logger, policy, settleMs: config.RESOLVER_SETTLE_MS, modes };
  // The deal's sync status (policy syncStatus), decided from the outcomes the saga's consumer reads.
  const syncStatus = policy.syncStatus ? createSyncStatus({ ...base, state }, policy.syncStatus) : null;
  const deps = { ...base, ...(syncStatus ? { refusedOrder: syncStatus.refusedOrder } : {}) };
  const resolveDeal = createDealResolver(deps);
  const resolveOnecOrder = createOnecOrderResolver(deps);
  const resolveCustomer = createCustomerResolver(deps);
  const resolveProduct = createProductResolver(deps);
  const describe = (event: ChangeEvent) => ({
    messageId: changeEventId(event),
    subject: { system: event.system, entity: event.entity, id: event.sourceId },
    target: null,
  });

  const events = await startConsumer(
    bus,
    subjects,
    {
      stage: "resolver",
      stream: subjects.streams.events,
      durable: "resolver",
      filterSubject: subjects.wildcards.events,
      schema: ChangeEventSchema,
      ackWaitMs: 60_000,
      policy: defaultRetryPolicy,
      concurrency: 16,
      handle: async (event, context) => {
        if (event.system === "bitrix24" && event.entity === "deal") return resolveDeal(event, context);
        if (event.system === "onec" && event.entity === "order") return resolveOnecOrder(event, context);
        if (event.entity === "company" || event.entity === "contact" || event.entity === "counterparty") return resolveCustomer(event, context);
        if (event.system === "onec" && event.entity === "product") return resolveProduct(event, context);
        // 1C partners follow their counterparty; CRM product edits yield to 1C, the products' master. Recorded, not lost.
        const detail = `flow ${event.system} ${event.entity} is not enabled`;
        await reportOutcome(bus.js, subjects, { stage: "resolver", ...describe(event), result: "skipped", detail, attempts: context.deliveryCount, durationMs: 0 }, logger);
      },
      outcomes: { stage: "resolver", describe },
    },
    logger,
  );

  const compensate = createSaga(deps);
  const saga = await startConsumer(
    bus,
    subjects,
    {
      stage: "saga",
      stream: subjects.streams.outcomes,
      durable: "saga",
      filterSubject: subjects.outcome("bitrix24", "deal"),
      schema: OutcomeSchema,
      ackWaitMs: 60_000,
      policy: defaultRetryPolicy,
      concurrency: 4,
      handle: async (outcome) => {
        const compensated = await compensate(outcome);
        await syncStatus?.onOutcome(outcome, compensated);
      },
    },
    logger,
  );

  // The scheduled reconcile lives here because the resolver owns the ownership rules it applies and
  // already publishes into the flows a heal goes through; it is `concord reconcile`'s own run
  // (@concord/reconcile), so both read through the writers' snapshot RPCs and their shared rate
  // limits, and record in go_live_runs. Only it needs PostgreSQL (id_mapping read, runs written).
  const database = config.RECONCILE_INTERVAL_MS > 0 && config.DATABASE_URL ? connectDb(config.DATABASE_URL, config.DATABASE_SCHEMA, 2) : null;
  const owner = `resolver@${hostname()}:${process.pid}`;
  const schedule = database
    ? startReconcileSchedule({
        state,
        intervalMs: config.RECONCILE_INTERVAL_MS,
        heal: config.RECONCILE_HEAL,
        entities: config.RECONCILE_ENTITIES,
        owner,
        logger,
        run: (entity, actor, options) => runReconcile({ db: database.db, bus, mapping: deps.mapping, policy, namespace: config.CONCORD_NAMESPACE, actor }, entity, options),
      })
    : null;
  if (schedule) logger.info("reconcile schedule on", { intervalMs: config.RECONCILE_INTERVAL_MS, heal: config.RECONCILE_HEAL, entities: config.RECONCILE_ENTITIES.join(",") });

  return startWorker({
    bus,
    consumers: [events, saga],
    host: config.RESOLVER_HOST,
    healthPort: config.RESOLVER_HEALTH_PORT,
    tasks: schedule ? [schedule] : [],
    ...(database ? { close: () => database.close() } : {}),
  });
}

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
  retryPolicyOf,
  serveCircuit,
  serveRpc,
  startConsumer,
  scheduledThroughCircuit,
  throughCircuit,
} from "@concord/bus";
import { OnecCommandSchema, OnecSnapshotRequestSchema, commandId, createSubjects } from "@concord/contracts";
import { createOnecClient } from "@concord/onec-client";
import { startPeriodic, startWorker } from "@concord/runtime";
import type { Logger } from "@concord/telemetry";
import type { OnecWriterConfig } from "./config";
import { createOnecWriter } from "./writer";
import { createOnecSnapshots } from "./snapshots";
import { createOnecSweep } from "./sweep";

/** The only process that talks to 1C: applies counterparty and order commands. */
export async function createApp(config: OnecWriterConfig, logger: Logger) {
  const subjects = createSubjects(config.CONCORD_NAMESPACE);
  const bus = await connectBus(config.NATS_URL, "onec-writer");
  await ensureStreams(bus.jsm, subjects);
  const state = await openStateStore(bus, subjects);
  // One limit per 1C server, kept in NATS: every replica (and any process calling 1C) shares it.
  const limiter = createSharedRateLimiter({ state, key: rateLimitKey("onec", config.ONEC_ODATA_URL), ratePerSec: config.ONEC_RATE_PER_SEC, burst: config.ONEC_RATE_BURST, logger });
  const owner = `onec-writer:${hostname()}:${process.pid}`;
  // The base's circuit, shared by every replica: while open no request goes out (commands, the
  // resolver's snapshot reads, sweeps) but one probe at a time.
  const circuit = createCircuit({ state, target: "onec", url: config.ONEC_ODATA_URL, owner, logger, settings: circuitSettingsOf(config), streamMaxAgeMs: await streamMaxAgeMs(bus, subjects) });
  const onec = createOnecClient({ serviceRoot: config.ONEC_ODATA_URL, user: config.ONEC_USER, password: config.ONEC_PASSWORD, timeoutMs: config.ONEC_TIMEOUT_MS, limiter: gateLimiter(limiter, circuit) });
  const mapping = createMappingClient(bus.nc, subjects);
  const apply = createOnecWriter({
    bus,
    subjects,
    mapping,
    onec,
    logger,
    leaseTtlMs: config.ONEC_LEASE_TTL_MS,
    createSettleMs: config.ONEC_CREATE_SETTLE_MS ?? 2 * config.ONEC_TIMEOUT_MS,
    lengths: { get: async (key) => (await state.getJson<number>(key))?.value ?? null, put: (key, length) => state.putJson(key, length) },
    timeZone: config.ONEC_TIME_ZONE,
    versionCheck: config.ONEC_VERSION_CHECK === "extension",
    modes: createFlowModes(state),
    afterCreate:
      config.ONEC_TEST_FAULT === "crash-after-create"
        ? () => {
            logger.warn("test fault: SIGKILL after the 1C create, before the mapping confirm");
            process.kill(process.pid, "SIGKILL");
          }
        : undefined,
  });

  const readSnapshot = createOnecSnapshots(onec);
  const snapshots = serveRpc(bus.nc, subjects.rpc.onecSnapshot, OnecSnapshotRequestSchema, (r) => throughCircuit(circuit, `${r.entity}:${r.ref}`, () => readSnapshot(r.entity, r.ref)), logger);
  const circuitRpc = serveCircuit(bus.nc, subjects, circuit, logger);

  const commands = await startConsumer(
    bus,
    subjects,
    {
      stage: "onec-writer",
      stream: subjects.streams.commands,
      durable: "onec-writer",
      filterSubject: `${subjects.namespace}.commands.onec.>`,
      schema: OnecCommandSchema,
      ackWaitMs: config.ONEC_ACK_WAIT_MS,
      policy: retryPolicyOf(config),
      circuit,
      retryState: state,
      concurrency: 8,
      handle: apply,
      outcomes: { stage: "onec-writer", describe: (command) => ({ messageId: commandId(command), subject: command.source, target: null }) },
    },
    logger,
  );

  const sweepDeps = { bus, subjects, onec, state, logger, owner, intervalMs: config.ONEC_SWEEP_INTERVAL_MS, mapping };
  const tasks =
    config.ONEC_SWEEP_INTERVAL_MS > 0
      ? (["order", "counterparty", "product"] as const).map((entity) => {
          const sweep = createOnecSweep(entity, sweepDeps);
          return startPeriodic(`1c ${entity} sweep`, config.ONEC_SWEEP_INTERVAL_MS, async () => void (await scheduledThroughCircuit(circuit, `sweep:${entity}`, sweep)), logger);
        })
      : [];
  // An outage nobody looks at is still reported before its waiting messages could age out.
  tasks.push(startPeriodic(`${circuit.key} watch`, 600_000, async () => void (await circuit.current(0).then(() => circuit.view())), logger));
  return startWorker({
    bus,
    consumers: [commands],
    subscriptions: [snapshots, circuitRpc],
    tasks,
    host: config.ONEC_WRITER_HOST,
    healthPort: config.ONEC_WRITER_HEALTH_PORT,
    // Read fresh: a replica with nothing to do would otherwise show the state of its last call.
    detail: async () => ({ circuits: [await circuit.current(0).then(() => circuit.view(), () => circuit.view())] }),
  });
}

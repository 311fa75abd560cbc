import { hostname } from "node:os";
import { connectBus, createMappingClient, createSharedRateLimiter, defaultRetryPolicy, ensureStreams, openStateStore, rateLimitKey, serveRpc, startConsumer } from "@concord/bus";
import { OnecCommandSchema, OnecSnapshotRequestSchema, commandId, createSubjects } from "@concord/contracts";
import { createOnecClient } from "@concord/onec-client";
import { startPeriodic, startWorker } from "@concord/runtime";
import type { Logger } from "@concord/telemetry";
import type { OnecWriterConfig } from "./config";
import { createOnecWriter } from "./writer";
import { createOnecSnapshots } from "./snapshots";
import { createOrderSweep } from "./sweep";

/** The only process that talks to 1C: applies counterparty and order commands. */
export async function createApp(config: OnecWriterConfig, logger: Logger) {
  const subjects = createSubjects(config.CONCORD_NAMESPACE);
  const bus = await connectBus(config.NATS_URL, "onec-writer");
  await ensureStreams(bus.jsm, subjects);
  const state = await openStateStore(bus, subjects);
  // One limit per 1C server, kept in NATS: every replica (and any process calling 1C) shares it.
  const limiter = createSharedRateLimiter({ state, key: rateLimitKey("onec", config.ONEC_ODATA_URL), ratePerSec: config.ONEC_RATE_PER_SEC, burst: config.ONEC_RATE_BURST, logger });
  const onec = createOnecClient({ serviceRoot: config.ONEC_ODATA_URL, user: config.ONEC_USER, password: config.ONEC_PASSWORD, timeoutMs: config.ONEC_TIMEOUT_MS, limiter });
  const apply = createOnecWriter({
    bus,
    subjects,
    mapping: createMappingClient(bus.nc, subjects),
    onec,
    logger,
    leaseTtlMs: config.ONEC_LEASE_TTL_MS,
    timeZone: config.ONEC_TIME_ZONE,
    versionCheck: config.ONEC_VERSION_CHECK === "extension",
    afterCreate:
      config.ONEC_TEST_FAULT === "crash-after-create"
        ? () => {
            logger.warn("test fault: SIGKILL after the 1C create, before the mapping confirm");
            process.kill(process.pid, "SIGKILL");
          }
        : undefined,
  });

  const readSnapshot = createOnecSnapshots(onec);
  const snapshots = serveRpc(bus.nc, subjects.rpc.onecSnapshot, OnecSnapshotRequestSchema, (r) => readSnapshot(r.entity, r.ref), logger);

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
      policy: defaultRetryPolicy,
      concurrency: 8,
      handle: apply,
      outcomes: { stage: "onec-writer", describe: (command) => ({ messageId: commandId(command), subject: command.source, target: null }) },
    },
    logger,
  );

  const sweepOrders = createOrderSweep({ bus, subjects, onec, state, logger, owner: `onec-writer:${hostname()}:${process.pid}`, intervalMs: config.ONEC_SWEEP_INTERVAL_MS });
  const tasks = config.ONEC_SWEEP_INTERVAL_MS > 0 ? [startPeriodic("1c order sweep", config.ONEC_SWEEP_INTERVAL_MS, async () => void (await sweepOrders()), logger)] : [];
  return startWorker({ bus, consumers: [commands], subscriptions: [snapshots], tasks, host: config.ONEC_WRITER_HOST, healthPort: config.ONEC_WRITER_HEALTH_PORT });
}

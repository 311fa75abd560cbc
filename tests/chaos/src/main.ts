// `pnpm test:chaos [--profile ci|long] [--seed <n>]`: the whole system as OS processes on a
// NATS and a PostgreSQL of its own, a seeded workload on both sides, a seeded fault schedule,
// then the drain and the invariants. Exits non-zero when any check fails. See docs/reliability.md.
import { randomInt } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { parseArgs } from "node:util";
import postgres from "postgres";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { createSubjects } from "@concord/contracts";
import { bitrix24WebhookBase, startOwnNats, startOwnPostgres, type OwnServer, type SystemConfig } from "@concord/launcher";
import { freePort } from "@concord/testkit";
import { loadPolicy } from "@concord/policy";
import { check } from "./checker";
import { createClients } from "./clients";
import { waitDrained } from "./drain";
import { createEventLoss, planFaults, runFaults } from "./faults";
import { canarySecrets, startChaosSystem, type ChaosSystem } from "./infra";
import { createRandom, Streams } from "./prng";
import { profiles, type Profile } from "./profiles";
import { renderReport, runChecks } from "./report";
import { createWorkload, planWorkload } from "./workload";
import { LEGACY_KINDS, createDecider, sourceKey, type LegacyGroupPlan } from "./legacy";

function parseOptions(argv: string[]): { profile: Profile; seed: number; rerun: string } {
  const { values } = parseArgs({
    args: argv,
    options: {
      profile: { type: "string", default: "ci" },
      seed: { type: "string" },
      // Scale a profile (e.g. a mid-size run): workload sizes and the fault window.
      deals: { type: "string" },
      "onec-orders": { type: "string" },
      "window-s": { type: "string" },
    },
    allowPositionals: false,
  });
  const base = profiles[values.profile as Profile["name"]];
  if (!base) throw new Error(`--profile must be one of ${Object.keys(profiles).join(", ")}`);
  const int = (name: string, value: string | undefined) => {
    if (value === undefined) return undefined;
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a non-negative integer`);
    return n;
  };
  const deals = int("deals", values.deals) ?? base.deals;
  const onecOrders = int("onec-orders", values["onec-orders"]) ?? base.onecOrders;
  // The shared customers, products and poisoned deals scale with the orders.
  const scaled = (n: number, by: number, of: number) => Math.max(1, Math.round((n * by) / of));
  const profile: Profile = {
    ...base,
    deals,
    onecOrders,
    poisonedDeals: scaled(base.poisonedDeals, deals, base.deals),
    companies: scaled(base.companies, deals, base.deals),
    counterparties: scaled(base.counterparties, onecOrders, base.onecOrders),
    onecProducts: scaled(base.onecProducts, onecOrders, base.onecOrders),
    faultWindowMs: (int("window-s", values["window-s"]) ?? base.faultWindowMs / 1000) * 1000,
    // Issue 13: the legacy customers scale with the deals (at least one group of each kind).
    legacy: { ...base.legacy, ...Object.fromEntries(LEGACY_KINDS.map((k) => [k, scaled(base.legacy[k], deals, base.deals)])) },
  };
  const seed = int("seed", values.seed) ?? randomInt(1, 1_000_000);
  const scale = [["--deals", values.deals], ["--onec-orders", values["onec-orders"]], ["--window-s", values["window-s"]]].filter(([, v]) => v !== undefined).flat();
  return { profile, seed, rerun: ["pnpm test:chaos --profile", profile.name, "--seed", seed, ...scale].join(" ") };
}

/**
 * A forged delete: ONCRMDEALDELETE for a live deal, posted to ingress with the application token
 * as Bitrix24 would (any replica; one may be down for a kill).
 */
async function forgeDelete(config: SystemConfig, dealId: string): Promise<void> {
  const body = new URLSearchParams({ event: "ONCRMDEALDELETE", "data[FIELDS][ID]": dealId, ts: String(Math.floor(Date.now() / 1000)), "auth[application_token]": config.secrets.b24ApplicationToken });
  for (let attempt = 0; ; attempt++) {
    const port = config.ports.ingress + (attempt % 2) * 100;
    const response = await fetch(`http://127.0.0.1:${port}/webhooks/bitrix24`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body, signal: AbortSignal.timeout(10_000) }).catch(() => null);
    if (response?.status === 202 || response?.status === 200) return;
    if (attempt >= 20) throw new Error(`forged delete of deal ${dealId}: ingress answered ${response?.status ?? "nothing"}`);
    await sleep(1_000);
  }
}

/** Requests Concord makes to each target while nothing changes, over `ms`, and what they are. */
async function watchIdle(clients: ReturnType<typeof createClients>, ms: number) {
  type B24Stats = { requests: number; methods: Record<string, { calls: number }> };
  type OnecStats = { sets: Record<string, Record<string, number>>; totals: Record<string, number> };
  const onecRequests = (s: OnecStats) => ["GET", "POST", "PATCH", "DELETE", "Post", "Unpost"].reduce((n, k) => n + (s.totals[k] ?? 0), 0);
  const [b0, o0] = [await clients.b24Admin<B24Stats>("stats"), await clients.onecAdmin<OnecStats>("stats")];
  await sleep(ms);
  const [b1, o1] = [await clients.b24Admin<B24Stats>("stats"), await clients.onecAdmin<OnecStats>("stats")];
  const methods = Object.entries(b1.methods)
    .map(([m, v]) => [m, v.calls - (b0.methods[m]?.calls ?? 0)] as const)
    .filter(([, n]) => n > 0);
  const sets = Object.entries(o1.sets)
    .map(([set, v]) => [set, ["GET", "POST", "PATCH", "DELETE", "Post", "Unpost"].reduce((n, k) => n + (v[k] ?? 0) - (o0.sets[set]?.[k] ?? 0), 0)] as const)
    .filter(([, n]) => n > 0);
  return { ms, bitrix24: b1.requests - b0.requests, onec: onecRequests(o1) - onecRequests(o0), bitrix24Methods: Object.fromEntries(methods), onecSets: Object.fromEntries(sets) };
}

async function main(): Promise<number> {
  const started = Date.now();
  const { profile, seed, rerun } = parseOptions(process.argv.slice(2).filter((a) => a !== "--"));
  const log = (line: string) => console.log(`[${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s] ${line}`);
  const logDir = join(tmpdir(), "concord-chaos", `${new Date().toISOString().replace(/[:.]/g, "-")}-seed${seed}`);
  log(`chaos run: profile ${profile.name}, seed ${seed}, logs in ${logDir}`);

  // Everything started is stopped by its own handle, in reverse order, also on failure or Ctrl-C.
  const stops: Array<() => Promise<unknown>> = [];
  let stopping: Promise<void> | null = null;
  const stopAll = () =>
    (stopping ??= (async () => {
      const since = Date.now();
      for (const stop of stops.reverse()) await stop().catch((error: unknown) => console.error(`stop failed: ${(error as Error).message}`));
      log(`stopped everything in ${((Date.now() - since) / 1000).toFixed(1)} s`);
    })());
  let interrupted = false;
  let chaos: ChaosSystem | undefined;
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      interrupted = true;
      chaos?.quiesce();
      log(`${signal}: stopping everything`);
      void stopAll().then(() => process.exit(130));
    });
  }

  try {
    const workloadRandom = createRandom(seed, Streams.workload);
    const faultRandom = createRandom(seed, Streams.faults);
    const sandboxRandom = createRandom(seed, Streams.sandboxes);

    const nats: OwnServer = await startOwnNats({ port: await freePort(1), logFile: join(logDir, "nats-server.log") });
    stops.push(() => nats.stop());
    const pg: OwnServer = await startOwnPostgres({ port: await freePort(1) });
    stops.push(() => pg.stop());
    log(`NATS ${nats.url}, PostgreSQL ${pg.url.replace(/:[^:@/]+@/, ":***@")}`);

    const secrets = canarySecrets();
    chaos = await startChaosSystem({ profile, natsUrl: nats.url, databaseUrl: pg.url, logDir, secrets, sandboxSeeds: { bitrix24: sandboxRandom.seed(), onec: sandboxRandom.seed() } });
    const running = chaos;
    stops.push(() => running.stop());
    log(`system up: ${chaos.system.processes.size} processes (${chaos.services.length} services that may be killed)`);

    const namespace = chaos.config.namespace;
    const sql = postgres(pg.url, { max: 2, connection: { search_path: namespace }, onnotice: () => undefined });
    stops.push(() => sql.end({ timeout: 5 }));
    const nc: NatsConnection = await connect({ servers: nats.url, maxReconnectAttempts: -1 });
    stops.push(() => nc.close());
    const js = jetstream(nc);
    const jsm = await jetstreamManager(nc);
    const subjects = createSubjects(namespace);
    const clients = createClients(chaos.config);
    const policy = loadPolicy();

    const plan = planWorkload(profile, workloadRandom, seed);
    const faultPlan = planFaults(profile, faultRandom);
    const loss = createEventLoss();
    const workload = createWorkload(plan, clients, profile, { loss, forge: (dealId) => forgeDelete(chaos!.config, dealId) });
    await workload.prepare();
    // The 1C sweep's first run only records the versions it sees; let it pass before 1C orders appear.
    await sleep(Math.max(0, 3_000 - (Date.now() - started)));
    log(`workload: ${plan.actions.length} actions over ${profile.faultWindowMs / 1000} s; faults: ${faultPlan.events.length} scheduled`);

    const windowStart = Date.now();
    const stopped = () => interrupted;
    // Issue 13: a person at the console takes the decisions ambiguous matches open, from now until the drain.
    const legacyBySource = new Map<string, LegacyGroupPlan>();
    plan.legacy.groups.forEach((g, i) => {
      const seeded = workload.result.legacy[i];
      for (const id of seeded?.crm ?? []) legacyBySource.set(sourceKey("bitrix24", "company", id), g);
      for (const ref of seeded?.onec ?? []) legacyBySource.set(sourceKey("onec", "counterparty", ref), g);
    });
    const decider = createDecider({
      consoleUrl: `http://127.0.0.1:${chaos.config.ports.console}`,
      token: secrets.consoleApiToken,
      groups: legacyBySource,
      windowEnd: () => (Date.now() >= windowStart + profile.faultWindowMs ? windowStart + profile.faultWindowMs : null),
      random: createRandom(seed, 6),
      log,
    });
    const [workloadResult, faults] = await Promise.all([
      workload.run(windowStart, stopped).then((r) => (log("workload done"), r)),
      runFaults(faultPlan, { profile, chaos, nats, postgres: pg, clients, log, loss, neighbourUrl: `${bitrix24WebhookBase(chaos.config)}crm.deal.list.json` }, windowStart, stopped),
    ]);
    const faultsEnd = Date.now();
    log("faults off, every service back up; draining");

    const drain = await waitDrained({ sql, jsm, subjects, clients }, { quietMs: profile.quietMs, timeoutMs: profile.drainTimeoutMs, since: faultsEnd });
    log(drain.drained ? `drained ${(drain.drainMs / 1000).toFixed(1)} s after the faults` : `not drained after ${profile.drainTimeoutMs / 1000} s`);
    const decisions = await decider.stop();

    // Issue 11: what an idle system asks of the targets — the sweeps' list pages and nothing else.
    const idle = drain.drained ? await watchIdle(clients, profile.idleWatchMs) : null;
    if (idle) log(`idle ${profile.idleWatchMs / 1000} s: ${idle.bitrix24} Bitrix24 and ${idle.onec} 1C requests`);

    const b24Stats = await clients.b24Admin<{ injectedFaults: Record<string, number> }>("stats");
    const onecStats = await clients.onecAdmin<{ injectedFaults: Record<string, number> }>("stats");
    const notifications = await clients.onecAdmin<{ dropped: number; duplicated: number }>("notifications");
    const { error, timeout, rateLimit, operationLimit, eventDropped, eventDuplicated, eventReordered } = b24Stats.injectedFaults;
    const sandboxFaults = {
      bitrix24Api: { "5xx": error ?? 0, timeout: timeout ?? 0, "rate limit": (rateLimit ?? 0) + (operationLimit ?? 0) },
      bitrix24Events: { duplicated: eventDuplicated ?? 0, reordered: eventReordered ?? 0, dropped: eventDropped ?? 0 },
      onecApi: { "5xx": onecStats.injectedFaults.error ?? 0, timeout: onecStats.injectedFaults.timeout ?? 0, "lock conflict": onecStats.injectedFaults.lock ?? 0, "commit then fail": onecStats.injectedFaults.commitThenFail ?? 0, "committed after the client left": onecStats.injectedFaults.slowCommit ?? 0 },
      onecNotifications: { duplicated: notifications.duplicated ?? 0, dropped: notifications.dropped ?? 0 },
    };

    log("checking the invariants");
    const report = await check({ sql, js, jsm, subjects, clients, policy, workload: workloadResult, decisions, secrets, logDir, writesPerAppliedBound: profile.writesPerAppliedBound, outageWindow: faults.outageWindow });
    const summary = {
      profile,
      seed,
      workload: workloadResult,
      userRetries: clients.userRetries(),
      faults,
      sandboxFaults,
      unexpectedExits: chaos.unexpectedExits(),
      drain,
      idle,
      eventsLost: loss.windows(),
      decisions,
      check: report,
      wallMs: Date.now() - started,
      logDir,
      rerun,
    };
    const checks = [...report.invariants, ...runChecks(summary)].sort((a, b) => a.id - b.id);
    console.log(renderReport(summary, checks));
    return checks.every((c) => c.pass) ? 0 : 1;
  } finally {
    await stopAll();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`chaos run failed: ${(error as Error).stack ?? String(error)}`);
    console.log("0 passed, 1 failed");
    process.exit(1);
  },
);

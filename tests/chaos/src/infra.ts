import { setTimeout as sleep } from "node:timers/promises";
import { randomBytes } from "node:crypto";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { appNames, startSystem, waitReady, type AppName, type AppProcess, type RunningSystem, type SystemConfig } from "@concord/launcher";
import { freePort, uniqueNamespace } from "@concord/testkit";
import type { Profile } from "./profiles";

/** The canaries: random secrets that must never appear in a log file of the run. */
export type Secrets = SystemConfig["secrets"];

export function canarySecrets(): Secrets {
  const canary = (what: string) => `${what}-${randomBytes(8).toString("hex")}`;
  return {
    b24WebhookToken: canary("chaoswebhooktoken"),
    b24ApplicationToken: canary("chaosapptoken"),
    onecUser: "concord",
    onecPassword: canary("chaosonecpass"),
    onecWebhookSecret: `whsec_${randomBytes(32).toString("base64")}`,
    consoleApiToken: canary("chaosconsoletoken"),
  };
}

const SANDBOXES: readonly AppName[] = ["sandbox-bitrix24", "sandbox-1c"];
const REPLICAS = 2;

/**
 * Every app as its own OS process (two replicas of each worker), and a supervisor: it kills and
 * restarts services on request, and restarts — and records — any that exit on their own, which
 * no fault should cause.
 */
export interface ChaosSystem {
  system: RunningSystem;
  config: SystemConfig;
  /** Process names that may be killed: every service, never a sandbox. */
  services: string[];
  kill(name: string): Promise<void>;
  /** Starts a killed process again and waits until it is ready (retrying while NATS or PostgreSQL are down). */
  revive(name: string): Promise<void>;
  unexpectedExits(): Array<{ name: string; code: number | null; at: Date; error?: string }>;
  /** From now on exits are expected (Ctrl-C reaches every child at once). */
  quiesce(): void;
  stop(): Promise<void>;
}

export async function startChaosSystem(options: {
  profile: Profile;
  natsUrl: string;
  databaseUrl: string;
  logDir: string;
  secrets: Secrets;
  sandboxSeeds: { bitrix24: number; onec: number };
}): Promise<ChaosSystem> {
  const { profile } = options;
  const namespace = uniqueNamespace("chaos");
  const ports = {} as Record<AppName, number>;
  for (const name of appNames) ports[name] = await freePort(REPLICAS);
  mkdirSync(options.logDir, { recursive: true });
  const sweep = String(profile.sweepIntervalMs);
  // Issue 11: the record retry budget is shorter than the 1C outage (an outage that counted
  // against records would dead-letter them), probes of an open circuit at most this far apart
  // (the default 5 minutes would outlast a ci run), and the existence check that finds deletes
  // whose event was lost often enough to see within the run.
  const outage = { RETRY_BUDGET_MS: String(profile.retryBudgetMs), CIRCUIT_PROBE_MIN_MS: "1000", CIRCUIT_PROBE_MAX_MS: String(profile.circuitProbeMaxMs) };
  const config: SystemConfig = {
    natsUrl: options.natsUrl,
    databaseUrl: options.databaseUrl,
    namespace,
    databaseSchema: namespace,
    ports,
    secrets: options.secrets,
    logDir: options.logDir,
    tracesFile: join(options.logDir, "traces.jsonl"),
    logLevel: profile.logLevel,
    replicas: REPLICAS,
    // The apps' source prebuilt (launcher app-bundle.ts): every kill and revive starts in a quarter
    // of tsx's CPU. CONCORD_APPS_FROM=source runs them through tsx instead.
    fromBundles: process.env.CONCORD_APPS_FROM !== "source",
    env: {
      // The workload acts as many users at once; the REST rate limit is injected as a fault instead.
      "sandbox-bitrix24": { B24_SANDBOX_RATE_CAPACITY: "100000", B24_SANDBOX_RATE_DRAIN_PER_SEC: "1000", B24_SANDBOX_SEED: String(options.sandboxSeeds.bitrix24) },
      "sandbox-1c": { ONEC_SANDBOX_SEED: String(options.sandboxSeeds.onec) },
      // Sweeps ON (unlike the e2e harness): a webhook refused while ingress was killed is only
      // recovered by the sweep — that is the design under test.
      "crm-writer": {
        CRM_SWEEP_INTERVAL_MS: sweep,
        CRM_SWEEP_OVERLAP_MS: "30000",
        CRM_LEASE_TTL_MS: "30000",
        CRM_EXISTENCE_INTERVAL_MS: String(profile.existenceIntervalMs),
        ...outage,
        ...(profile.crmRatePerSec ? { B24_RATE_PER_SEC: String(profile.crmRatePerSec) } : {}),
      },
      // A crashed writer's command comes back after AckWait and its pairs free up after the lease
      // TTL: shorter than the defaults so the drain is minutes, not hours; both stay well above
      // the slowest injected fault (2 s timeouts) times the in-handler call retries.
      "onec-writer": {
        ONEC_SWEEP_INTERVAL_MS: String(profile.onecSweepIntervalMs),
        // The lease lapses before the command comes back: a redelivery while the lease stands would only wait.
        ONEC_LEASE_TTL_MS: "15000",
        ONEC_ACK_WAIT_MS: "20000",
        // Issue 10: the slow-commit phase makes order POSTs outlive this; a create cut so stays in
        // doubt for twice this (ONEC_CREATE_SETTLE_MS's default) before a find settles it.
        ONEC_TIMEOUT_MS: String(profile.onecTimeoutMs),
        ...outage,
        ...(profile.onecRatePerSec ? { ONEC_RATE_PER_SEC: String(profile.onecRatePerSec) } : {}),
      },
    },
  };
  const system = await startSystem(config);
  const services = [...system.processes.keys()].filter((name) => !SANDBOXES.some((s) => name === s));
  const expected = new Set<string>();
  const exits: Array<{ name: string; code: number | null; at: Date; error?: string }> = [];
  let stopping = false;

  // Starts a process that is down, retrying while NATS or PostgreSQL are restarting; it is
  // watched for exits of its own only once it is ready again.
  const revive = async (name: string) => {
    const proc = system.process(name);
    expected.add(name);
    for (let attempt = 1; ; attempt++) {
      if (stopping) return;
      proc.start();
      try {
        await waitReady(proc, 60_000);
        expected.delete(name);
        watch(proc);
        return;
      } catch (error) {
        await proc.kill();
        if (attempt >= 5) throw error;
        await sleep(2_000);
      }
    }
  };

  // Restarts anything that dies without being told to, and remembers it for the report.
  function watch(proc: AppProcess) {
    const name = proc.spec.name;
    void proc.waitForExit().then((code) => {
      if (stopping || expected.has(name)) return;
      exits.push({ name, code, at: new Date() });
      void revive(name).catch((error: unknown) => exits.push({ name, code: null, at: new Date(), error: (error as Error).message }));
    });
  }
  for (const proc of system.processes.values()) watch(proc);

  return {
    system,
    config,
    services,
    kill: async (name) => {
      expected.add(name);
      await system.process(name).kill();
    },
    revive,
    unexpectedExits: () => [...exits],
    quiesce: () => {
      stopping = true;
    },
    stop: async () => {
      stopping = true;
      await system.stop();
    },
  };
}

import { join, resolve } from "node:path";
import bcrypt from "bcryptjs";
import { bundleApps } from "./app-bundle";
import { AppProcess, type AppSpec } from "./app-process";
import { waitForHttp } from "./net";

export const repoRoot = resolve(__dirname, "..", "..", "..");

export type AppName = "sandbox-bitrix24" | "sandbox-1c" | "mapping" | "console" | "ingress" | "crm-writer" | "onec-writer" | "resolver";
/** Start order: the sandboxes, identity (and the console that reads through it), the door, then the workers. */
export const appNames: readonly AppName[] = ["sandbox-bitrix24", "sandbox-1c", "mapping", "console", "ingress", "crm-writer", "onec-writer", "resolver"];
/** Apps that run as `replicas` processes; the sandboxes and the console stay single. */
const replicated: readonly AppName[] = ["mapping", "ingress", "crm-writer", "onec-writer", "resolver"];

export interface SystemConfig {
  natsUrl: string;
  databaseUrl: string;
  namespace: string;
  databaseSchema: string;
  ports: Record<AppName, number>;
  secrets: { b24WebhookToken: string; b24ApplicationToken: string; onecUser: string; onecPassword: string; onecWebhookSecret: string; consoleApiToken: string };
  logDir: string;
  tracesFile?: string;
  logLevel?: string;
  /** Replicas of each service (mapping, ingress, crm-writer, onec-writer, resolver). */
  replicas?: number;
  /** Extra environment per app (e.g. test fault hooks). */
  env?: Partial<Record<AppName, Record<string, string>>>;
  /**
   * People who may sign in to the web console, with their passwords in clear (demo and tests
   * only): hashed here into CONSOLE_USERS. Absent: the console serves its API only.
   */
  consoleUsers?: ConsoleLogin[];
  /**
   * Run each app from a prebuilt bundle (app-bundle.ts, rebuilt when its source changes) instead
   * of its source through tsx: the same code, started for a quarter of the CPU. For runs that
   * start many systems (e2e, chaos); `pnpm up` runs the source.
   */
  fromBundles?: boolean;
}

/** The documented defaults (README, .env.example): what a new user gets from `pnpm up`. */
export const defaultPorts: Record<AppName, number> = {
  ingress: 7400,
  "sandbox-bitrix24": 7401,
  "sandbox-1c": 7402,
  resolver: 7410,
  mapping: 7411,
  "crm-writer": 7412,
  "onec-writer": 7413,
  console: 7420,
};

/** A web console user of a demo or test system. */
export interface ConsoleLogin {
  name: string;
  role: "viewer" | "operator" | "admin";
  password: string;
}

/** The demo's web console users (README): one per role. */
export const demoConsoleUsers: ConsoleLogin[] = [
  { name: "admin", role: "admin", password: "demo-admin-password" },
  { name: "operator", role: "operator", password: "demo-operator-password" },
  { name: "viewer", role: "viewer", password: "demo-viewer-password" },
];

// bcrypt cost 4: the cheapest there is (about a millisecond), for throwaway demo and test
// passwords; a real deployment's hashes come from `concord users hash`.
const consoleUsersValue = (users: ConsoleLogin[]) => users.map((u) => `${u.name}:${u.role}:${bcrypt.hashSync(u.password, 4)}`).join(",");

export const demoSecrets = {
  b24WebhookToken: "demo-webhook-token",
  b24ApplicationToken: "demo-application-token",
  onecUser: "concord",
  onecPassword: "demo-1c-password",
  onecWebhookSecret: "whsec_ZGVtby0xYy1ub3RpZmljYXRpb24tc2VjcmV0LTMyYg==",
  consoleApiToken: "demo-console-token",
};

const host = "127.0.0.1";

export function bitrix24WebhookBase(config: SystemConfig): string {
  return `http://${host}:${config.ports["sandbox-bitrix24"]}/rest/1/${config.secrets.b24WebhookToken}/`;
}

export function onecServiceRoot(config: SystemConfig): string {
  return `http://${host}:${config.ports["sandbox-1c"]}/trade/odata/standard.odata/`;
}

/** Environment of each app, wired to each other: one place that knows every variable. */
export function appEnv(config: SystemConfig, app: AppName, replica = 0): Record<string, string> {
  const offset = replica * 100;
  const common = {
    NATS_URL: config.natsUrl,
    CONCORD_NAMESPACE: config.namespace,
    LOG_LEVEL: config.logLevel ?? "info",
    ...(config.tracesFile ? { OTEL_TRACES_FILE: config.tracesFile } : {}),
  };
  const ingressUrl = `http://${host}:${config.ports.ingress}`;
  const envs: Record<AppName, Record<string, string>> = {
    "sandbox-bitrix24": {
      B24_SANDBOX_HOST: host,
      B24_SANDBOX_PORT: String(config.ports["sandbox-bitrix24"]),
      B24_SANDBOX_WEBHOOK_TOKEN: config.secrets.b24WebhookToken,
      B24_SANDBOX_APPLICATION_TOKEN: config.secrets.b24ApplicationToken,
      B24_SANDBOX_EVENT_HANDLER: `${ingressUrl}/webhooks/bitrix24`,
    },
    "sandbox-1c": {
      ONEC_SANDBOX_HOST: host,
      ONEC_SANDBOX_PORT: String(config.ports["sandbox-1c"]),
      ONEC_SANDBOX_USER: config.secrets.onecUser,
      ONEC_SANDBOX_PASSWORD: config.secrets.onecPassword,
      ONEC_SANDBOX_NOTIFY_URL: `${ingressUrl}/webhooks/1c`,
      ONEC_SANDBOX_NOTIFY_SECRET: config.secrets.onecWebhookSecret,
    },
    mapping: {
      ...common,
      DATABASE_URL: config.databaseUrl,
      DATABASE_SCHEMA: config.databaseSchema,
      MAPPING_HOST: host,
      MAPPING_HEALTH_PORT: String(config.ports.mapping + offset),
    },
    console: {
      ...common,
      CONSOLE_HOST: host,
      CONSOLE_PORT: String(config.ports.console),
      CONSOLE_API_TOKEN: config.secrets.consoleApiToken,
      // The same database as mapping's: alerts and the web console's pages read it.
      DATABASE_URL: config.databaseUrl,
      DATABASE_SCHEMA: config.databaseSchema,
      CONSOLE_BITRIX24_URL: `http://${host}:${config.ports["sandbox-bitrix24"]}`,
      CONSOLE_ONEC_URL: `http://${host}:${config.ports["sandbox-1c"]}/trade`,
      ...(config.consoleUsers ? { CONSOLE_USERS: consoleUsersValue(config.consoleUsers) } : {}),
    },
    ingress: {
      ...common,
      INGRESS_HOST: host,
      INGRESS_PORT: String(config.ports.ingress + offset),
      B24_APPLICATION_TOKEN: config.secrets.b24ApplicationToken,
      ONEC_WEBHOOK_SECRET: config.secrets.onecWebhookSecret,
    },
    "crm-writer": {
      ...common,
      B24_WEBHOOK_URL: bitrix24WebhookBase(config),
      CRM_WRITER_HOST: host,
      CRM_WRITER_HEALTH_PORT: String(config.ports["crm-writer"] + offset),
    },
    "onec-writer": {
      ...common,
      ONEC_ODATA_URL: onecServiceRoot(config),
      ONEC_USER: config.secrets.onecUser,
      ONEC_PASSWORD: config.secrets.onecPassword,
      ONEC_WRITER_HOST: host,
      ONEC_WRITER_HEALTH_PORT: String(config.ports["onec-writer"] + offset),
    },
    resolver: {
      ...common,
      // Only read with RECONCILE_INTERVAL_MS > 0 (the scheduled reconcile's runs live there).
      DATABASE_URL: config.databaseUrl,
      DATABASE_SCHEMA: config.databaseSchema,
      RESOLVER_HOST: host,
      RESOLVER_HEALTH_PORT: String(config.ports.resolver + offset),
    },
  };
  return { ...envs[app], ...(config.env?.[app] ?? {}) };
}

function readyUrl(config: SystemConfig, app: AppName, replica: number): string {
  const port = config.ports[app] + (app.startsWith("sandbox") ? 0 : replica * 100);
  return `http://${host}:${port}/${app.startsWith("sandbox") ? "healthz" : "readyz"}`;
}

export function appSpec(config: SystemConfig, app: AppName, replica = 0): AppSpec {
  const name = replica === 0 ? app : `${app}-${replica + 1}`;
  return { name, dir: join(repoRoot, "apps", app), env: appEnv(config, app, replica), readyUrl: readyUrl(config, app, replica), logFile: join(config.logDir, `${name}.log`) };
}

export interface RunningSystem {
  config: SystemConfig;
  processes: Map<string, AppProcess>;
  process(name: string): AppProcess;
  /** Restarts a process and waits until it is ready again. */
  restart(name: string): Promise<void>;
  stop(): Promise<void>;
}

export async function waitReady(proc: AppProcess, timeoutMs = 60_000): Promise<void> {
  await Promise.race([
    waitForHttp(proc.spec.readyUrl, timeoutMs, proc.spec.name),
    proc.waitForExit().then((code) => {
      throw new Error(`${proc.spec.name} exited with code ${code} during start; see ${proc.spec.logFile}`);
    }),
  ]);
}

/**
 * Binds every further ingress replica as one more Bitrix24 event handler, as a second
 * registration on a real portal would: each event then reaches every replica, and JetStream's
 * dedupe keeps one. (1C notifications go to the first replica.)
 */
async function bindIngressReplicas(config: SystemConfig, replicas: number): Promise<void> {
  const call = async (method: string, params: Record<string, unknown>) => {
    const response = await fetch(`${bitrix24WebhookBase(config)}${method}.json`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(params),
    });
    if (!response.ok) throw new Error(`sandbox-bitrix24 ${method}: HTTP ${response.status}`);
    return ((await response.json()) as { result: unknown }).result;
  };
  const handler = (replica: number) => `http://${host}:${config.ports.ingress + replica * 100}/webhooks/bitrix24`;
  const bound = (await call("event.get", {})) as Array<{ event: string; handler?: string }>;
  for (let replica = 1; replica < replicas; replica++) {
    for (const binding of bound.filter((b) => b.handler === handler(0))) await call("event.bind", { event: binding.event, handler: handler(replica) });
  }
}

/** Starts every app as its own OS process and waits until each is ready. */
export async function startSystem(config: SystemConfig): Promise<RunningSystem> {
  const processes = new Map<string, AppProcess>();
  const replicas = config.replicas ?? 1;
  const bundles = config.fromBundles ? await bundleApps(appNames.map((app) => join(repoRoot, "apps", app))) : undefined;
  try {
    for (const app of appNames) {
      const count = replicated.includes(app) ? replicas : 1;
      const batch: AppProcess[] = [];
      for (let r = 0; r < count; r++) {
        const spec = appSpec(config, app, r);
        const proc = new AppProcess({ ...spec, bundle: bundles?.get(spec.dir) });
        processes.set(proc.spec.name, proc);
        proc.start();
        batch.push(proc);
      }
      await Promise.all(batch.map((p) => waitReady(p)));
    }
    if (replicas > 1) await bindIngressReplicas(config, replicas);
  } catch (error) {
    await Promise.all([...processes.values()].map((p) => p.stop(5_000)));
    throw error;
  }
  const get = (name: string) => {
    const proc = processes.get(name);
    if (!proc) throw new Error(`no process named ${name}`);
    return proc;
  };
  return {
    config,
    processes,
    process: get,
    restart: async (name) => {
      const proc = get(name);
      await proc.stop();
      proc.start();
      await waitReady(proc);
    },
    stop: async () => {
      // Reverse order: workers stop before the services they depend on; the replicas of one app together.
      for (const app of [...appNames].reverse()) {
        const replicasOf = [...processes.values()].filter((p) => p.spec.dir === join(repoRoot, "apps", app));
        await Promise.all(replicasOf.map((p) => p.stop()));
      }
    },
  };
}

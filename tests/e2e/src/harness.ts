import { randomBytes } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { jetstreamManager, type JetStreamManager } from "@nats-io/jetstream";
import { ONEC_MARKER_PROPERTY, createSubjects, type Subjects } from "@concord/contracts";
import { startSystem, bitrix24WebhookBase, type AppName, type RunningSystem, type SystemConfig } from "@concord/launcher";
import { freePort, testDatabaseUrl, testNatsUrl, uniqueNamespace, waitFor } from "@concord/testkit";

export const ORDER_SET = "Document_ЗаказКлиента";
export const COUNTERPARTY_SET = "Catalog_Контрагенты";

export interface TestSystem {
  system: RunningSystem;
  config: SystemConfig;
  subjects: Subjects;
  sql: postgres.Sql;
  nc: NatsConnection;
  jsm: JetStreamManager;
  /** Calls a Bitrix24 REST method on the sandbox (as a CRM user or script would). */
  b24<T = unknown>(method: string, params?: Record<string, unknown>): Promise<T>;
  b24Admin<T = unknown>(path: string, init?: RequestInit): Promise<T>;
  onecAdmin<T = unknown>(path: string, init?: RequestInit): Promise<T>;
  onecRecords(set: string): Promise<Array<Record<string, unknown>>>;
  /** Every log line of this system's processes. */
  logText(): string;
  stop(): Promise<void>;
}

/**
 * Starts the whole system on free ports with a namespace and schema of its own, so test files
 * can share the machine's NATS and PostgreSQL. Secrets are random canaries that the secret
 * test then looks for in every log file.
 */
export async function startTestSystem(options: { env?: SystemConfig["env"]; replicas?: number; natsUrl?: string; databaseUrl?: string; consoleUsers?: SystemConfig["consoleUsers"] } = {}): Promise<TestSystem> {
  const namespace = uniqueNamespace("e2e");
  const canary = (what: string) => `${what}-${randomBytes(6).toString("hex")}`;
  const names: AppName[] = ["ingress", "sandbox-bitrix24", "sandbox-1c", "resolver", "mapping", "console", "crm-writer", "onec-writer"];
  const ports = {} as Record<AppName, number>;
  for (const name of names) ports[name] = await freePort();
  const logDir = join(tmpdir(), "concord-e2e", namespace);
  mkdirSync(logDir, { recursive: true });
  const config: SystemConfig = {
    natsUrl: options.natsUrl ?? testNatsUrl(),
    databaseUrl: options.databaseUrl ?? testDatabaseUrl(),
    namespace,
    databaseSchema: namespace,
    ports,
    secrets: {
      b24WebhookToken: canary("webhooktoken"),
      b24ApplicationToken: canary("apptoken"),
      onecUser: "concord",
      onecPassword: canary("onecpass"),
      onecWebhookSecret: `whsec_${randomBytes(32).toString("base64")}`,
      consoleApiToken: canary("consoletoken"),
    },
    ...(options.consoleUsers ? { consoleUsers: options.consoleUsers } : {}),
    logDir,
    tracesFile: join(logDir, "traces.jsonl"),
    logLevel: "debug",
    // Prebuilt bundles of the apps' source start for a quarter of tsx's CPU (launcher app-bundle.ts);
    // CONCORD_APPS_FROM=source runs them through tsx instead.
    fromBundles: process.env.CONCORD_APPS_FROM !== "source",
    // Every service runs as two replicas unless a test says otherwise (CONCORD_E2E_REPLICAS overrides).
    replicas: options.replicas ?? Number(process.env.CONCORD_E2E_REPLICAS ?? 2),
    // The tests act as many CRM users at once; the REST rate limit (Concord's own concern,
    // tested on its own) would otherwise throttle the test's set-up calls too.
    env: {
      ...options.env,
      "sandbox-bitrix24": { B24_SANDBOX_RATE_CAPACITY: "100000", B24_SANDBOX_RATE_DRAIN_PER_SEC: "1000", ...options.env?.["sandbox-bitrix24"] },
      // Sweeps off unless a test turns them on: they would hide a change lost in the pipeline.
      // Concord's shared limiter stays on, at the sandbox's raised rate (its own test runs at the real one).
      "crm-writer": { CRM_SWEEP_INTERVAL_MS: "0", B24_RATE_PER_SEC: "500", B24_RATE_BURST: "1000", ...options.env?.["crm-writer"] },
      "onec-writer": { ONEC_SWEEP_INTERVAL_MS: "0", ONEC_RATE_PER_SEC: "500", ONEC_RATE_BURST: "1000", ...options.env?.["onec-writer"] },
    },
  };
  const system = await startSystem(config);
  const sql = postgres(config.databaseUrl, { max: 2, connection: { search_path: namespace }, onnotice: () => undefined });
  const nc = await connect({ servers: config.natsUrl });
  const jsm = await jetstreamManager(nc);
  const json = async <T>(url: string, init?: RequestInit): Promise<T> => {
    const response = await fetch(url, init);
    const text = await response.text();
    if (!response.ok) throw new Error(`${init?.method ?? "GET"} ${url} → ${response.status} ${text}`);
    return (text ? JSON.parse(text) : undefined) as T;
  };
  const b24Base = bitrix24WebhookBase(config);
  const onecAdminBase = `http://127.0.0.1:${ports["sandbox-1c"]}/admin/`;
  return {
    system,
    config,
    subjects: createSubjects(namespace),
    sql,
    nc,
    jsm,
    b24: async <T>(method: string, params: Record<string, unknown> = {}) =>
      (await json<{ result: T }>(`${b24Base}${method}.json`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(params) })).result,
    b24Admin: (path, init) => json(`http://127.0.0.1:${ports["sandbox-bitrix24"]}/admin/${path}`, init),
    onecAdmin: (path, init) => json(`${onecAdminBase}${path}`, init),
    onecRecords: (set) => json(`${onecAdminBase}records/${encodeURIComponent(set)}`),
    logText: () =>
      readdirSync(logDir)
        .map((f) => readFileSync(join(logDir, f), "utf8"))
        .join("\n"),
    stop: async () => {
      await system.stop();
      const streams = createSubjects(namespace).streams;
      for (const stream of Object.values(streams)) await jsm.streams.delete(stream).catch(() => false);
      await nc.close();
      await sql.unsafe(`drop schema if exists "${namespace}" cascade`);
      await sql.end();
    },
  };
}

/** A company, products with SKUs known to 1C (the sandbox seeds SKU-001…SKU-012) and a deal with rows. */
export async function createDeal(t: TestSystem, options: { companyId?: number; title?: string; stage?: string; rows?: Array<{ sku: string; price: number; quantity: number }> } = {}) {
  const companyId = options.companyId ?? (await t.b24<number>("crm.company.add", { fields: { TITLE: `ООО Тест ${randomBytes(2).toString("hex")}`, EMAIL: [{ VALUE: "buyer@example.ru", VALUE_TYPE: "WORK" }] } }));
  const rows = options.rows ?? [
    { sku: "SKU-001", price: 500, quantity: 2 },
    { sku: "SKU-002", price: 600, quantity: 1 },
  ];
  const productRows = [];
  for (const row of rows) {
    const productId = await t.b24<number>("crm.product.add", { fields: { NAME: `Товар ${row.sku}`, XML_ID: row.sku, PRICE: row.price } });
    productRows.push({ PRODUCT_ID: productId, PRICE: row.price, QUANTITY: row.quantity });
  }
  const dealId = await t.b24<number>("crm.deal.add", { fields: { TITLE: options.title ?? "Офисная мебель", COMPANY_ID: companyId, STAGE_ID: options.stage ?? "EXECUTING" } });
  await t.b24("crm.deal.productrows.set", { id: dealId, rows: productRows });
  return { dealId: String(dealId), companyId: String(companyId) };
}

/** The inverse id Concord keeps on a counterparty or partner it created (its additional attribute). */
export function markerOf(record: Record<string, unknown>): string | null {
  const rows = Array.isArray(record.ДополнительныеРеквизиты) ? (record.ДополнительныеРеквизиты as Array<Record<string, unknown>>) : [];
  const row = rows.find((r) => r.Свойство_Key === ONEC_MARKER_PROPERTY);
  return typeof row?.Значение === "string" ? row.Значение : null;
}

export async function ordersOfDeal(t: TestSystem, dealId: string) {
  const orders = await t.onecRecords(ORDER_SET);
  return orders.filter((o) => o.НомерПоДаннымКлиента === `B24-D-${dealId}`);
}

/**
 * Nothing is in flight: no event queued or being delivered by the Bitrix24 sandbox, no
 * notification queued by the 1C sandbox, and no message pending or unacknowledged on any consumer
 * of the system's streams. Every step of the pipeline is in one of these places until the next
 * step is: a sandbox queues the event of a write before answering it, ingress publishes before it
 * answers the webhook, and a handler acknowledges its message only after publishing what follows
 * (a retry waits as an unacknowledged message).
 */
async function nothingInFlight(t: TestSystem): Promise<boolean> {
  const b24 = await fetch(`http://127.0.0.1:${t.config.ports["sandbox-bitrix24"]}/admin/events/drain?timeoutMs=1`, { method: "POST" });
  await b24.arrayBuffer();
  if (b24.status !== 200) return false;
  const onec = await t.onecAdmin<{ pending: unknown[] }>("notifications");
  if (onec.pending.length > 0) return false;
  for (const stream of Object.values(t.subjects.streams)) {
    for await (const consumer of t.jsm.consumers.list(stream)) {
      if (consumer.num_pending > 0 || consumer.num_ack_pending > 0) return false;
    }
  }
  return true;
}

/** Work that can start with nothing in flight: a sweep, the offline-event poll, the existence check. */
function startsWorkOnItsOwn(config: SystemConfig): boolean {
  const crm = config.env?.["crm-writer"] ?? {};
  const onec = config.env?.["onec-writer"] ?? {};
  return crm.CRM_SWEEP_INTERVAL_MS !== "0" || onec.ONEC_SWEEP_INTERVAL_MS !== "0" || Number(crm.CRM_OFFLINE_EVENTS_INTERVAL_MS ?? 0) > 0 || crm.CRM_EXISTENCE_INTERVAL_MS !== undefined;
}

/**
 * Waits until the system has settled: the exchange log has stopped growing for `quietMs`, or —
 * sooner, unless a sweep or a poll can start work on its own — nothing has been in flight
 * (`nothingInFlight`) and the log has not grown for a second.
 */
export async function waitQuiet(t: TestSystem, quietMs = 2_500, timeoutMs = 45_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const idleMs = Math.min(quietMs, 1_000);
  const checkIdle = !startsWorkOnItsOwn(t.config);
  let last = -1;
  let since = Date.now();
  let idleSince: number | undefined;
  while (Date.now() < deadline) {
    const [row] = await t.sql<Array<{ n: number }>>`select count(*)::int as n from exchange_log`;
    if (row?.n !== last) {
      last = row?.n ?? 0;
      since = Date.now();
      idleSince = undefined;
    } else if (Date.now() - since >= quietMs) return;
    if (checkIdle) {
      const sampledAt = Date.now();
      if (!(await nothingInFlight(t))) idleSince = undefined;
      else if (idleSince === undefined) idleSince = sampledAt;
      else if (sampledAt - idleSince >= idleMs) return;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`the system did not settle within ${timeoutMs} ms`);
}

/** A deal that has reached 1C, been linked back, and settled. */
export async function syncedDeal(t: TestSystem, options: Parameters<typeof createDeal>[1] = {}) {
  const created = await createDeal(t, options);
  const deal = await waitFor(async () => {
    const d = await t.b24<Record<string, unknown>>("crm.deal.get", { id: created.dealId });
    return d.ORIGIN_ID ? d : undefined;
  }, { timeoutMs: 30_000, what: `deal ${created.dealId} to be linked to its 1C order` });
  await waitQuiet(t);
  return { ...created, ref: String(deal.ORIGIN_ID) };
}

/** Edits a 1C record as a manager in 1C would (the sandbox's admin API; notifies like any write). */
export async function editInOnec(t: TestSystem, set: string, ref: string, body: Record<string, unknown>, action?: "Post" | "Unpost") {
  const path = `records/${encodeURIComponent(set)}/${ref}${action ? `/${action}` : ""}`;
  return t.onecAdmin<Record<string, unknown>>(path, { method: action ? "POST" : "PATCH", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
}

/** Creates a 1C record as a manager in 1C would (the sandbox's admin API; notifies like any write). */
export async function createInOnec(t: TestSystem, set: string, body: Record<string, unknown>) {
  return t.onecAdmin<Record<string, unknown>>(`records/${encodeURIComponent(set)}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
}

/** A new, unagreed 1C order as a manager enters it: one line per product at quantity × price. */
export function managerOrder(parties: { counterparty: unknown; partner: unknown }, comment: string, lines: Array<{ product: unknown; quantity: number; price: number }>) {
  return {
    Контрагент_Key: parties.counterparty,
    Партнер_Key: parties.partner,
    Статус: "НеСогласован",
    Комментарий: comment,
    Товары: lines.map((l, i) => ({ LineNumber: i + 1, Номенклатура_Key: l.product, Количество: l.quantity, Цена: l.price, Сумма: l.quantity * l.price })),
  };
}

export async function onecOrder(t: TestSystem, ref: string) {
  return t.onecAdmin<Record<string, unknown>>(`records/${encodeURIComponent(ORDER_SET)}/${ref}`);
}

/** Writes Concord made: 1C order writes through OData, and deal updates through REST. */
export async function writeCounts(t: TestSystem) {
  const onec = await t.onecAdmin<{ sets: Record<string, { writes: number }> }>("stats");
  const crm = await t.b24Admin<{ writes: { deal: { updates: number; productRowsSet: number } } }>("stats");
  return { onecOrderWrites: onec.sets[ORDER_SET]?.writes ?? 0, crmDealUpdates: crm.writes.deal.updates };
}

/** Mapping rows of a record, straight from the database (the source of truth for identity). */
export async function mappingOf(t: TestSystem, entity: string, id: string) {
  return t.sql<Array<{ id: number; target_id: string | null; state: string; deleted_at: Date | null; created_at: Date }>>`
    select id, target_id, state, deleted_at, created_at from id_mapping where source_system = 'bitrix24' and source_entity = ${entity} and source_id = ${id}`;
}

/** Every ingress replica: a test that takes "the ingress" down must stop them all. */
export function ingressProcesses(t: TestSystem) {
  return [...t.system.processes.values()].filter((p) => p.spec.name === "ingress" || p.spec.name.startsWith("ingress-"));
}

/** Samples of a Prometheus text exposition: one per series, keyed by name and labels. */
export interface MetricSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Every series of one process's `/metrics` (a service's health port, or the ingress and console HTTP ports). */
export async function scrapeMetrics(t: TestSystem, app: Exclude<AppName, "sandbox-bitrix24" | "sandbox-1c">, replica = 0): Promise<MetricSample[]> {
  const response = await fetch(`http://127.0.0.1:${t.config.ports[app] + replica * 100}/metrics`);
  const text = await response.text();
  if (!response.ok) throw new Error(`GET /metrics of ${app} → ${response.status} ${text.slice(0, 200)}`);
  const samples: MetricSample[] = [];
  for (const line of text.split("\n")) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) continue;
    const labels: Record<string, string> = {};
    for (const pair of (match[2] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[pair[1] as string] = (pair[2] as string).replace(/\\(.)/g, (_m, c: string) => (c === "n" ? "\n" : c));
    samples.push({ name: match[1] as string, labels, value: Number(match[3]) });
  }
  return samples;
}

/** The sum of a metric's series whose labels include `where`. */
export function metricValue(samples: MetricSample[], name: string, where: Record<string, string | RegExp> = {}): number {
  return samples
    .filter((s) => s.name === name && Object.entries(where).every(([k, v]) => (typeof v === "string" ? s.labels[k] === v : v.test(s.labels[k] ?? ""))))
    .reduce((sum, s) => sum + s.value, 0);
}

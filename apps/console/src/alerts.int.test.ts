import { createServer as createHttpServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { PassThrough } from "node:stream";
import { SMTPServer } from "smtp-server";
import { AckPolicy } from "@nats-io/jetstream";
import { circuitKey, closedCircuit, createCircuit, serveCircuit, type CircuitState } from "@concord/bus";
import { useTestBus } from "@concord/bus/testing";
import { connectDb, migrateDb, type DbHandle } from "@concord/db";
import { createLogger } from "@concord/telemetry";
import { testDatabaseUrl, uniqueNamespace, waitFor } from "@concord/testkit";
import { createServer } from "./app";
import { createAuditTrail } from "./audit";
import { parseAlertsConfig } from "./alerts-config";
import { createAlerting, type Alerting } from "./alerts";
import { fakeAuditBackend, fakeOperations } from "./testing-fakes";

/*
 * Alerts against real parts: NATS (this file's namespace), PostgreSQL (this file's schema), a
 * writer's circuit served over the bus, a readiness endpoint of the console's own server, and
 * three local receivers — a JSON webhook, a Telegram-shaped Bot API and an SMTP server — for
 * every rule: fired once on every channel, resolved once on every channel.
 */

const TG_TOKEN = "424242:tg-token-canary-7f3a9b";
const SMTP_PASSWORD = "smtp-pass-canary-51c2e8";
const HOOK_AUTH = "Bearer hook-auth-canary-a8d4";
const env = { TG_TOKEN, SMTP_PASSWORD, HOOK_AUTH };
jest.setTimeout(30_000);
const schema = uniqueNamespace("alerts");
const testBus = useTestBus("alerts");
const logs = new PassThrough();
let logText = "";
logs.on("data", (chunk: Buffer) => (logText += chunk.toString()));
const logger = createLogger("alerts-test", "debug", logs);

/** What each channel received, as (notice, `rule:subject`). */
type Received = Array<{ notice: string; key: string }>;
const received: Record<"webhook" | "telegram" | "email", Received> = { webhook: [], telegram: [], email: [] };
const tagToNotice: Record<string, string> = { ALERT: "fired", "STILL FIRING": "repeat", RESOLVED: "resolved" };
const fromTitle = (title: string) => {
  const m = /^\[Concord (ALERT|STILL FIRING|RESOLVED)\] ([a-z-]+): (.+)$/.exec(title.trim());
  return m ? { notice: tagToNotice[m[1] ?? ""] ?? "?", key: `${m[2]}:${m[3]}` } : { notice: "?", key: title };
};
let webhookFailures = 0;
const webhookAuth: string[] = [];

const readBody = (req: IncomingMessage) =>
  new Promise<string>((resolve) => {
    let text = "";
    req.on("data", (c: Buffer) => (text += c.toString()));
    req.on("end", () => resolve(text));
  });

const servers: Array<{ close(cb: () => void): void }> = [];
const listen = async (server: Server) => {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
};

let webhookUrl = "";
let telegramBase = "";
let smtpPort = 0;
let readyUrl = "";
let serviceReady = true;
let db: DbHandle;
const started: Alerting[] = [];

beforeAll(async () => {
  await migrateDb(testDatabaseUrl(), schema);
  db = connectDb(testDatabaseUrl(), schema, 2);
  webhookUrl = await listen(
    createHttpServer(async (req, res) => {
      const body = JSON.parse(await readBody(req)) as { notice: string; alert: { key: string } };
      webhookAuth.push(String(req.headers.authorization));
      if (webhookFailures > 0) {
        webhookFailures--;
        res.writeHead(500).end("try later");
        return;
      }
      received.webhook.push({ notice: body.notice, key: body.alert.key });
      res.writeHead(204).end();
    }),
  );
  telegramBase = await listen(
    createHttpServer(async (req, res) => {
      const body = JSON.parse(await readBody(req)) as { chat_id: number; text: string };
      if (req.url !== `/bot${TG_TOKEN}/sendMessage` || body.chat_id !== -100123) {
        res.writeHead(401, { "content-type": "application/json" }).end(JSON.stringify({ ok: false, error_code: 401, description: "Unauthorized" }));
        return;
      }
      received.telegram.push(fromTitle(body.text.split("\n")[0] ?? ""));
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ ok: true, result: { message_id: 1 } }));
    }),
  );
  const smtp = new SMTPServer({
    disabledCommands: ["STARTTLS"],
    allowInsecureAuth: true,
    onAuth: (auth, _session, cb) => (auth.username === "concord" && auth.password === SMTP_PASSWORD ? cb(null, { user: "concord" }) : cb(new Error("Invalid credentials"))),
    onData: (stream, _session, cb) => {
      let raw = "";
      stream.on("data", (c: Buffer) => (raw += c.toString()));
      stream.on("end", () => {
        const subject = /^Subject: (.*(?:\r\n[ \t].*)*)/m.exec(raw)?.[1]?.replace(/\r\n[ \t]/g, " ") ?? "";
        received.email.push(fromTitle(subject));
        cb();
      });
    },
  });
  servers.push(smtp);
  await new Promise<void>((resolve) => smtp.listen(0, "127.0.0.1", resolve));
  smtpPort = (smtp.server.address() as AddressInfo).port;
  // A service's readiness: the console's own HTTP server, its ready() switched by the test.
  const probe = createServer({ tokens: [], operations: fakeOperations(), audit: createAuditTrail(fakeAuditBackend(), logger), ready: () => serviceReady, logger });
  readyUrl = `${await listen(createHttpServer(probe))}/readyz`;
});

afterAll(async () => {
  for (const a of started) await a.stop();
  for (const s of servers) await new Promise<void>((resolve) => s.close(() => resolve()));
  await db.sql.unsafe(`drop schema if exists "${schema}" cascade`);
  await db.close();
  // No secret of a channel in any log line of the run.
  for (const secret of [TG_TOKEN, SMTP_PASSWORD, HOOK_AUTH]) expect(logText).not.toContain(secret);
});

const channelsYaml = () => `
channels:
  - { name: hook, type: webhook, url: "${webhookUrl}", authorizationEnv: HOOK_AUTH }
  - { name: tg, type: telegram, botTokenEnv: TG_TOKEN, chatId: -100123, apiBase: "${telegramBase}" }
  - { name: mail, type: email, host: 127.0.0.1, port: ${smtpPort}, user: concord, passwordEnv: SMTP_PASSWORD, from: concord@test.local, to: [ops@test.local] }
`;

async function startAlerting(rules: string, options: { owner?: string; delivery?: string; channels?: string; repeatSeconds?: number } = {}): Promise<Alerting> {
  const text = `version: 1\nintervalSeconds: 0.5\nrepeatSeconds: ${options.repeatSeconds ?? 0}\ndelivery: ${options.delivery ?? "{ maxAttempts: 3, backoffSeconds: [0], timeoutSeconds: 3 }"}\nrules:\n${rules}\n${options.channels ?? channelsYaml()}`;
  const settings = parseAlertsConfig(text, "test-alerts.yaml", env);
  const alerting = await createAlerting({ settings, db: db.db, bus: testBus.bus(), subjects: testBus.subjects, state: testBus.state(), rpcTimeoutMs: 500, logger, owner: options.owner ?? "replica-1" });
  started.push(alerting);
  return alerting;
}

async function stopAlerting(alerting: Alerting) {
  await alerting.stop();
  started.splice(started.indexOf(alerting), 1);
}

const count = (channel: keyof typeof received, notice: string, key: string) => received[channel].filter((r) => r.notice === notice && r.key === key).length;
const everyChannel = (notice: string, key: string, n: number) => (["webhook", "telegram", "email"] as const).every((c) => count(c, notice, key) === n);

/** Makes the condition, sees it fire once on every channel, clears it, sees it resolve once; a few more looks change nothing. */
async function fireAndResolve(alerting: Alerting, key: string, make: () => Promise<void>, clear: () => Promise<void>) {
  await make();
  await waitFor(async () => (await alerting.evaluator.runOnce()) && everyChannel("fired", key, 1), { what: `${key} fired on every channel`, timeoutMs: 10_000, intervalMs: 150 });
  const listed = await alerting.list({ status: "active", limit: 100 });
  expect(listed.alerts.map((a) => a.key)).toContain(key);
  for (let i = 0; i < 3; i++) await alerting.evaluator.runOnce();
  expect(everyChannel("fired", key, 1)).toBe(true);
  expect(everyChannel("resolved", key, 0)).toBe(true);
  await clear();
  await waitFor(async () => (await alerting.evaluator.runOnce()) && everyChannel("resolved", key, 1), { what: `${key} resolved on every channel`, timeoutMs: 10_000, intervalMs: 150 });
  for (let i = 0; i < 3; i++) await alerting.evaluator.runOnce();
  expect(everyChannel("fired", key, 1)).toBe(true);
  expect(everyChannel("resolved", key, 1)).toBe(true);
  expect((await alerting.list({ status: "active", limit: 100 })).alerts.map((a) => a.key)).not.toContain(key);
}

async function insertDeadLetter(recordId: string): Promise<number> {
  const [row] = await db.sql<Array<{ id: string }>>`
    insert into dead_letters (dlq_stream_seq, stage, subject, stream, stream_seq, message_id, original, error_kind, error_code, error_message, failure_class, attempts, first_failed_at, last_failed_at, flow, system, entity, record_id)
    values (${Math.floor(Math.random() * 1e9)}, 'onec-writer', 'x.commands.onec.order', 'X_COMMANDS', 1, ${`cmd:${recordId}`}, ${JSON.stringify({ data: "{}", headers: {} })}::jsonb, 'permanent', 'ONEC_REJECTED', 'the order was rejected', 'business', 1, now() - interval '1 minute', now() - interval '1 minute', 'bitrix24.deal→onec.order', 'bitrix24', 'deal', ${recordId})
    returning id`;
  return Number(row?.id);
}

async function insertOutcome(result: string, recordId: string, stage = "onec-writer") {
  await db.sql`
    insert into exchange_log (outcome_id, at, stage, message_id, system, entity, record_id, result, detail, attempts, duration_ms)
    values (${`${stage}:${recordId}:${result}:${Math.random()}`}, now(), ${stage}, ${`m:${recordId}`}, 'bitrix24', 'deal', ${recordId}, ${result}, '', 1, 5)`;
}

describe("each rule fires once and resolves once on the webhook, Telegram and e-mail", () => {
  it("a dead letter in a flow; resolved when the record is applied later", async () => {
    const alerting = await startAlerting("  deadLetter: { flows: ['bitrix24.deal→onec.order'] }");
    await fireAndResolve(
      alerting,
      "dead-letter:bitrix24.deal.D-1",
      async () => void (await insertDeadLetter("D-1")),
      () => insertOutcome("applied", "D-1"),
    );
    await stopAlerting(alerting);
  });

  it("a consumer's oldest waiting message over the age", async () => {
    const { jsm, js } = testBus.bus();
    const { subjects } = testBus;
    await jsm.consumers.add(subjects.streams.events, { durable_name: "stuck", ack_policy: AckPolicy.Explicit, filter_subject: subjects.event("onec", "counterparty") });
    const alerting = await startAlerting("  backlogAge: { olderThanSeconds: 0.3, consumers: [stuck] }");
    await fireAndResolve(
      alerting,
      `backlog-age:${subjects.streams.events}/stuck`,
      async () => {
        await js.publish(subjects.event("bitrix24", "deal"), "{}"); // not the consumer's: never counts
        await js.publish(subjects.event("onec", "counterparty"), "{}");
      },
      async () => {
        // The stopped consumer runs again and takes its message.
        const message = await (await js.consumers.get(subjects.streams.events, "stuck")).next({ expires: 2_000 });
        await message?.ackAck();
      },
    );
    await stopAlerting(alerting);
  });

  it("a stage's error rate over the threshold", async () => {
    const alerting = await startAlerting("  errorRate: { windowSeconds: 120, threshold: 0.5, minOutcomes: 4 }");
    await fireAndResolve(
      alerting,
      "error-rate:crm-writer",
      async () => {
        for (let i = 0; i < 3; i++) await insertOutcome("retrying", `E-${i}`, "crm-writer");
        await insertOutcome("applied", "E-9", "crm-writer");
      },
      async () => {
        for (let i = 0; i < 4; i++) await insertOutcome("applied", `E-ok-${i}`, "crm-writer");
      },
    );
    await stopAlerting(alerting);
  });

  it("an open circuit (as its writer reports it over the bus)", async () => {
    const { subjects } = testBus;
    const state = testBus.state();
    const circuit = createCircuit({ state, target: "onec", url: "http://onec.test/base", owner: "writer-1", logger });
    const subscription = serveCircuit(testBus.bus().nc, subjects, circuit, logger);
    const key = circuitKey("onec", "http://onec.test/base");
    const open: CircuitState = { ...closedCircuit(Date.now()), status: "open", since: Date.now(), lastCode: "ONEC_UNAVAILABLE", lastError: "HTTP 503", probeAt: Date.now() + 60_000, probeDelayMs: 5_000 };
    const alerting = await startAlerting("  circuitOpen: { forSeconds: 0 }");
    await fireAndResolve(
      alerting,
      "circuit-open:onec",
      () => state.putJson(key, open),
      () => state.putJson(key, closedCircuit(Date.now())),
    );
    subscription.unsubscribe();
    await stopAlerting(alerting);
  });

  it("no events on an active flow for the configured time", async () => {
    const { js, jsm } = testBus.bus();
    const { subjects } = testBus;
    const alerting = await startAlerting("  flowSilent: { flows: { products: 2 } }");
    // The stream is older than that by now, or soon.
    const created = Date.parse(String((await jsm.streams.info(subjects.streams.events)).created));
    await new Promise((r) => setTimeout(r, Math.max(0, created + 2_100 - Date.now())));
    await fireAndResolve(
      alerting,
      "flow-silent:products",
      () => Promise.resolve(),
      async () => void (await js.publish(subjects.event("onec", "product"), "{}")),
    );
    await stopAlerting(alerting);
  });

  it("a service not ready", async () => {
    const alerting = await startAlerting(`  serviceNotReady: { forSeconds: 0, timeoutSeconds: 1, services: [{ name: probe-svc, url: "${readyUrl}" }] }`);
    await fireAndResolve(
      alerting,
      "service-not-ready:probe-svc",
      async () => void (serviceReady = false),
      async () => void (serviceReady = true),
    );
    await stopAlerting(alerting);
  });

  it("a decision waiting longer than the threshold", async () => {
    const [mapping] = await db.sql<Array<{ id: number }>>`
      insert into id_mapping (source_system, source_entity, source_id, target_system, target_entity, created_by, decision)
      values ('bitrix24', 'company', 'C-7', 'onec', 'counterparty', 'flow', 'awaiting') returning id`;
    const alerting = await startAlerting("  decisionWaiting: { olderThanSeconds: 30 }");
    let decisionId = 0;
    await fireAndResolve(
      alerting,
      "decision-waiting:decision-1",
      async () => {
        const [row] = await db.sql<Array<{ id: number }>>`
          insert into decisions (mapping_id, source_system, source_entity, source_id, target_system, target_entity, summary, reason, candidates, opened_at)
          values (${mapping?.id ?? 0}, 'bitrix24', 'company', 'C-7', 'onec', 'counterparty', 'ООО Ромашка', 'two counterparties with INN 7701234567', '[]'::jsonb, now() - interval '1 minute')
          returning id`;
        decisionId = row?.id ?? 0;
        expect(decisionId).toBe(1);
      },
      async () => void (await db.sql`update decisions set status = 'decided', action = 'create', decided_at = now() where id = ${decisionId}`),
    );
    await stopAlerting(alerting);
  });
});

describe("state, lease and delivery", () => {
  it("a restart does not fire an active alert again; the API lists it for a viewer", async () => {
    const first = await startAlerting("  deadLetter: {}");
    await insertDeadLetter("D-2");
    const key = "dead-letter:bitrix24.deal.D-2";
    await waitFor(async () => (await first.evaluator.runOnce()) && everyChannel("fired", key, 1), { what: "fired", timeoutMs: 10_000 });
    await stopAlerting(first);
    // The same replica again, after a restart: the table says it fired.
    const second = await startAlerting("  deadLetter: {}");
    for (let i = 0; i < 3; i++) expect(await second.evaluator.runOnce()).toBe(true);
    expect(everyChannel("fired", key, 1)).toBe(true);

    const tokens = [
      { name: "dash", role: "viewer" as const, token: "viewer-token-0123456789" },
    ];
    const api = createHttpServer(createServer({ tokens, operations: fakeOperations(), audit: createAuditTrail(fakeAuditBackend(), logger), ready: () => true, logger, alerts: second }));
    const base = await listen(api);
    expect((await fetch(`${base}/api/alerts`)).status).toBe(401);
    const response = await fetch(`${base}/api/alerts?status=active`, { headers: { authorization: "Bearer viewer-token-0123456789" } });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { alerts: Array<{ key: string; status: string; deliveries: Array<{ channel: string; status: string }> }> };
    const listed = body.alerts.find((a) => a.key === key);
    expect(listed?.status).toBe("active");
    expect(listed?.deliveries.map((d) => `${d.channel}:${d.status}`).sort()).toEqual(["hook:sent", "mail:sent", "tg:sent"]);
    expect((await fetch(`${base}/api/alerts?status=nope`, { headers: { authorization: "Bearer viewer-token-0123456789" } })).status).toBe(400);
    const unconfigured = createHttpServer(createServer({ tokens, operations: fakeOperations(), audit: createAuditTrail(fakeAuditBackend(), logger), ready: () => true, logger }));
    const plain = await listen(unconfigured);
    expect((await fetch(`${plain}/api/alerts`, { headers: { authorization: "Bearer viewer-token-0123456789" } })).status).toBe(404);

    await db.sql`update dead_letters set status = 'discarded' where record_id = 'D-2'`;
    await waitFor(async () => (await second.evaluator.runOnce()) && everyChannel("resolved", key, 1), { what: "resolved", timeoutMs: 10_000 });
    await stopAlerting(second);
  });

  it("one replica evaluates at a time (the lease in the state KV)", async () => {
    const a = await startAlerting("  deadLetter: {}", { owner: "replica-a" });
    const b = await startAlerting("  deadLetter: {}", { owner: "replica-b" });
    // The earlier tests' replicas handed the lease back when they stopped.
    expect(await a.evaluator.runOnce()).toBe(true);
    expect(await b.evaluator.runOnce()).toBe(false);
    expect(await a.evaluator.runOnce()).toBe(true);
    // A replica that stops gracefully hands the lease back: b takes over at its next look.
    await stopAlerting(a);
    expect(await b.evaluator.runOnce()).toBe(true);
    // One that dies keeps it until it runs out (three intervals): c waits, then takes over.
    const c = await startAlerting("  deadLetter: {}", { owner: "replica-c" });
    expect(await c.evaluator.runOnce()).toBe(false);
    await waitFor(async () => (await c.evaluator.runOnce()) || undefined, { what: "replica-c takes over after b's lease ran out", timeoutMs: 5_000 });
    await stopAlerting(c);
    await stopAlerting(b);
  });

  it("a still-active alert reminds once the repeat interval passed, and its resolved notice ends it", async () => {
    const alerting = await startAlerting("  decisionWaiting: { olderThanSeconds: 30 }", { repeatSeconds: 0.4 });
    await waitFor(async () => (await alerting.evaluator.runOnce()) || undefined, { what: "the lease", timeoutMs: 5_000 });
    const [mapping] = await db.sql<Array<{ id: number }>>`
      insert into id_mapping (source_system, source_entity, source_id, target_system, target_entity, created_by, decision)
      values ('onec', 'counterparty', 'R-1', 'bitrix24', 'company', 'flow', 'awaiting') returning id`;
    const [row] = await db.sql<Array<{ id: number }>>`
      insert into decisions (mapping_id, source_system, source_entity, source_id, target_system, target_entity, summary, reason, candidates, opened_at)
      values (${mapping?.id ?? 0}, 'onec', 'counterparty', 'R-1', 'bitrix24', 'company', 'ИП Петров', 'two companies share the INN', '[]'::jsonb, now() - interval '1 minute')
      returning id`;
    const key = `decision-waiting:decision-${row?.id}`;
    await waitFor(async () => (await alerting.evaluator.runOnce()) && everyChannel("fired", key, 1), { what: "fired", timeoutMs: 10_000 });
    await alerting.evaluator.runOnce();
    expect(everyChannel("repeat", key, 0)).toBe(true);
    await new Promise((r) => setTimeout(r, 450));
    await waitFor(async () => (await alerting.evaluator.runOnce()) && everyChannel("repeat", key, 1), { what: "one reminder", timeoutMs: 10_000 });
    await alerting.evaluator.runOnce();
    expect(everyChannel("repeat", key, 1)).toBe(true);
    await db.sql`update decisions set status = 'decided', action = 'ignore', decided_at = now() where id = ${row?.id ?? 0}`;
    await waitFor(async () => (await alerting.evaluator.runOnce()) && everyChannel("resolved", key, 1), { what: "resolved", timeoutMs: 10_000 });
    expect((await alerting.list({ status: "resolved", limit: 10 })).alerts.find((a) => a.key === key)?.notices).toBe(2);
    await stopAlerting(alerting);
  });

  it("a first failed attempt is retried, a last one is final; no secret in an error", async () => {
    const wrongTelegram = `
channels:
  - { name: hook, type: webhook, url: "${webhookUrl}", authorizationEnv: HOOK_AUTH }
  - { name: tg-bad, type: telegram, botTokenEnv: TG_TOKEN, chatId: 999, apiBase: "${telegramBase}" }
`;
    webhookFailures = 1;
    const alerting = await startAlerting("  deadLetter: {}", { owner: "replica-1", channels: wrongTelegram, delivery: "{ maxAttempts: 2, backoffSeconds: [0.2], timeoutSeconds: 3 }" });
    await waitFor(async () => (await alerting.evaluator.runOnce()) || undefined, { what: "the lease", timeoutMs: 5_000 });
    await insertDeadLetter("D-3");
    const key = "dead-letter:bitrix24.deal.D-3";
    await alerting.evaluator.runOnce();
    const afterFirst = (await alerting.list({ status: "active", limit: 100 })).alerts.find((a) => a.key === key);
    expect(afterFirst?.deliveries.map((d) => [d.channel, d.status, d.attempts, d.lastError])).toEqual([
      ["hook", "pending", 1, "hook: webhook answered HTTP 500"],
      ["tg-bad", "pending", 1, "tg-bad: Telegram answered HTTP 401: Unauthorized"],
    ]);
    expect(logText).toMatch(/alert notice failed; will retry/);
    await waitFor(
      async () => {
        await alerting.evaluator.runOnce();
        const alert = (await alerting.list({ status: "active", limit: 100 })).alerts.find((a) => a.key === key);
        return alert?.deliveries.every((d) => d.status !== "pending") ? alert : undefined;
      },
      { what: "both deliveries settled", timeoutMs: 10_000, intervalMs: 100 },
    );
    const settled = (await alerting.list({ status: "active", limit: 100 })).alerts.find((a) => a.key === key);
    expect(settled?.deliveries.map((d) => [d.channel, d.status, d.attempts])).toEqual([
      ["hook", "sent", 2],
      ["tg-bad", "failed", 2],
    ]);
    expect(count("webhook", "fired", key)).toBe(1);
    expect(logText).toMatch(/alert notice failed for good/);
    expect(webhookAuth.every((a) => a === HOOK_AUTH)).toBe(true);
    expect(JSON.stringify(settled)).not.toContain(TG_TOKEN);
    await stopAlerting(alerting);
  });
});

import { loadConfig } from "@concord/config";
import { connectBus, ensureStreams, type Bus } from "@concord/bus";
import { ChangeEventSchema, createSubjects, type ChangeEvent, type Subjects } from "@concord/contracts";
import { createLogger, initTracing, type Logger } from "@concord/telemetry";
import { testNatsUrl, uniqueNamespace } from "@concord/testkit";
import { createApp, type AppDeps, type IngressApp } from "./app";
import { ingressConfigSchema, type IngressConfig } from "./config";
import { signStandardWebhook } from "./signature";

/** Helpers for the integration tests: an ingress on port 0 against the real NATS, in its own namespace. */

export const TEST_TOKEN = "b24-app-token-for-tests-7c41";
export const TEST_SECRET = `whsec_${Buffer.from("ingress-integration-key-32-bytes").toString("base64")}`;

export function testConfig(namespace: string, overrides: Record<string, string> = {}): IngressConfig {
  return loadConfig(ingressConfigSchema, {
    NATS_URL: testNatsUrl(),
    CONCORD_NAMESPACE: namespace,
    INGRESS_PORT: "0",
    B24_APPLICATION_TOKEN: TEST_TOKEN,
    ONEC_WEBHOOK_SECRET: TEST_SECRET,
    LOG_LEVEL: "debug",
    ...overrides,
  });
}

/** A logger that keeps every line (as JSON) instead of printing it, so tests can grep the logs. */
export function capturingLogger(): { logger: Logger; lines: string[] } {
  const logger = createLogger("ingress-test", "debug");
  for (const transport of logger.transports) transport.silent = true;
  const lines: string[] = [];
  logger.on("data", (info: unknown) => lines.push(JSON.stringify(info)));
  return { logger, lines };
}

export interface RunningIngress {
  app: IngressApp;
  origin: string;
  subjects: Subjects;
  /** The test's own connection, for looking into the streams. */
  bus: Bus;
  lines: string[];
  messages(stream?: string): Promise<number>;
  /** Every message of the EVENTS stream, parsed: one that is not a valid ChangeEvent throws. */
  storedEvents(): Promise<Array<{ event: ChangeEvent; msgId: string; subject: string }>>;
  stop(): Promise<void>;
}

export async function startIngress(overrides: Record<string, string> = {}, deps: AppDeps = {}): Promise<RunningIngress> {
  initTracing("ingress-test");
  const namespace = uniqueNamespace("ing");
  const config = testConfig(namespace, overrides);
  const subjects = createSubjects(namespace);
  const bus = await connectBus(testNatsUrl(), "ingress-test");
  await ensureStreams(bus.jsm, subjects);
  const { logger, lines } = capturingLogger();
  const app = createApp(config, { logger, ...deps });
  const { port } = await app.start();
  return {
    app,
    origin: `http://127.0.0.1:${port}`,
    subjects,
    bus,
    lines,
    messages: async (stream = subjects.streams.events) => (await bus.jsm.streams.info(stream)).state.messages,
    async storedEvents() {
      const stream = subjects.streams.events;
      const { state } = await bus.jsm.streams.info(stream);
      const stored = [];
      for (let seq = state.first_seq; seq <= state.last_seq; seq++) {
        const message = await bus.jsm.streams.getMessage(stream, { seq });
        if (message) stored.push({ event: ChangeEventSchema.parse(message.json()), msgId: message.header.get("Nats-Msg-Id"), subject: message.subject });
      }
      return stored;
    },
    async stop() {
      await app.stop();
      for (const name of Object.values(subjects.streams)) await bus.jsm.streams.delete(name).catch(() => undefined);
      await bus.nc.close();
    },
  };
}

export function bitrix24Fields(overrides: Record<string, string | undefined> = {}): Record<string, string> {
  const fields: Record<string, string | undefined> = {
    event: "ONCRMDEALUPDATE",
    event_handler_id: "3",
    "data[FIELDS][ID]": "759",
    ts: "1736405807",
    "auth[domain]": "example.bitrix24.ru",
    "auth[client_endpoint]": "https://example.bitrix24.ru/rest/",
    "auth[server_endpoint]": "https://oauth.bitrix.info/rest/",
    "auth[member_id]": "a1b2c3d4e5",
    "auth[application_token]": TEST_TOKEN,
    ...overrides,
  };
  return Object.fromEntries(Object.entries(fields).filter((e): e is [string, string] => e[1] !== undefined));
}

export interface HttpAnswer {
  status: number;
  headers: Headers;
  json: Record<string, unknown>;
}

async function answer(response: Response): Promise<HttpAnswer> {
  const text = await response.text();
  return { status: response.status, headers: response.headers, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

export async function postForm(origin: string, body: string | Record<string, string>): Promise<HttpAnswer> {
  const encoded = typeof body === "string" ? body : new URLSearchParams(body).toString();
  return answer(
    await fetch(`${origin}/webhooks/bitrix24`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: encoded,
    }),
  );
}

export interface SignedPost {
  id?: string;
  timestamp?: number;
  secret?: string;
  signature?: string;
  headers?: Record<string, string>;
}

export async function postOnec(origin: string, body: string, options: SignedPost = {}): Promise<HttpAnswer> {
  const id = options.id ?? `msg_${Math.random().toString(36).slice(2)}`;
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
  const signature = options.signature ?? signStandardWebhook(options.secret ?? TEST_SECRET, id, timestamp, body);
  return answer(
    await fetch(`${origin}/webhooks/1c`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "webhook-id": id,
        "webhook-timestamp": String(timestamp),
        "webhook-signature": signature,
        ...options.headers,
      },
      body,
    }),
  );
}

export async function request(origin: string, path: string, init: RequestInit = {}): Promise<HttpAnswer> {
  return answer(await fetch(`${origin}${path}`, init));
}

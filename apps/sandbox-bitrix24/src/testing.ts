// Helpers for this app's integration tests: an in-process sandbox on port 0 and a tiny event sink.

import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { createSandbox, type Sandbox } from "./app";
import { defaultConfig, type SandboxConfig } from "./config";

export interface RestReply {
  status: number;
  body: Record<string, unknown> & { result?: unknown; error?: string; error_description?: string; total?: number; next?: number };
}

export interface TestSandbox {
  sandbox: Sandbox;
  /** POST JSON to /rest/<user>/<token>/<method>. */
  call(method: string, params?: unknown, headers?: Record<string, string>): Promise<RestReply>;
  /** POST application/x-www-form-urlencoded (a raw, already encoded body). */
  callForm(method: string, form: string): Promise<RestReply>;
  /** GET with a raw query string. */
  callGet(method: string, query?: string): Promise<RestReply>;
  // Tests dig into admin JSON freely; typing every admin shape here would add nothing.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  admin(httpMethod: string, path: string, body?: unknown): Promise<{ status: number; body: any }>;
  stop(): Promise<void>;
}

async function reply(res: Response): Promise<RestReply> {
  return { status: res.status, body: (await res.json()) as RestReply["body"] };
}

/** Rate limit effectively off unless the test asks for it; no event handler unless given. */
export async function startTestSandbox(overrides: Partial<SandboxConfig> = {}): Promise<TestSandbox> {
  const sandbox = createSandbox(
    defaultConfig({ port: 0, eventHandlerUrl: null, rateCapacity: 1_000_000, rateDrainPerSec: 1000, ...overrides }),
  );
  await sandbox.start();
  const url = (method: string) => `${sandbox.webhookUrl()}${method}`;
  return {
    sandbox,
    call: async (method, params = {}, headers = {}) =>
      reply(await fetch(url(method), { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(params) })),
    callForm: async (method, form) =>
      reply(await fetch(url(method), { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: form })),
    callGet: async (method, query = "") => reply(await fetch(`${url(method)}${query ? `?${query}` : ""}`)),
    admin: async (httpMethod, path, body) => {
      const res = await fetch(`${sandbox.baseUrl()}/admin${path}`, {
        method: httpMethod,
        headers: body === undefined ? {} : { "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: res.status, body: (await res.json()) as unknown };
    },
    stop: () => sandbox.stop(),
  };
}

export interface ReceivedEvent {
  headers: IncomingHttpHeaders;
  raw: string;
  form: URLSearchParams;
}

export interface EventSink {
  url: string;
  received: ReceivedEvent[];
  /** HTTP status the sink answers with (default 200). */
  status: number;
  close(): Promise<void>;
}

export async function startEventSink(): Promise<EventSink> {
  const sink: EventSink = { url: "", received: [], status: 200, close: async () => undefined };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const raw = Buffer.concat(chunks).toString("utf8");
      sink.received.push({ headers: req.headers, raw, form: new URLSearchParams(raw) });
      res.statusCode = sink.status;
      res.end("ok");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  sink.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/bitrix24`;
  sink.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return sink;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

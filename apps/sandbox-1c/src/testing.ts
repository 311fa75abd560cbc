import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createSandbox, type Sandbox, type SandboxOptions } from "./app";
import { parseConfig, type SandboxConfig } from "./config";

/** Helpers for the integration tests: an in-process sandbox on port 0 and a webhook receiver. */

export const TEST_USER = "concord";
export const TEST_PASSWORD = "sandbox-1c-password";
export const AUTH = `Basic ${Buffer.from(`${TEST_USER}:${TEST_PASSWORD}`, "utf8").toString("base64")}`;

export interface RunningSandbox {
  sandbox: Sandbox;
  config: SandboxConfig;
  origin: string;
  root: string;
  stop(): Promise<void>;
}

/** `overrides` change the config (e.g. `timeZone`, `versionCheck`); `options.now` fakes the clock. */
export async function startSandbox(overrides: Partial<SandboxConfig> = {}, options: SandboxOptions = {}): Promise<RunningSandbox> {
  const parsed = parseConfig({ ONEC_SANDBOX_PORT: "0", ONEC_SANDBOX_NOTIFY_URL: "" });
  if (!parsed.ok) throw new Error(parsed.error);
  const config: SandboxConfig = { ...parsed.value, ...overrides };
  const sandbox = createSandbox(config, options);
  const { port } = await sandbox.start();
  const origin = `http://127.0.0.1:${port}`;
  return { sandbox, config, origin, root: `${origin}/${config.base}/odata/standard.odata/`, stop: () => sandbox.stop() };
}

export interface ODataResponse {
  status: number;
  headers: Headers;
  text: string;
  json: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** A request to the OData root; `path` may hold raw Cyrillic (fetch percent-encodes it as UTF-8). */
export async function odata(root: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<ODataResponse> {
  const res = await fetch(root + path, {
    method,
    headers: { authorization: AUTH, ...(body === undefined ? {} : { "content-type": "application/json" }), ...headers },
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json: unknown = undefined;
  try {
    json = text === "" ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

export interface ReceivedWebhook {
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
}

export interface Receiver {
  url: string;
  received: ReceivedWebhook[];
  /** Status codes to answer, in order; when exhausted, 200. */
  script: number[];
  waitFor(count: number, timeoutMs?: number): Promise<ReceivedWebhook[]>;
  close(): Promise<void>;
}

export async function startReceiver(): Promise<Receiver> {
  const received: ReceivedWebhook[] = [];
  const script: number[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString("utf8"), at: Date.now() });
      const status = script.shift() ?? 200;
      res.statusCode = status;
      res.end(status < 300 ? "ok" : "fail");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/webhooks/1c`,
    received,
    script,
    waitFor: async (count, timeoutMs = 5000) => {
      const deadline = Date.now() + timeoutMs;
      while (received.length < count) {
        if (Date.now() > deadline) throw new Error(`expected ${count} webhooks, got ${received.length}`);
        await sleep(20);
      }
      return received.slice();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

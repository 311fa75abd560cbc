import type { DeadLetterRecord } from "@concord/contracts";
import { buildProgram } from "./program";
import { printable } from "./printable";

const ESC = "\u001b";
const evil = `SKU-1${ESC}]0;owned${"\u0007"}${ESC}[2J${ESC}[1A\r\u009b31m\u202eevil`;

const letter: DeadLetterRecord = {
  id: 7,
  dlqStreamSeq: 1,
  stage: "onec-writer",
  subject: "concord.commands.onec.order",
  stream: "COMMANDS",
  streamSeq: 3,
  messageId: `cmd:${evil}`,
  original: { data: JSON.stringify({ sku: evil }), headers: {} },
  errorKind: "permanent",
  errorCode: `PRODUCT_NOT_FOUND${ESC}[8m`,
  errorMessage: `product ${evil} is not in 1C`,
  failureClass: "business",
  attempts: 1,
  firstFailedAt: "2026-05-01T12:00:00.000Z",
  lastFailedAt: "2026-05-01T12:00:00.000Z",
  traceId: null,
  flow: "bitrix24.deal→onec.order",
  system: "bitrix24",
  entity: "deal",
  recordId: `42${ESC}[2K`,
  status: "discarded",
  retryOf: null,
  retryCount: 0,
  retriedAt: null,
  discardedAt: "2026-05-01T12:00:00.000Z",
  discardReason: `done ${evil}`,
  resolvedAt: null,
  createdAt: "2026-05-01T12:00:00.000Z",
};

async function run(...args: string[]): Promise<string> {
  const printed: string[] = [];
  const fetchStub = (async (url: string) => {
    const path = new URL(url).pathname;
    const body = path === "/api/dlq" ? { deadLetters: [letter], total: 1 } : { deadLetter: letter, history: [letter], audit: [] };
    return new Response(JSON.stringify(body), { status: 200, headers: { "content-type": "application/json" } });
  }) as typeof fetch;
  const program = buildProgram({ env: { CONCORD_API_TOKEN: "test-token-0123456789" }, out: (t) => printed.push(t), confirm: () => Promise.resolve(false), fetch: fetchStub });
  program.exitOverride();
  await program.parseAsync(["node", "concord", ...args]);
  return printed.join("\n");
}

const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

describe("no terminal escape sequence from data reaches the CLI's output", () => {
  it.each([["dlq", "list"], ["dlq", "show", "7"], ["dlq", "list", "--json"], ["dlq", "show", "7", "--json"]])("%s %s %s", async (...args) => {
    const text = await run(...args);
    expect(text).toContain("SKU-1");
    expect(text).not.toMatch(CONTROL);
  });

  it("keeps newlines and text, replaces controls visibly", () => {
    expect(printable(`a\tb\nc${ESC}[31md\r\n`)).toBe("a b\nc\uFFFD[31md\n");
  });
});

describe("in production the CLI refuses the demo token and plain http to the console", () => {
  it("names the variable", async () => {
    const program = buildProgram({
      env: { NODE_ENV: "production", CONCORD_API_TOKEN: "demo-console-token", CONCORD_CONSOLE_URL: "http://console.example" },
      out: () => undefined,
      confirm: () => Promise.resolve(false),
      fetch: (() => Promise.reject(new Error("must not be called"))) as typeof fetch,
    });
    program.exitOverride();
    await expect(program.parseAsync(["node", "concord", "dlq", "list"])).rejects.toThrow(/CONCORD_CONSOLE_URL: plain http.*CONCORD_API_TOKEN: is \(or contains\) a demo value/);
  });
});

describe("dlq show prints the audit trail of the dead letter", () => {
  it("who did what, newest first", async () => {
    const printed: string[] = [];
    const audit = [{ id: 2, at: "2026-05-02T09:00:00.000Z", actor: "alice", role: "operator", action: "dlq.retry", targetKind: "dead-letter", targetId: "7", result: "ok", detail: "republished", traceId: null }];
    const fetchStub = (() => Promise.resolve(new Response(JSON.stringify({ deadLetter: letter, history: [letter], audit }), { status: 200 }))) as typeof fetch;
    const program = buildProgram({ env: { CONCORD_API_TOKEN: "test-token-0123456789" }, out: (t) => printed.push(t), confirm: () => Promise.resolve(false), fetch: fetchStub });
    program.exitOverride();
    await program.parseAsync(["node", "concord", "dlq", "show", "7"]);
    expect(printed.join("\n")).toMatch(/audit \(newest first\):\n {2}2026-05-02 09:00:00Z {2}alice \(operator\) {2}dlq\.retry {2}ok {2}republished/);
  });
});

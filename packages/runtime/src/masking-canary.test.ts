import { PassThrough } from "node:stream";
import { rpcErrorReply } from "@concord/bus";
import { createLogger, installProcessHandlers, masker, maskedErrorText } from "@concord/telemetry";

/**
 * One canary through every path named in issue 12 (finding 5): whatever way it is logged or
 * replied, the canary never comes out.
 */
const CANARY = "canary-5ecret-7f3a9";
const KNOWN = "known-canary-value-42";
masker.addSecrets([KNOWN]);

function capture() {
  const stream = new PassThrough();
  const chunks: string[] = [];
  stream.on("data", (c: Buffer) => chunks.push(c.toString("utf8")));
  const logger = createLogger("canary", "debug", stream);
  return { logger, output: async () => {
    await new Promise((r) => setImmediate(r));
    return chunks.join("");
  } };
}

describe("no canary through any logging path", () => {
  it.each<[string, (log: ReturnType<typeof createLogger>) => void]>([
    ["top-level field named like a secret", (log) => log.info("x", { password: CANARY, ONEC_PASSWORD: CANARY, apiToken: 1, token: CANARY })],
    ["error nested in an object", (log) => log.warn("x", { failure: { error: new Error(`GET https://u:${CANARY}@1c.local/odata failed`) } })],
    ["error nested in an array", (log) => log.warn("x", { errors: [new Error(`see https://p.bitrix24.ru/rest/1/${CANARY}/crm.deal.get`)] })],
    ["error as the log meta itself", (log) => log.error(new Error(`authorization: bearer ${CANARY}`))],
    ["lowercase basic/bearer", (log) => log.info(`authorization: basic ${CANARY} and Authorization: bearer ${CANARY}`)],
    ["a JSON-escaped URL", (log) => log.info("x", { body: JSON.stringify({ u: `https://p.bitrix24.ru/rest/1/${CANARY}/x` }).replace(/\//g, "\\/") })],
    ["a percent-encoded URL", (log) => log.info("x", { next: encodeURIComponent(`https://p.bitrix24.ru/rest/1/${CANARY}/x`) })],
    ["a known value anywhere, any depth", (log) => {
      let deep: Record<string, unknown> = { v: KNOWN, password: CANARY };
      for (let i = 0; i < 30; i++) deep = { d: deep };
      log.info(`message with ${KNOWN}`, { deep });
    }],
    ["an error's cause", (log) => log.error("x", { error: new Error("outer", { cause: new Error(`inner https://a:${CANARY}@h/`) }) })],
  ])("%s", async (_name, write) => {
    const { logger, output } = capture();
    write(logger);
    const text = await output();
    expect(text.length).toBeGreaterThan(0);
    expect(text).not.toContain(CANARY);
    expect(text).not.toContain(KNOWN);
  });

  it("stack traces reach stderr only masked; an uncaught exception is logged masked", async () => {
    const error = new Error(`connect nats://svc:${CANARY}@127.0.0.1:4222 ${KNOWN}`);
    expect(maskedErrorText(error)).not.toContain(CANARY);
    expect(maskedErrorText(error)).not.toContain(KNOWN);
    const { logger, output } = capture();
    const before = process.listeners("uncaughtException");
    let exitCode: number | null = null;
    installProcessHandlers(logger, (code) => (exitCode = code));
    const added = process.listeners("uncaughtException").filter((l) => !before.includes(l));
    for (const l of added) (l as (e: Error) => void)(error);
    for (const l of added) process.off("uncaughtException", l);
    for (const l of process.listeners("unhandledRejection").slice(-1)) process.off("unhandledRejection", l);
    expect(exitCode).toBe(1);
    const text = await output();
    expect(text).toContain("uncaught exception");
    expect(text).not.toContain(CANARY);
  });

  it("RPC error replies that reach the console are masked", () => {
    const reply = rpcErrorReply(new Error(`1C said: https://svc:${CANARY}@1c/ ${KNOWN}`));
    expect(JSON.stringify(reply)).not.toContain(CANARY);
    expect(JSON.stringify(reply)).not.toContain(KNOWN);
    expect(reply).toMatchObject({ ok: false, error: { code: "INTERNAL", kind: "retryable" } });
  });
});

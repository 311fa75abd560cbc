import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { ErrorCatalog, catalogEntry, classifyError, isCatalogued } from "./error-catalog";
import { permanent, retryable } from "./errors";

const root = resolve(__dirname, "../../..");

function sourceFiles(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    if (name === "node_modules" || name === "dist" || name.startsWith(".")) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) sourceFiles(path, out);
    else if (name.endsWith(".ts") && !name.endsWith(".test.ts") && !name.endsWith(".d.ts")) out.push(path);
  }
  return out;
}

describe("the error catalog", () => {
  it("holds every literal code the services raise", () => {
    const dirs = ["apps", "packages"].map((d) => join(root, d)).filter((d) => statSync(d, { throwIfNoEntry: false })?.isDirectory());
    const files = dirs.flatMap((d) => sourceFiles(d)).filter((f) => !f.includes("sandbox-") && !f.includes("testkit"));
    const missing = new Set<string>();
    for (const file of files) {
      const text = readFileSync(file, "utf8");
      for (const match of text.matchAll(/\b(?:retryable|permanent)\(\s*"([A-Z0-9_]+)"/g)) {
        const code = match[1]!;
        if (!isCatalogued(code)) missing.add(`${code} (${file.slice(root.length + 1)})`);
      }
    }
    expect([...missing]).toEqual([]);
  });

  it("gives every target-scope code a system and a trip rule, and no other code one", () => {
    for (const [code, entry] of Object.entries(ErrorCatalog)) {
      const e = entry as { scope: string; system?: string; trip?: string };
      if (e.scope === "target" && code !== "CIRCUIT_OPEN") {
        expect([code, typeof e.system, typeof e.trip]).toEqual([code, "string", "string"]);
      } else if (e.scope !== "target") {
        expect([code, e.system, e.trip]).toEqual([code, undefined, undefined]);
      }
    }
  });

  it.each([
    ["B24_QUERY_LIMIT_EXCEEDED", "target", "retryable", "at-once"],
    ["B24_UNAUTHORIZED", "target", "permanent", "at-once"],
    ["B24_HTTP_503", "target", "retryable", "distinct-records"],
    ["B24_HTTP_500", "target", "retryable", "distinct-records"],
    ["B24_NETWORK", "target", "retryable", "distinct-records"],
    ["B24_ACCESS_DENIED_FOR_FIELD", "record", "business", undefined],
    ["ONEC_HTTP_503", "target", "retryable", "distinct-records"],
    ["ONEC_HTTP_429", "target", "retryable", "at-once"],
    ["ONEC_NETWORK", "target", "retryable", "distinct-records"],
    ["ONEC_UNAUTHORIZED", "target", "permanent", "at-once"],
    ["ONEC_LOCKED", "record", "retryable", undefined],
    ["ONEC_REJECTED", "record", "business", undefined],
    ["ONEC_INVALID_9", "record", "business", undefined],
    ["PRODUCT_NOT_FOUND", "record", "business", undefined],
    ["LEASE_BUSY", "pipeline", "retryable", undefined],
    ["RPC_UNAVAILABLE", "pipeline", "retryable", undefined],
    ["JS_CONSUMER_NOT_FOUND", "pipeline", "retryable", undefined],
    ["SOMETHING_NEW", "record", "retryable", undefined],
  ])("%s is %s, %s", (code, scope, kind, trip) => {
    const entry = catalogEntry(code);
    expect({ scope: entry.scope, kind: entry.kind, trip: entry.trip }).toEqual({ scope, kind, trip });
  });

  it("classifies thrown values by their code only", () => {
    expect(classifyError(retryable("B24_QUERY_LIMIT_EXCEEDED", "anything at all")).scope).toBe("target");
    // the text says "rate limit", the code does not: the code decides
    expect(classifyError(permanent("ONEC_REJECTED", "429 rate limit exceeded")).scope).toBe("record");
    expect(classifyError(new Error("ECONNREFUSED"))).toMatchObject({ code: "UNCLASSIFIED", scope: "record", kind: "retryable" });
  });
});

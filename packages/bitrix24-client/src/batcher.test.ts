import fc from "fast-check";
import { plainStatusOf, splitBatchAnswer, takeGroup, toBatchCommand } from "./batcher";
import { classifyBitrix24Error } from "./classify";

/** PHP parse_str, as the portal reads a command's query (and as the sandbox does): brackets nest. */
function parseStr(query: string): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const [key, value] of new URLSearchParams(query)) {
    const path = [key.slice(0, key.includes("[") ? key.indexOf("[") : undefined), ...[...key.matchAll(/\[([^\]]*)\]/g)].map((m) => m[1] as string)];
    let node = root;
    path.forEach((segment, i) => {
      if (i === path.length - 1) node[segment] = value;
      else node = (node[segment] ??= {}) as Record<string, unknown>;
    });
  }
  return root;
}

/** What PHP sees after json_decode of the plain call's body, scalars as parse_str gives them. */
function asPhpStrings(value: unknown): unknown {
  if (Array.isArray(value)) return Object.fromEntries(value.map((v, i) => [String(i), asPhpStrings(v)]));
  if (typeof value === "object" && value !== null) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, asPhpStrings(v)]));
  if (typeof value === "boolean") return value ? "1" : "0";
  return String(value);
}

describe("toBatchCommand", () => {
  it("writes params as PHP http_build_query does: brackets for nesting, indexes for lists", () => {
    expect(toBatchCommand("crm.deal.update", { id: 5, fields: { TITLE: "x", UF_CRM_ONEC_PAYMENT: "Оплачен" } })).toBe(
      "crm.deal.update?id=5&fields[TITLE]=x&fields[UF_CRM_ONEC_PAYMENT]=%D0%9E%D0%BF%D0%BB%D0%B0%D1%87%D0%B5%D0%BD",
    );
    expect(toBatchCommand("crm.deal.list", { select: ["ID", "TITLE"], filter: { ">ID": 10, ORIGIN_ID: "a b&c=d+e%" }, start: -1 })).toBe(
      "crm.deal.list?select[0]=ID&select[1]=TITLE&filter[%3EID]=10&filter[ORIGIN_ID]=a%20b%26c%3Dd%2Be%25&start=-1",
    );
    expect(toBatchCommand("crm.deal.productrows.set", { id: "7", rows: [{ PRODUCT_ID: 3, PRICE: 10.5, QUANTITY: 2 }] })).toBe(
      "crm.deal.productrows.set?id=7&rows[0][PRODUCT_ID]=3&rows[0][PRICE]=10.5&rows[0][QUANTITY]=2",
    );
  });

  it("sends true/false as 1/0, skips undefined, and a call without params is the bare method", () => {
    expect(toBatchCommand("crm.deal.add", { fields: { OPENED: true, CLOSED: false, COMMENTS: undefined } })).toBe("crm.deal.add?fields[OPENED]=1&fields[CLOSED]=0");
    expect(toBatchCommand("crm.deal.fields", {})).toBe("crm.deal.fields");
  });

  it.each([
    ["a null (JSON says 'set empty'; http_build_query would drop it)", { id: 1, fields: { COMMENTS: null } }],
    ["an empty list (CONTACT_IDS: [] clears the contacts)", { id: 1, fields: { CONTACT_IDS: [] } }],
    ["an empty object", { id: 1, fields: {} }],
    ["a $result reference the portal would substitute", { id: 1, fields: { TITLE: "price $result[a]" } }],
    ["a bracket in a key", { filter: { "a[b]": 1 } }],
    ["a top-level key parse_str would rename", { "a.b": 1 }],
    ["something that is not plain data", { id: 1, fields: { DATE: new Date(0) } }],
    ["a number JSON cannot carry", { id: Number.NaN }],
  ])("gives null (the call goes alone) for %s", (_, params) => {
    expect(toBatchCommand("crm.deal.update", params as Record<string, unknown>)).toBeNull();
  });

  it("never batches a batch", () => {
    expect(toBatchCommand("batch", { cmd: { a: "crm.deal.get?id=1" } })).toBeNull();
  });

  it("round-trips: parse_str of the command gives the params the plain call would have sent", () => {
    const key = fc.string({ minLength: 1, maxLength: 6 }).filter((k) => !/[[\]]/.test(k));
    const scalar = fc.oneof(fc.string().filter((s) => !s.includes("$result")), fc.integer(), fc.boolean(), fc.double({ noNaN: true, noDefaultInfinity: true }));
    const { value } = fc.letrec((tie) => ({
      value: fc.oneof({ depthSize: "small" }, scalar, fc.array(tie("value"), { minLength: 1, maxLength: 3 }), fc.dictionary(key, tie("value"), { minKeys: 1, maxKeys: 3 })),
    }));
    const topKey = key.filter((k) => !/[. ]/.test(k) && k !== "__proto__");
    fc.assert(
      fc.property(fc.dictionary(topKey, value, { maxKeys: 4 }), (params) => {
        const command = toBatchCommand("crm.deal.update", params);
        if (command === null) return; // a nested key fast-check made "__proto__" etc.
        const q = command.indexOf("?");
        expect(parseStr(q < 0 ? "" : command.slice(q + 1))).toEqual(asPhpStrings(params));
      }),
      { numRuns: 300 },
    );
  });
});

describe("splitBatchAnswer", () => {
  const answer = {
    result: {
      result: { c0: true, c2: [{ ID: "1" }] },
      result_error: { c1: { error: "", error_description: "Not found" } },
      result_total: { c2: 120 },
      result_next: { c2: 50 },
      result_time: { c0: { duration: 0.01 } },
    },
    time: {},
  };

  it("gives each command the body its plain call would have had, or its error", () => {
    const parts = splitBatchAnswer(answer, ["c0", "c1", "c2", "c3"]);
    expect(parts?.get("c0")).toEqual({ ok: true, body: { result: true, time: { duration: 0.01 } } });
    expect(parts?.get("c1")).toEqual({ ok: false, error: { error: "", error_description: "Not found" } });
    expect(parts?.get("c2")).toEqual({ ok: true, body: { result: [{ ID: "1" }], total: 120, next: 50 } });
    expect(parts?.get("c3")).toEqual({ ok: false, error: null });
  });

  it("reads PHP's empty sections ([]) as empty", () => {
    const parts = splitBatchAnswer({ result: { result: [], result_error: { c0: { error: "QUERY_LIMIT_EXCEEDED", error_description: "Too many requests" } }, result_total: [], result_next: [], result_time: [] } }, ["c0"]);
    expect(parts?.get("c0")).toEqual({ ok: false, error: { error: "QUERY_LIMIT_EXCEEDED", error_description: "Too many requests" } });
  });

  it("is null for an answer without the sections", () => {
    expect(splitBatchAnswer({ result: true }, ["c0"])).toBeNull();
    expect(splitBatchAnswer(undefined, ["c0"])).toBeNull();
  });
});

describe("plainStatusOf", () => {
  it.each([
    ["QUERY_LIMIT_EXCEEDED", "Too many requests", "retryable", "B24_QUERY_LIMIT_EXCEEDED"],
    ["OPERATION_TIME_LIMIT", "Method is blocked due to operation time limit.", "retryable", "B24_OPERATION_TIME_LIMIT"],
    ["OVERLOAD_LIMIT", "", "retryable", "B24_OVERLOAD_LIMIT"],
    ["INTERNAL_SERVER_ERROR", "Internal server error", "retryable", "B24_HTTP_500"],
    ["NO_AUTH_FOUND", "Wrong authorization data", "permanent", "B24_UNAUTHORIZED"],
    ["insufficient_scope", "", "permanent", "B24_FORBIDDEN"],
    ["ERROR_METHOD_NOT_FOUND", "Method not found!", "permanent", "B24_METHOD_NOT_FOUND"],
    ["", "Not found", "permanent", "B24_NOT_FOUND"],
    ["", "ID is not defined or invalid", "permanent", "B24_REJECTED"],
    ["ERROR_CORE", "The parameter id is invalid or not defined.", "permanent", "B24_ERROR_CORE"],
  ])("a command's %j %j classifies as the plain call's: %s %s", (code, description, kind, expected) => {
    const error = classifyBitrix24Error(plainStatusOf(code), { error: code, error_description: description }, null, "crm.deal.update");
    expect(error.kind).toBe(kind);
    expect(error.code).toBe(expected);
  });
});

describe("takeGroup", () => {
  const call = (name: string, batchable = true) => ({ method: name, params: {}, command: batchable ? name : null });

  it("takes the oldest call and up to batchMax - 1 more batchable ones, leaving the rest in order", () => {
    const queue = [call("a"), call("b"), call("x", false), call("c"), call("d")];
    expect(takeGroup(queue, 3).map((c) => c.method)).toEqual(["a", "b", "c"]);
    expect(queue.map((c) => c.method)).toEqual(["x", "d"]);
  });

  it("sends a call that cannot be batched alone, and batchMax 1 turns batching off", () => {
    const queue = [call("x", false), call("a")];
    expect(takeGroup(queue, 50).map((c) => c.method)).toEqual(["x"]);
    expect(takeGroup([call("a"), call("b")], 1).map((c) => c.method)).toEqual(["a"]);
    expect(takeGroup([], 50)).toEqual([]);
  });
});

import { alertFlows, bucketStarts, classifyFlow, describeReason, formatSince, pauseCauseOf, type FlowFacts, type Reason } from "./flow-health";
import { subjectMatches } from "./flow-facts";

const NOW = Date.parse("2026-05-01T10:00:00.000Z");
const TZ = "Europe/Moscow"; // UTC+3: 10:00Z reads 13:00
const minutesAgo = (m: number) => new Date(NOW - m * 60_000).toISOString();

/** A live flow with nothing wrong: circuits closed, outcomes all done, nothing waiting, no dead letters. */
function facts(over: Partial<FlowFacts> = {}): FlowFacts {
  return {
    flow: "orders.crmToOnec",
    mode: { mode: "live", since: null, by: null },
    circuits: [{ target: "onec", status: "closed", since: null, lastCode: null, lastError: null }],
    lastHour: { ok: 40, failed: 0, retries: 0 },
    deadLetters: { open: 0, newLastHour: 0 },
    backlog: { waiting: 0, capped: false, oldestAt: null },
    ...over,
  };
}

const kinds = (reasons: Reason[]) => reasons.map((r) => r.kind);

describe("classifyFlow", () => {
  it("is healthy when every outcome went through and nothing waits, and says how many", () => {
    const health = classifyFlow(facts(), NOW);
    expect(health).toEqual({ state: "healthy", reasons: [{ kind: "ok", handled: 40 }] });
    expect(describeReason("en", health.reasons[0]!, TZ, NOW)).toBe("40 changes in the last hour, all went through");
    expect(describeReason("en", { kind: "ok", handled: 0 }, TZ, NOW)).toBe("no changes in the last hour");
  });

  it("is paused while a target's circuit is open, with the cause and since when in words", () => {
    const health = classifyFlow(facts({ circuits: [{ target: "onec", status: "open", since: "2026-05-01T09:14:00.000Z", lastCode: "ONEC_NETWORK", lastError: "connect ECONNREFUSED" }] }), NOW);
    expect(health.state).toBe("paused");
    expect(health.reasons[0]).toEqual({ kind: "target-paused", target: "onec", cause: "unreachable", since: "2026-05-01T09:14:00.000Z", code: "ONEC_NETWORK" });
    expect(describeReason("en", health.reasons[0]!, TZ, NOW)).toBe("1C is not answering since 12:14: changes wait, nothing is lost");
    expect(describeReason("ru", health.reasons[0]!, TZ, NOW)).toBe("1С не отвечает с 12:14: изменения ждут, ничего не теряется");
  });

  it("reads Bitrix24's rate-limit codes as its request limit", () => {
    const health = classifyFlow(facts({ flow: "products", circuits: [{ target: "bitrix24", status: "open", since: minutesAgo(3), lastCode: "B24_QUERY_LIMIT_EXCEEDED", lastError: "QUERY_LIMIT_EXCEEDED" }] }), NOW);
    expect(health.state).toBe("paused");
    expect(describeReason("en", health.reasons[0]!, TZ, NOW)).toBe("Bitrix24 request limit reached since 12:57: changes wait, nothing is lost");
    expect(describeReason("ru", health.reasons[0]!, TZ, NOW)).toMatch(/^Битрикс24: исчерпан лимит запросов с 12:57/);
  });

  it("is failing with dead letters of the last hour — over paused and over dry-run too", () => {
    const failing = facts({ deadLetters: { open: 3, newLastHour: 3 }, mode: { mode: "dry-run", since: minutesAgo(60), by: "root" }, circuits: [{ target: "onec", status: "open", since: minutesAgo(5), lastCode: "ONEC_TIMEOUT", lastError: null }] });
    const health = classifyFlow(failing, NOW);
    expect(health.state).toBe("failing");
    expect(kinds(health.reasons)).toEqual(["dead-letters-new", "target-paused", "dry-run"]);
    expect(describeReason("en", health.reasons[0]!, TZ, NOW)).toBe("3 dead letters in the last hour");
    expect(describeReason("en", { kind: "dead-letters-new", count: 1 }, TZ, NOW)).toBe("1 dead letter in the last hour");
    expect(describeReason("ru", health.reasons[0]!, TZ, NOW)).toBe("в очереди ошибок за последний час: 3");
  });

  it.each([
    [{ ok: 7, failed: 3, retries: 0 }, "failing"],
    [{ ok: 2, failed: 2, retries: 0 }, "healthy"], // fewer than 3 failures: not yet
    [{ ok: 97, failed: 3, retries: 0 }, "healthy"], // 3 %: below the share
    [{ ok: 0, failed: 0, retries: 0 }, "healthy"],
  ])("judges the hour's failures %j as %s", (lastHour, state) => {
    expect(classifyFlow(facts({ lastHour }), NOW).state).toBe(state);
  });

  it("is dry-run in dry-run, saying since when and who set it", () => {
    const health = classifyFlow(facts({ mode: { mode: "dry-run", since: "2026-04-30T07:30:00.000Z", by: "root" } }), NOW);
    expect(health.state).toBe("dry-run");
    expect(describeReason("en", health.reasons[0]!, TZ, NOW)).toBe("dry-run since 30/04/2026 10:30 (set by root): nothing is written");
    expect(describeReason("ru", { kind: "dry-run", since: null, by: null }, TZ, NOW)).toBe("пробный режим (файл политики): ничего не записывается");
  });

  it.each<[string, Partial<FlowFacts>, string]>([
    ["an old backlog", { backlog: { waiting: 12, capped: false, oldestAt: minutesAgo(6) } }, "backlog-old"],
    ["many retries", { lastHour: { ok: 40, failed: 0, retries: 5 } }, "retries"],
    ["dead letters left open", { deadLetters: { open: 2, newLastHour: 0 } }, "dead-letters-open"],
    ["a writer that does not answer", { circuits: [{ target: "onec", status: "unknown", since: null, lastCode: null, lastError: "timeout" }] }, "writer-silent"],
  ])("is degraded with %s", (_name, over, kind) => {
    const health = classifyFlow(facts(over), NOW);
    expect(health.state).toBe("degraded");
    expect(health.reasons[0]?.kind).toBe(kind);
  });

  it("is not degraded by a young backlog or a few retries", () => {
    expect(classifyFlow(facts({ backlog: { waiting: 500, capped: true, oldestAt: minutesAgo(4) }, lastHour: { ok: 40, failed: 0, retries: 4 } }), NOW).state).toBe("healthy");
  });

  it("says the backlog's age and size in words", () => {
    const reason: Reason = { kind: "backlog-old", ageMs: 12 * 60_000, waiting: 100, capped: true };
    expect(describeReason("en", reason, TZ, NOW)).toBe("the oldest change has waited 12 min (100+ waiting)");
    expect(describeReason("ru", reason, TZ, NOW)).toBe("самое старое изменение ждёт 12 мин (в очереди: 100+)");
  });

  it("judges from what it knows and says what it could not read", () => {
    const health = classifyFlow(facts({ lastHour: null, deadLetters: null, backlog: null }), NOW);
    expect(health.state).toBe("healthy");
    expect(health.reasons).toEqual([
      { kind: "unknown", what: "outcomes" },
      { kind: "unknown", what: "deadLetters" },
      { kind: "unknown", what: "backlog" },
    ]);
  });

  it("has words for every reason in both languages, with nothing left unfilled", () => {
    const reasons: Reason[] = [
      { kind: "target-paused", target: "bitrix24", cause: "credentials", since: minutesAgo(1), code: "B24_UNAUTHORIZED" },
      { kind: "target-paused", target: "onec", cause: "other", since: null, code: "ONEC_REJECTED" },
      { kind: "writer-silent", target: "bitrix24" },
      { kind: "dead-letters-new", count: 2 },
      { kind: "failures", failed: 4, total: 9 },
      { kind: "dry-run", since: minutesAgo(1), by: "ada" },
      { kind: "dead-letters-open", count: 1 },
      { kind: "backlog-old", ageMs: 3_600_000, waiting: 3, capped: false },
      { kind: "retries", count: 1 },
      { kind: "ok", handled: 1 },
      { kind: "unknown", what: "mode" },
    ];
    for (const lang of ["en", "ru"] as const) {
      for (const r of reasons) {
        const text = describeReason(lang, r, TZ, NOW);
        expect(text).not.toMatch(/[{}]|undefined/);
        expect(text.length).toBeGreaterThan(5);
      }
    }
    expect(describeReason("en", reasons[0]!, TZ, NOW)).toBe("Bitrix24 refuses Concord's credentials since 12:59: changes wait, nothing is lost");
    expect(describeReason("ru", reasons[1]!, TZ, NOW)).toBe("1С даёт сбои с неизвестного времени (ONEC_REJECTED): изменения ждут, ничего не теряется");
    expect(describeReason("en", reasons[8]!, TZ, NOW)).toBe("1 retry in the last hour");
  });
});

it.each([
  ["B24_QUERY_LIMIT_EXCEEDED", "rate-limit"],
  ["B24_OPERATION_TIME_LIMIT", "rate-limit"],
  ["B24_OVERLOAD_LIMIT", "rate-limit"],
  ["ONEC_UNAUTHORIZED", "credentials"],
  ["B24_FORBIDDEN", "credentials"],
  ["ONEC_TIMEOUT", "unreachable"],
  ["ONEC_NETWORK", "unreachable"],
  ["ONEC_UNKNOWN_OUTCOME", "unreachable"],
  ["B24_BAD_RESPONSE", "unreachable"],
  ["CIRCUIT_OPEN", "other"],
  [null, "other"],
])("reads the circuit's code %s as %s", (code, cause) => {
  expect(pauseCauseOf(code)).toBe(cause);
});

it("names the flows an alert concerns", () => {
  const alert = (rule: string, subject: string, details: Record<string, unknown> = {}) => ({ rule, subject, details });
  expect(alertFlows(alert("flow-silent", "customers"))).toEqual(["customers"]);
  expect(alertFlows(alert("circuit-open", "onec"))).toEqual(["orders.crmToOnec", "customers"]);
  expect(alertFlows(alert("circuit-open", "bitrix24"))).toEqual(["orders.onecToCrm", "customers", "products"]);
  expect(alertFlows(alert("dead-letter", "bitrix24.deal.42"))).toEqual(["orders.crmToOnec"]);
  expect(alertFlows(alert("dead-letter", "dead-letter-7"))).toEqual([]);
  expect(alertFlows(alert("decision-waiting", "decision-3", { source: { system: "bitrix24", entity: "company", id: "5" } }))).toEqual(["customers"]);
  expect(alertFlows(alert("error-rate", "onec-writer"))).toEqual(["orders.crmToOnec", "customers"]);
  expect(alertFlows(alert("backlog-age", "CONCORD_EVENTS/resolver"))).toEqual([]);
  expect(alertFlows(alert("service-not-ready", "mapping"))).toEqual([]);
});

it("lays buckets out aligned to their size, the last holding now", () => {
  const fives = bucketStarts(Date.parse("2026-05-01T10:07:30.000Z"), 5 * 60_000, 12);
  expect(fives).toHaveLength(12);
  expect(new Date(fives[11]!).toISOString()).toBe("2026-05-01T10:05:00.000Z");
  expect(new Date(fives[0]!).toISOString()).toBe("2026-05-01T09:10:00.000Z");
  const hours = bucketStarts(Date.parse("2026-05-01T10:07:30.000Z"), 3_600_000, 24);
  expect(new Date(hours[23]!).toISOString()).toBe("2026-05-01T10:00:00.000Z");
  expect(new Date(hours[0]!).toISOString()).toBe("2026-04-30T11:00:00.000Z");
});

it("says since when: the time alone today, with the date before", () => {
  expect(formatSince("en", "2026-05-01T09:14:00.000Z", TZ, NOW)).toBe("12:14");
  expect(formatSince("ru", "2026-04-30T20:50:00.000Z", TZ, NOW)).toBe("30.04.2026 23:50");
  expect(formatSince("en", null, TZ, NOW)).toBe("an unknown time");
});

it.each([
  ["concord.events.>", "concord.events.bitrix24.deal", true],
  ["concord.commands.onec.>", "concord.commands.onec.order", true],
  ["concord.commands.onec.>", "concord.commands.bitrix24.deal", false],
  ["concord.commands.*.deal", "concord.commands.bitrix24.deal", true],
  ["concord.events.>", "concord.events", false],
  ["concord.events.bitrix24.deal", "concord.events.bitrix24.deal", true],
  ["concord.events.bitrix24", "concord.events.bitrix24.deal", false],
])("matches the filter %s against %s: %s", (filter, subject, expected) => {
  expect(subjectMatches(filter, subject)).toBe(expected);
});

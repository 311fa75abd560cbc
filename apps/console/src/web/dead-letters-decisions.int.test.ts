import { PassThrough } from "node:stream";
import { createDecisionClient, createDlqClient } from "@concord/bus";
import { useTestBus } from "@concord/bus/testing";
import type { DeadLetterRecord, Decision } from "@concord/contracts";
import { createLogger } from "@concord/telemetry";
import { createAuditTrail } from "../audit";
import type { FlowOperations } from "../flows";
import { createOperations } from "../operations";
import { fakeLetter } from "../testing-fakes";
import { serveMappingStandIn } from "../testing-mapping";
import { deadLettersPage } from "./pages/dead-letters";
import { decisionsPage } from "./pages/decisions";
import { createWebRouter } from "./router";
import { openSessionStore } from "./sessions";
import { Browser, csrfOf, serveWeb } from "./testing";
import { hashPassword } from "./users";

// The real NATS (sessions, JetStream publishes, request/reply); mapping's side of the RPC from memory.
const testBus = useTestBus("webdlq");
const { subjects } = testBus;
const logger = createLogger("console-test", "error", new PassThrough());
let closeWeb: (() => Promise<void>) | undefined;
let base: string;
let mapping: ReturnType<typeof serveMappingStandIn>;

const hour = 3600_000;
const at = (hoursAgo: number) => new Date(Date.now() - hoursAgo * hour).toISOString();

function letter(id: number, overrides: Partial<DeadLetterRecord>): DeadLetterRecord {
  const base = fakeLetter(id);
  return {
    ...base,
    subject: subjects.command("onec", "order"),
    stream: subjects.streams.commands,
    messageId: `cmd:${id}`,
    original: { data: JSON.stringify({ v: 1, type: "onec.order.upsert", source: { system: "bitrix24", entity: "deal", id: String(40 + id) } }), headers: { "Concord-Schema": "onec-command/1" } },
    recordId: String(40 + id),
    firstFailedAt: at(2),
    lastFailedAt: at(2),
    createdAt: at(2),
    ...overrides,
  };
}

// A webhook's secret inside a URL in an error text: the pages mask it again (mapping stores it masked already).
const SECRET = "s3cr3tw3bh00k";
const letters: DeadLetterRecord[] = [
  letter(1, { errorCode: "ONEC_REJECTED", errorMessage: `1C: unknown article SKU-42 (after https://portal.bitrix24.ru/rest/1/${SECRET}/crm.deal.get.json)`, lastFailedAt: at(30) }),
  letter(2, { errorCode: "ONEC_REJECTED", errorMessage: "1C: unknown article SKU-42" }),
  letter(3, { errorCode: "PRODUCT_NOT_FOUND", errorMessage: "product 9 is not mapped" }),
  letter(4, {
    subject: subjects.event("onec", "order"),
    stream: subjects.streams.events,
    stage: "resolver",
    flow: "onec.order→bitrix24.deal",
    system: "onec",
    entity: "order",
    recordId: "bc5d1f86-6ae5-11e3-80c4-000c29b8f1f8",
    errorCode: "BAD_MESSAGE",
    failureClass: "pipeline",
    original: { data: JSON.stringify({ v: 1, type: "change", system: "onec", entity: "order", sourceId: "bc5d1f86-6ae5-11e3-80c4-000c29b8f1f8" }), headers: {} },
  }),
  letter(5, { errorCode: "ONEC_REJECTED", status: "discarded", discardReason: "test order", discardedAt: at(1) }),
  // 6 is a retry of 2 that failed again: 2's history shows it.
  letter(6, { errorCode: "ONEC_REJECTED", retryOf: 2, status: "discarded", discardReason: "superseded" }),
];

const candidate = (id: string, label: string, linkedTo: string | null = null) => ({ id, label, keys: ["innKpp"], linkedTo });
function decision(id: number, overrides: Partial<Decision> = {}): Decision {
  return {
    id,
    mappingId: 100 + id,
    source: { system: "bitrix24", entity: "company", id: String(10 + id) },
    targetSystem: "onec",
    targetEntity: "counterparty",
    summary: `company ${10 + id} «Ромашка»`,
    reason: "2 counterparties share INN 7701234567/770101001",
    candidates: [
      candidate("11111111-1111-1111-1111-111111111111", "ООО Ромашка · ИНН 7701234567/770101001 · info@romashka.ru"),
      candidate("22222222-2222-2222-2222-222222222222", "ООО «Ромашка» (старая) · ИНН 7701234567/770101001"),
    ],
    status: "open",
    action: null,
    chosenId: null,
    decidedBy: null,
    openedAt: at(3),
    decidedAt: null,
    supersededBy: null,
    ...overrides,
  };
}

beforeAll(async () => {
  const bus = testBus.bus();
  mapping = serveMappingStandIn(bus.nc, subjects, logger, {
    letters,
    decisions: [decision(1), decision(2), decision(3, { status: "decided", action: "create", decidedBy: "vera", decidedAt: at(1) }), decision(4)],
    mappedTargets: ["22222222-2222-2222-2222-222222222222"],
  });
  const dlq = createDlqClient(bus.nc, subjects, 5000);
  const audit = createAuditTrail(dlq, logger);
  const users = [
    { name: "anna", role: "operator" as const, passwordHash: await hashPassword("anna-password-1", 4) },
    { name: "boris", role: "viewer" as const, passwordHash: await hashPassword("boris-password-1", 4) },
  ];
  const sessions = await openSessionStore(bus, subjects.sessionsBucket, { idleMs: 60_000, maxAgeMs: 3_600_000 });
  const data = {
    db: undefined as never,
    bus,
    subjects,
    operations: createOperations(bus.js, subjects, dlq),
    audit,
    flows: undefined as unknown as FlowOperations,
    decisions: createDecisionClient(bus.nc, subjects, 5000),
    circuits: () => Promise.resolve([]),
    links: { trace: "http://jaeger.test/trace/{traceId}" },
  };
  const web = createWebRouter({ users, sessions, audit, logger, timeZone: "Europe/Moscow", secureCookies: false, pages: [(r) => deadLettersPage(r, data), (r) => decisionsPage(r, data)] });
  ({ base, close: closeWeb } = await serveWeb(web));
});
afterAll(async () => {
  mapping?.stop();
  await closeWeb?.();
});

async function signedIn(user: "anna" | "boris") {
  const b = new Browser(base);
  const res = await b.signIn(user, `${user}-password-1`);
  expect(res.status).toBe(303);
  return b;
}

/** The `data-id`s of a page's elements with this test id, in page order. */
const idsOf = (html: string, testid: string) => [...html.matchAll(new RegExp(`data-testid="${testid}" data-id="([^"]+)"`, "g"))].map((m) => m[1]);

/** The messages JetStream holds on a subject, with their dedupe ids and headers. */
async function published(subject: string) {
  const { jsm } = testBus.bus();
  const stream = subject.includes(".events.") ? subjects.streams.events : subjects.streams.commands;
  const info = await jsm.streams.info(stream, { subjects_filter: subject });
  const out: Array<{ msgId: string; retryOf: string; data: string }> = [];
  for (let seq = info.state.first_seq; seq <= info.state.last_seq && seq > 0; seq++) {
    const m = await jsm.streams.getMessage(stream, { seq }).catch(() => null);
    if (!m || m.subject !== subject) continue;
    out.push({ msgId: m.header?.get("Nats-Msg-Id") ?? "", retryOf: m.header?.get("Concord-Retry-Of") ?? "", data: m.string() });
  }
  return out;
}

describe("dead letters", () => {
  it("lists the open ones by default, and each filter narrows the list", async () => {
    const b = await signedIn("boris");
    const all = await b.page("/dead-letters");
    expect(all.status).toBe(200);
    expect(idsOf(all.html, "dead-letter-row")).toEqual(["4", "3", "2", "1"]);
    // Masked on the page: the secret in 1C's error text never reaches it.
    expect(all.html).toContain("unknown article SKU-42");
    expect(all.html).not.toContain(SECRET);
    expect(all.html).toContain('href="/records/bitrix24/deal/41"');
    expect(all.html).toContain("pipeline fault");

    expect(idsOf((await b.page("/dead-letters?code=ONEC_REJECTED")).html, "dead-letter-row")).toEqual(["2", "1"]);
    expect(idsOf((await b.page("/dead-letters?system=onec")).html, "dead-letter-row")).toEqual(["4"]);
    expect(idsOf((await b.page(`/dead-letters?flow=${encodeURIComponent("bitrix24.deal→onec.order")}`)).html, "dead-letter-row")).toEqual(["3", "2", "1"]);
    expect(idsOf((await b.page("/dead-letters?status=discarded")).html, "dead-letter-row")).toEqual(["6", "5"]);
    expect(idsOf((await b.page("/dead-letters?status=all&code=ONEC_REJECTED")).html, "dead-letter-row")).toEqual(["6", "5", "2", "1"]);
    // A wall-clock time in the console's zone (Moscow): letter 1 failed 30 h ago, the rest 2 h ago.
    const dayAgo = new Date(Date.now() - 24 * hour + 3 * hour).toISOString().slice(0, 16);
    expect(idsOf((await b.page(`/dead-letters?to=${dayAgo}`)).html, "dead-letter-row")).toEqual(["1"]);
    expect(idsOf((await b.page(`/dead-letters?from=${dayAgo}`)).html, "dead-letter-row")).toEqual(["4", "3", "2"]);

    const bad = await b.page("/dead-letters?from=yesterday");
    expect(bad.status).toBe(400);
    expect(bad.html).toContain("Not a filter value");
    expect((await b.page("/dead-letters?lang=ru")).html).toContain("отказ по данным");
  });

  it("shows one letter: masked payload, the error, its retry chain", async () => {
    const b = await signedIn("boris");
    const { status, html } = await b.page("/dead-letters/2");
    expect(status).toBe(200);
    expect(html).toContain('data-testid="dead-letter" data-id="2" data-status="open"');
    expect(html).toContain("&quot;type&quot;: &quot;onec.order.upsert&quot;");
    const history = html.slice(html.indexOf('data-testid="dead-letter-history"'));
    expect([...history.matchAll(/<tr data-id="(\d+)"/g)].map((m) => m[1])).toEqual(["2", "6"]);
    expect((await b.page("/dead-letters/999")).status).toBe(404);
    expect((await b.page("/dead-letters/abc")).status).toBe(404);
  });

  it("a viewer sees no buttons, and the actions answer 403 without touching anything", async () => {
    const b = await signedIn("boris");
    const list = await b.page("/dead-letters");
    const details = await b.page("/dead-letters/1");
    for (const html of [list.html, details.html]) for (const testid of ["retry", "retry-refresh", "discard", "bulk-retry"]) expect(html).not.toContain(`data-testid="${testid}"`);
    const token = csrfOf(details.html);
    expect((await b.form("/dead-letters/1/retry", { _csrf: token })).status).toBe(403);
    expect((await b.form("/dead-letters/1/discard", { _csrf: token, reason: "no" })).status).toBe(403);
    expect((await b.fetch("/dead-letters/bulk-retry")).status).toBe(403);
    expect((await b.form("/dead-letters/bulk-retry", { _csrf: token, confirm: "yes" })).status).toBe(403);
    expect(mapping.letters.get(1)?.status).toBe("open");
    expect(await published(subjects.command("onec", "order"))).toEqual([]);
  });

  it("refuses a form without the session's CSRF token", async () => {
    const b = await signedIn("anna");
    expect((await b.form("/dead-letters/1/retry", {})).status).toBe(403);
    expect((await b.form("/dead-letters/1/retry", { _csrf: "forged" })).status).toBe(403);
    expect((await b.form("/decisions/1", { _csrf: "forged", action: "create" })).status).toBe(403);
    expect(mapping.letters.get(1)?.status).toBe("open");
    expect(mapping.decisions.get(1)?.status).toBe("open");
  });

  it("retries: the original is published again, the letter marked, the action audited and shown", async () => {
    const b = await signedIn("anna");
    const page = await b.page("/dead-letters/1");
    expect(page.html).toContain('data-testid="retry"');
    expect(page.html).toContain('data-testid="retry-refresh"');
    const res = await b.form("/dead-letters/1/retry", { _csrf: csrfOf(page.html) });
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/dead-letters/1?done=republished&msg=retry%3A1%3A1");

    const onBus = await published(subjects.command("onec", "order"));
    expect(onBus).toEqual([{ msgId: "retry:1:1", retryOf: "1", data: letters[0]!.original.data }]);
    expect(mapping.letters.get(1)).toMatchObject({ status: "retried", retryCount: 1 });
    expect(mapping.audit.filter((e) => e.targetId === "1").map((e) => [e.actor, e.role, e.action, e.result])).toEqual([["anna", "operator", "dlq.retry", "ok"]]);

    const after = await b.page(res.headers.get("location")!);
    expect(after.html).toContain("retry:1:1");
    expect(after.html).toContain('data-status="retried"');
    expect(after.html).not.toContain('data-testid="retry"');
    // Who did what: the audit entry on the letter's page.
    expect(after.html.slice(after.html.indexOf('data-testid="dead-letter-audit"'))).toContain("anna");

    // Again: refused in words, audited as failed, nothing published.
    const again = await b.form("/dead-letters/1/retry", { _csrf: csrfOf(after.html) });
    expect(again.status).toBe(409);
    expect(await again.text()).toContain("no longer open");
    expect(await published(subjects.command("onec", "order"))).toHaveLength(1);
    expect(mapping.audit.filter((e) => e.targetId === "1").map((e) => e.result)).toEqual(["ok", "failed"]);
  });

  it("retries from the source's current state: a manual change event for the record", async () => {
    const b = await signedIn("anna");
    const res = await b.submit("/dead-letters/4", "/dead-letters/4/retry", { refresh: "1" });
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toMatch(/^\/dead-letters\/4\?done=refreshed&msg=/);
    const events = await published(subjects.event("onec", "order"));
    expect(events).toHaveLength(1);
    expect(events[0]!.retryOf).toBe("4");
    expect(JSON.parse(events[0]!.data)).toMatchObject({ type: "change", system: "onec", entity: "order", sourceId: "bc5d1f86-6ae5-11e3-80c4-000c29b8f1f8", via: "manual" });
    expect((await b.page(res.headers.get("location")!)).html).toContain("Retried from the source");
  });

  it("discards only with a reason, audited with it", async () => {
    const b = await signedIn("anna");
    const blank = await b.submit("/dead-letters/3", "/dead-letters/3/discard", { reason: "   " });
    expect(blank.status).toBe(400);
    expect(await blank.text()).toContain("A reason is required");
    expect(mapping.letters.get(3)?.status).toBe("open");

    const res = await b.submit("/dead-letters/3", "/dead-letters/3/discard", { reason: "product retired, order cancelled" });
    expect(res.status).toBe(303);
    expect(mapping.letters.get(3)).toMatchObject({ status: "discarded", discardReason: "product retired, order cancelled" });
    expect(mapping.audit.filter((e) => e.targetId === "3").map((e) => [e.actor, e.action, e.detail])).toEqual([["anna", "dlq.discard", "product retired, order cancelled"]]);
    expect((await b.page("/dead-letters/3")).html).toContain("product retired, order cancelled");
  });

  it("bulk retry says how many it touches first, and does nothing without the confirmation", async () => {
    const b = await signedIn("anna");
    const list = await b.page("/dead-letters?code=ONEC_REJECTED&status=all");
    expect(list.html).toContain('data-testid="bulk-retry"');
    // Straight to the POST, as a stale or forged form would: sent to the confirmation, nothing retried.
    const skipped = await b.form("/dead-letters/bulk-retry", { _csrf: csrfOf(list.html), code: "ONEC_REJECTED" });
    expect(skipped.status).toBe(303);
    expect(skipped.headers.get("location")).toBe("/dead-letters/bulk-retry?code=ONEC_REJECTED");
    expect(mapping.letters.get(2)?.status).toBe("open");

    const confirm = await b.page("/dead-letters/bulk-retry?code=ONEC_REJECTED");
    expect(confirm.status).toBe(200);
    // Of the ONEC_REJECTED letters only 2 is still open (1 was retried, 5 and 6 discarded).
    expect(confirm.html).toContain('data-testid="bulk-retry-count" data-count="1"');
    expect(idsOf(confirm.html, "dead-letter-row")).toEqual(["2"]);
    expect(confirm.html).toContain('data-testid="bulk-retry-confirm"');
    expect(mapping.letters.get(2)?.status).toBe("open");
    expect(await published(subjects.command("onec", "order"))).toHaveLength(1);

    const fields = Object.fromEntries([...confirm.html.slice(confirm.html.indexOf('action="/dead-letters/bulk-retry"')).matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)].map((m) => [m[1]!, m[2]!.replace(/&amp;/g, "&")]));
    expect(fields).toMatchObject({ code: "ONEC_REJECTED", confirm: "yes" });
    const done = await b.form("/dead-letters/bulk-retry", fields);
    expect(done.status).toBe(200);
    const html = await done.text();
    expect(html).toContain("1 retried, 0 failed");
    expect(html).toContain("retry:2:1");
    expect(mapping.letters.get(2)).toMatchObject({ status: "retried" });
    expect((await published(subjects.command("onec", "order"))).map((m) => m.msgId)).toEqual(["retry:1:1", "retry:2:1"]);
    expect(mapping.audit.filter((e) => e.action === "dlq.retry-bulk").map((e) => [e.actor, e.targetKind, e.detail])).toEqual([["anna", "filter", "retried 2; failed none"]]);
    expect(mapping.audit.filter((e) => e.targetId === "2").map((e) => [e.action, e.detail])).toEqual([["dlq.retry", "bulk: republished as retry:2:1"]]);

    // Nothing open matches any more: the confirmation says so and offers no button.
    const empty = await b.page("/dead-letters/bulk-retry?code=ONEC_REJECTED");
    expect(empty.html).toContain('data-count="0"');
    expect(empty.html).not.toContain('data-testid="bulk-retry-confirm"');
  });
});

describe("decisions", () => {
  it("shows each waiting record with its candidates side by side, and the closed ones below", async () => {
    const b = await signedIn("boris");
    const { status, html } = await b.page("/decisions");
    expect(status).toBe(200);
    expect(idsOf(html, "decision")).toEqual(["4", "2", "1"]);
    expect(idsOf(html, "decision-closed")).toEqual(["3"]);
    const first = html.slice(html.indexOf('data-testid="decision" data-id="1"'));
    expect(first).toContain('class="side-by-side"');
    expect(first).toContain("ИНН 7701234567/770101001");
    expect(first).toContain("info@romashka.ru");
    expect(first).toContain('href="/records/bitrix24/company/11"');
    // A viewer decides nothing.
    for (const testid of ["decide-link", "decide-create", "decide-ignore"]) expect(html).not.toContain(`data-testid="${testid}"`);
    expect((await b.form("/decisions/1", { _csrf: csrfOf(html), action: "create" })).status).toBe(403);
    expect(mapping.decisions.get(1)?.status).toBe("open");
    expect(idsOf((await b.page("/decisions?status=decided")).html, "decision-closed")).toEqual(["3"]);
    expect(idsOf((await b.page("/decisions?status=decided")).html, "decision")).toEqual([]);
  });

  it("links to a candidate through mapping, audited with the reason", async () => {
    const b = await signedIn("anna");
    const page = await b.page("/decisions");
    expect(page.html).toContain('data-testid="decide-link" data-candidate="11111111-1111-1111-1111-111111111111"');
    const res = await b.form("/decisions/1", { _csrf: csrfOf(page.html), candidate: "11111111-1111-1111-1111-111111111111", reason: "same INN, the live one" });
    expect(res.status).toBe(303);
    expect(mapping.decisions.get(1)).toMatchObject({ status: "decided", action: "link", chosenId: "11111111-1111-1111-1111-111111111111", decidedBy: "anna" });
    expect(mapping.audit.filter((e) => e.action === "decision").map((e) => [e.actor, e.targetKind, e.targetId, e.result, e.detail])).toEqual([
      ["anna", "decision", "1", "ok", "link 11111111-1111-1111-1111-111111111111 for bitrix24 company 11; reason: same INN, the live one"],
    ]);
    const after = await b.page(res.headers.get("location")!);
    expect(after.html).toContain("Decision 1: linked to ООО Ромашка");
    expect(idsOf(after.html, "decision")).toEqual(["4", "2"]);
    expect(idsOf(after.html, "decision-closed")).toEqual(["1", "3"]);
  });

  it("shows a refusal in words: a candidate linked elsewhere, a decision already taken", async () => {
    const b = await signedIn("anna");
    const taken = await b.submit("/decisions", "/decisions/2", { candidate: "22222222-2222-2222-2222-222222222222" });
    expect(taken.status).toBe(409);
    const text = await taken.text();
    expect(text).toContain("already linked to another one");
    expect(text).toContain("TARGET_ALREADY_MAPPED");
    expect(mapping.decisions.get(2)?.status).toBe("open");

    const closed = await b.submit("/decisions", "/decisions/1", { action: "ignore" });
    expect(closed.status).toBe(409);
    expect(await closed.text()).toContain("DECISION_CLOSED");
    expect(mapping.audit.filter((e) => e.action === "decision").map((e) => [e.targetId, e.result])).toEqual([
      ["1", "ok"],
      ["2", "failed"],
      ["1", "failed"],
    ]);

    expect((await b.submit("/decisions", "/decisions/2", { action: "maybe" })).status).toBe(400);
    const created = await b.submit("/decisions", "/decisions/2", { action: "create" });
    expect(created.status).toBe(303);
    expect(mapping.decisions.get(2)).toMatchObject({ status: "decided", action: "create", chosenId: null });
    const ignored = await b.submit("/decisions", "/decisions/4", { action: "ignore", reason: "a test company" });
    expect(ignored.status).toBe(303);
    expect(mapping.decisions.get(4)).toMatchObject({ status: "decided", action: "ignore" });
  });
});

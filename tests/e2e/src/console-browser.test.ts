import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { repoRoot } from "@concord/launcher";
import { waitFor } from "@concord/testkit";
import { launchChromium, newLaptopContext, phoneScreenshot, screenshot, signIn } from "./console/browser";
import { crmCompany, legacyCounterparty } from "./legacy-seed";
import { ORDER_SET, createDeal, ordersOfDeal, startTestSystem, waitQuiet, type TestSystem } from "./harness";

// The web console in a real browser (issue 16): Debian's chromium, headless, driven by
// playwright-core, against the whole system with one user of each role. One system for the
// whole file (CI time); the scenarios run in order and build on each other's records. The
// pages are rendered on the server without scripts, so "watching" a page is reloading it until
// it shows the state (each wait bounded, polled once a second).

jest.setTimeout(180_000);

const users = {
  admin: { name: "ada", role: "admin" as const, password: "ada-browser-password-1" },
  operator: { name: "oleg", role: "operator" as const, password: "oleg-browser-password-1" },
  viewer: { name: "vera", role: "viewer" as const, password: "vera-browser-password-1" },
};
type Who = keyof typeof users;

let t: TestSystem;
let browser: Browser;
let base: string;
const contexts: BrowserContext[] = [];
const signedInPages = new Map<Who, { context: BrowserContext; page: Page }>();

beforeAll(async () => {
  // The browser first: a machine without chromium fails here, with the message that says how to get it.
  browser = await launchChromium();
  // Short circuit settings (as outages.test): two records failing within 10 s pause the flow, probes every 0.5–2 s.
  const outage = { CIRCUIT_PROBE_MIN_MS: "500", CIRCUIT_PROBE_MAX_MS: "2000", CIRCUIT_WINDOW_MS: "10000", CIRCUIT_DISTINCT_RECORDS: "2" };
  t = await startTestSystem({
    consoleUsers: Object.values(users),
    replicas: 1,
    env: { "onec-writer": { ...outage, ONEC_TIMEOUT_MS: "4000", ONEC_CREATE_SETTLE_MS: "8000" } },
  });
  base = `http://127.0.0.1:${t.config.ports.console}`;
}, 180_000);
// What each signed-in browser shows after every scenario, for a failure's diagnosis (.data/console-browser/).
afterEach(async () => {
  const dir = join(repoRoot, ".data", "console-browser");
  mkdirSync(dir, { recursive: true });
  const name = (expect.getState().currentTestName ?? "test").replace(/[^\w-]+/g, "-").slice(0, 80);
  for (const [who, { page }] of signedInPages) {
    const html = await page.content().catch((error: unknown) => String(error));
    writeFileSync(join(dir, `${name}.${who}.html`), `<!-- ${page.url()} -->\n${html}`);
  }
});
afterAll(async () => {
  await t?.onecAdmin("faults", { method: "DELETE" }).catch(() => undefined);
  await t?.onecAdmin("reject", { method: "DELETE" }).catch(() => undefined);
  for (const context of contexts) await context.close().catch(() => undefined);
  await browser?.close();
  await t?.stop();
}, 60_000);

async function newBrowserWindow(): Promise<{ context: BrowserContext; page: Page }> {
  const context = await newLaptopContext(browser, base);
  contexts.push(context);
  return { context, page: await context.newPage() };
}

/** A browser (its own cookie jar) signed in as `who`, kept for the next scenario. */
async function as(who: Who): Promise<Page> {
  const known = signedInPages.get(who);
  if (known) return known.page;
  const window = await newBrowserWindow();
  await signIn(window.page, users[who].name, users[who].password);
  signedInPages.set(who, window);
  return window.page;
}

/** Reloads `path` until `check` holds: the pages have no script, a person watching reloads. */
function watch<T>(page: Page, path: string, check: () => Promise<T | undefined | false>, what: string, timeoutMs = 60_000): Promise<T> {
  return waitFor(
    async () => {
      await page.goto(path);
      return check();
    },
    { timeoutMs, intervalMs: 1_000, what },
  );
}

const put = (body: unknown) => ({ method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
const text = async (page: Page, selector: string) => ((await page.locator(selector).first().textContent()) ?? "").replace(/\s+/g, " ").trim();
/** The session's CSRF token, as every form of the page carries it (the sign-out form is on every page). */
const csrfOf = async (page: Page) => String(await page.locator('form[action="/logout"] input[name="_csrf"]').getAttribute("value"));

describe("signing in", () => {
  it("shows nothing signed out, refuses a wrong password, and signs each role in", async () => {
    const { page } = await newBrowserWindow();

    // Signed out, every page leads to the sign-in form and shows none of the console.
    for (const path of ["/", "/dead-letters", "/records?q=1", "/decisions"]) {
      const response = await page.goto(path);
      expect(new URL(page.url()).pathname).toBe("/login");
      expect(response?.status()).toBe(200);
      expect(await page.getByTestId("signed-in-as").count()).toBe(0);
      expect(await page.locator("nav").count()).toBe(0);
    }
    // A form posted without a session changes nothing: the sign-in page, 401.
    const forged = await page.request.post("/dead-letters/1/retry", { form: { _csrf: "x" }, maxRedirects: 0 });
    expect(forged.status()).toBe(401);

    await page.goto("/login");
    await screenshot(page, "sign-in");
    await page.locator('input[name="user"]').fill(users.operator.name);
    await page.locator('input[name="password"]').fill("not-the-password");
    await page.locator('form[action="/login"] button[type="submit"]').click();
    await page.getByRole("alert").waitFor();
    expect(await page.getByRole("alert").textContent()).toContain("Unknown user or wrong password.");
    expect(new URL(page.url()).pathname).toBe("/login");
    expect(await page.getByTestId("signed-in-as").count()).toBe(0);

    for (const who of ["operator", "admin", "viewer"] as const) {
      const signed = await as(who);
      expect(await text(signed, '[data-testid="signed-in-as"]')).toContain(`${users[who].name} · ${users[who].role}`);
    }
  });

  it("speaks Russian after the language switch, and remembers it", async () => {
    const { page } = await newBrowserWindow();
    await signIn(page, users.viewer.name, users.viewer.password);
    await page.goto("/");
    await page.getByRole("link", { name: "Язык: русский" }).click();
    await page.getByRole("link", { name: "Очередь ошибок" }).waitFor();
    expect(await page.locator("html").getAttribute("lang")).toBe("ru");
    expect(await text(page, '[data-testid="signed-in-as"]')).toContain("vera · наблюдатель");
    await page.goto("/");
    expect(await text(page, "nav")).toContain("Главная");
    expect(await text(page, '[data-testid="flow-orders.crmToOnec"]')).toContain("Заказы: Битрикс24 → 1С");
    await page.getByRole("link", { name: "Language: English" }).click();
    await page.getByRole("link", { name: "Dead letters" }).waitFor();
  });
});

// Shared by the scenarios below: the deal 1C refused, and its dead letter.
let rejected: { dealId: string };
let letterIds: string[];
let letterId: string;

describe("a broken flow, watched, repaired and retried from the pages", () => {
  const flowCard = '[data-testid="flow-orders.crmToOnec"]';

  it("shows the orders flow paused while 1C is down, with the reason in words, then failing with the dead letter of a refused order", async () => {
    const page = await as("operator");
    await watch(page, "/", async () => (await page.locator(flowCard).getAttribute("data-state")) === "healthy", "the orders flow healthy at first", 30_000);

    // 1C answers every call with a 500 (down behind its web server), and refuses orders marked REJECT.
    await t.onecAdmin("faults", put({ "*": { errorRate: 1 } }));
    await t.onecAdmin("reject", put({ set: ORDER_SET, when: { field: "Комментарий", contains: "REJECT" }, message: "Недопустимый заказ: не указан склад" }));
    const waiting = [await createDeal(t, { title: "Во время простоя 1С" }), await createDeal(t, { title: "Во время простоя 1С, второй" })];
    rejected = await createDeal(t, { title: "REJECT: без склада" });

    const paused = await watch(page, "/", async () => ((await page.locator(flowCard).getAttribute("data-state")) === "paused" ? text(page, `${flowCard} [data-testid="flow-reasons"]`) : undefined), "the orders flow paused");
    expect(paused).toMatch(/1C is not answering since \d\d:\d\d: changes wait, nothing is lost/);
    expect(await text(page, `${flowCard} [data-testid="flow-state"]`)).toBe("paused");
    for (const { dealId } of waiting) expect(await ordersOfDeal(t, dealId)).toHaveLength(0);

    // 1C is back: the waiting orders go through by themselves; the refused one is a dead letter.
    await t.onecAdmin("faults", { method: "DELETE" });
    const failing = await watch(page, "/", async () => ((await page.locator(flowCard).getAttribute("data-state")) === "failing" ? text(page, `${flowCard} [data-testid="flow-reasons"]`) : undefined), "the orders flow failing");
    expect(failing).toMatch(/\d+ dead letters? in the last hour/);
    await waitFor(async () => {
      for (const { dealId } of waiting) if ((await ordersOfDeal(t, dealId)).length !== 1) return undefined;
      return true;
    }, { timeoutMs: 60_000, intervalMs: 1_000, what: "the orders that waited for 1C" });
    // Settled: what Home shows now stays (the refused deal may leave a letter per change of it).
    await waitQuiet(t);
    await page.goto("/");
    expect(await page.locator(flowCard).getAttribute("data-state")).toBe("failing");
    expect(Number(await page.locator(`${flowCard} [data-testid="flow-dead-letters"]`).textContent().then((v) => String(v).trim().split(" ")[0]))).toBeGreaterThanOrEqual(1);
    await screenshot(page, "home");
    await phoneScreenshot(browser, signedInPages.get("operator")!.context, base, "/", "home-phone");

    // Failures, grouped by cause: a business rejection, in words.
    await page.goto("/failures");
    const group = page.locator('[data-testid="failure-group"][data-code="ONEC_REJECTED"]');
    await group.first().waitFor();
    expect(await group.first().getAttribute("data-class")).toBe("business");
    expect(await group.first().getAttribute("data-state")).toBe("open");
    expect(await text(page, '[data-testid="failure-group"][data-code="ONEC_REJECTED"]')).toContain("Недопустимый заказ: не указан склад");
    await screenshot(page, "failures");
  });

  it("a viewer sees the dead letter but cannot retry it: no button, and a forged POST with the viewer's session is refused", async () => {
    const operator = await as("operator");
    await operator.goto("/dead-letters?status=open&code=ONEC_REJECTED");
    const rows = operator.locator('[data-testid="dead-letter-row"]', { hasText: new RegExp(`deal ${rejected.dealId}(?!\\d)`) });
    await rows.first().waitFor();
    // One letter per change of the deal that 1C refused (its creation, its rows): the newest first.
    // A later change's refusal can still be on its way (seen on a loaded CI machine): all of them settle first.
    await waitQuiet(t);
    await operator.reload();
    letterIds = (await rows.evaluateAll((list) => list.map((r) => r.getAttribute("data-id") ?? ""))).sort((a, b) => Number(b) - Number(a));
    letterId = letterIds[0]!;
    expect(await rows.locator('[data-testid="retry"]').count()).toBe(letterIds.length);

    const viewer = await as("viewer");
    await viewer.goto("/dead-letters?status=open");
    await viewer.locator(`[data-testid="dead-letter-row"][data-id="${letterId}"]`).waitFor();
    expect(await viewer.getByTestId("retry").count()).toBe(0);
    expect(await viewer.getByTestId("bulk-retry").count()).toBe(0);
    await viewer.goto(`/dead-letters/${letterId}`);
    await viewer.getByTestId("dead-letter").waitFor();
    expect(await viewer.getByTestId("retry").count()).toBe(0);
    expect(await viewer.getByTestId("discard").count()).toBe(0);

    const csrf = await csrfOf(viewer);
    const forged = await viewer.request.post(`/dead-letters/${letterId}/retry`, { form: { _csrf: csrf }, maxRedirects: 0 });
    expect(forged.status()).toBe(403);
    const bulk = await viewer.request.post("/dead-letters/bulk-retry", { form: { _csrf: csrf, confirm: "yes", code: "ONEC_REJECTED" }, maxRedirects: 0 });
    expect(bulk.status()).toBe(403);
    // An operator's form without the session's token is refused too (CSRF).
    const noToken = await operator.request.post(`/dead-letters/${letterId}/retry`, { form: { _csrf: "forged" }, maxRedirects: 0 });
    expect(noToken.status()).toBe(403);

    await viewer.reload();
    expect(await viewer.getByTestId("dead-letter").getAttribute("data-status")).toBe("open");
    expect(await ordersOfDeal(t, rejected.dealId)).toHaveLength(0);
  });

  it("after the fix, an operator retries the dead letter from its page and the order is applied once", async () => {
    const page = await as("operator");
    await page.goto("/dead-letters?status=open");
    await page.locator(`[data-testid="dead-letter-row"][data-id="${letterId}"]`).waitFor();
    await screenshot(page, "dead-letters");
    await page.goto(`/dead-letters/${letterId}`);
    const letter = page.getByTestId("dead-letter");
    await letter.waitFor();
    expect(await text(page, '[data-testid="dead-letter"]')).toContain("ONEC_REJECTED");
    expect(await text(page, '[data-testid="dead-letter-payload"]')).toContain(rejected.dealId);
    await screenshot(page, "dead-letter");

    await t.onecAdmin("reject", { method: "DELETE" });
    await Promise.all([page.waitForURL(/\/dead-letters\/\d+\?done=/), page.getByTestId("retry").first().click()]);
    expect(await letter.getAttribute("data-status")).toBe("retried");
    expect(await page.getByRole("status").count()).toBeGreaterThan(0);
    expect(await page.getByTestId("retry").count()).toBe(0); // retried: no second retry offered

    // The deal's other letters (the same refusal of its earlier change), if any, by a bulk retry of
    // the cause, which says how many it touches before it runs.
    const others = letterIds.length - 1;
    await page.goto("/dead-letters?status=open&code=ONEC_REJECTED");
    expect(Number(await page.getByTestId("dead-letter-total").getAttribute("data-total"))).toBe(others);
    if (others > 0) {
      await Promise.all([page.waitForURL(/\/dead-letters\/bulk-retry\?/), page.getByTestId("bulk-retry").click()]);
      expect(await page.getByTestId("bulk-retry-count").getAttribute("data-count")).toBe(String(others));
      await Promise.all([page.waitForLoadState(), page.getByTestId("bulk-retry-confirm").click()]);
      await page.getByTestId("bulk-retried").waitFor();
      expect(await page.locator('[data-testid="bulk-retried"] tbody tr').count()).toBe(others);
    }

    await waitFor(async () => ((await ordersOfDeal(t, rejected.dealId)).length > 0 ? true : undefined), { timeoutMs: 30_000, intervalMs: 500, what: "the retried order in 1C" });
    await waitQuiet(t);
    const orders = await ordersOfDeal(t, rejected.dealId);
    expect(orders).toHaveLength(1);
    expect(orders[0]?.Комментарий).toBe("REJECT: без склада");

    // The flow is no longer failing: no dead letter left open.
    await watch(page, "/", async () => (await page.locator(flowCard).getAttribute("data-state")) !== "failing", "the orders flow to stop failing", 30_000);
  });

  it("finds the order by its 1C number and reads its timeline across both systems", async () => {
    const [order] = await ordersOfDeal(t, rejected.dealId);
    const number = String(order?.Number);
    const ref = String(order?.Ref_Key).toLowerCase();
    expect(number).not.toBe("");

    const page = await as("viewer");
    await page.goto("/records");
    await page.getByTestId("record-search").fill(number);
    await Promise.all([page.waitForURL(/\/records\?q=/), page.getByTestId("record-search").press("Enter")]);
    const result = page.locator('[data-testid="record-result"][data-system="onec"]', { hasText: number });
    await result.first().waitFor();
    expect(await result.first().getAttribute("data-id")).toBe(ref);
    await Promise.all([page.waitForURL(/\/records\/onec\//), result.first().locator("a").first().click()]);

    // The 1C order and its deal side by side; the history holds the refusal, the retry and the write.
    await page.getByTestId("timeline").waitFor();
    expect(await page.locator(`[data-testid="timeline-record"][data-system="bitrix24"][data-id="${rejected.dealId}"]`).count()).toBe(1);
    expect(await page.locator(`[data-testid="timeline-record"][data-system="onec"][data-id="${ref}"]`).count()).toBe(1);
    expect(await page.locator('[data-testid="timeline-row"][data-kind="dead-letter"]').count()).toBeGreaterThan(0);
    expect(await page.locator('[data-testid="timeline-row"][data-result="created"]').count()).toBeGreaterThan(0);
    expect(await text(page, '[data-testid="timeline"]')).toContain("ONEC_REJECTED");
    await screenshot(page, "records-timeline");
  });
});

describe("decisions", () => {
  it("an operator links an ambiguous customer to one of its candidates, and its held order goes through once", async () => {
    // The same company twice in 1C (a duplicate people made years ago), and its first deal in the CRM.
    const first = await legacyCounterparty(t, { Description: "ООО Бета", ИНН: "7702000002", КПП: "770201001", ЮрФизЛицо: "ЮрЛицо" });
    const duplicate = await legacyCounterparty(t, { Description: "Бета ООО (дубль)", ИНН: "7702000002", КПП: "770201001", ЮрФизЛицо: "ЮрЛицо" });
    const company = await crmCompany(t, "Бета", { inn: "7702000002", kpp: "770201001" });
    const { dealId } = await createDeal(t, { companyId: company, title: "Заказ Беты" });
    const candidates = [first, duplicate].map((c) => String(c.Ref_Key).toLowerCase());

    const page = await as("operator");
    const decision = page.locator('[data-testid="decision"][data-status="open"]', { hasText: new RegExp(`company ${company}(?!\\d)`) });
    await watch(page, "/decisions", async () => (await decision.count()) === 1, "the open decision about the company", 60_000);
    const shown = await decision.locator('[data-testid="candidate"]').evaluateAll((cards) => cards.map((c) => c.getAttribute("data-id")));
    expect(shown.sort()).toEqual([...candidates].sort());
    expect(await ordersOfDeal(t, dealId)).toHaveLength(0); // held meanwhile
    await screenshot(page, "decisions");

    // A viewer sees it, without the choices.
    const viewer = await as("viewer");
    await viewer.goto("/decisions");
    await viewer.locator('[data-testid="decision"]', { hasText: new RegExp(`company ${company}(?!\\d)`) }).waitFor();
    expect(await viewer.getByTestId("decide-link").count()).toBe(0);

    const chosen = candidates[1]!;
    await decision.getByTestId("decide-reason").fill("the duplicate is the one in use");
    await Promise.all([page.waitForURL(/\/decisions\?done=link/), decision.locator(`[data-testid="decide-link"][data-candidate="${chosen}"]`).click()]);
    expect(await text(page, '[role="status"]')).toContain(chosen);
    const id = await page.locator('[data-testid="decision-closed"][data-status="decided"]').first().getAttribute("data-id");
    expect(id).not.toBeNull();

    const order = await waitFor(async () => (await ordersOfDeal(t, dealId))[0], { timeoutMs: 60_000, intervalMs: 1_000, what: "the held order after the decision" });
    await waitQuiet(t);
    expect(String(order.Контрагент_Key).toLowerCase()).toBe(chosen);
    expect(await ordersOfDeal(t, dealId)).toHaveLength(1);
  });
});

describe("flows", () => {
  it("an admin switches orders to dry-run, a new deal shows as a would-be write and nothing is written, then switches back live and it is written once", async () => {
    const operator = await as("operator");
    await operator.goto("/flows");
    await operator.getByTestId("flows-table").waitFor();
    expect(await operator.getByTestId("switch-orders.crmToOnec").count()).toBe(0);

    const page = await as("admin");
    await page.goto("/flows");
    const row = page.getByTestId("flow-row-orders.crmToOnec");
    expect(await row.getAttribute("data-mode")).toBe("live");
    await row.locator('input[name="reason"]').fill("check the new status map first");
    await Promise.all([page.waitForURL(/\/flows\?switched=/), page.getByTestId("switch-orders.crmToOnec").click()]);
    expect(await page.getByTestId("flow-row-orders.crmToOnec").getAttribute("data-mode")).toBe("dry-run");

    const { dealId } = await createDeal(t, { title: "Сухой прогон в браузере" });
    const writes = page.locator('[data-testid="would-be-write"]', { hasText: new RegExp(`deal ${dealId}(?!\\d)`) });
    await watch(page, "/flows?writes=orders.crmToOnec", async () => (await writes.count()) > 0, "the deal's would-be write", 60_000);
    expect(await text(page, '[data-testid="would-be-writes"]')).toContain("would create Document_ЗаказКлиента");
    await waitQuiet(t);
    expect(await ordersOfDeal(t, dealId)).toHaveLength(0);
    await screenshot(page, "flows");

    // Home says so too (a state above dry-run, failing or paused, would still list it).
    await page.goto("/");
    expect(await text(page, '[data-testid="flow-orders.crmToOnec"] [data-testid="flow-mode"]')).toBe("dry-run");
    expect(await text(page, '[data-testid="flow-orders.crmToOnec"] [data-reason="dry-run"]')).toMatch(/^dry-run since \d\d:\d\d \(set by ada\): nothing is written$/);

    await page.goto("/flows");
    await Promise.all([page.waitForURL(/\/flows\?switched=/), page.getByTestId("switch-orders.crmToOnec").click()]);
    expect(await page.getByTestId("flow-row-orders.crmToOnec").getAttribute("data-mode")).toBe("live");
    await waitFor(async () => ((await ordersOfDeal(t, dealId)).length > 0 ? true : undefined), { timeoutMs: 60_000, intervalMs: 1_000, what: "the order written once live" });
    await waitQuiet(t);
    expect(await ordersOfDeal(t, dealId)).toHaveLength(1);
  });
});

describe("audit", () => {
  it("shows who did what: the sign-ins, the retry, the decision and both switches", async () => {
    const page = await as("viewer");
    await page.goto("/audit");
    await page.getByTestId("audit-table").waitFor();
    const entry = (action: string, actor: string) => page.locator(`[data-testid="audit-entry"][data-action="${action}"][data-actor="${actor}"]`);
    expect(await entry("sign-in", users.operator.name).count()).toBeGreaterThan(0);
    expect(await entry("dlq.retry", users.operator.name).count()).toBe(letterIds.length);
    expect(await entry("decision", users.operator.name).count()).toBe(1);
    expect(await entry("flow.change", users.admin.name).count()).toBe(2);
    await screenshot(page, "audit");
  });
});

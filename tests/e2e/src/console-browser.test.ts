import type { Browser, BrowserContext, Page } from "playwright-core";
import { launchChromium, newLaptopContext, screenshot, signIn } from "./console/browser";
import { startTestSystem, type TestSystem } from "./harness";

// The web console in a real browser (issue 16): Debian's chromium, headless, driven by
// playwright-core, against the whole system with one user of each role. One system for the
// whole file (CI time); the scenarios run in order and build on each other's records.

jest.setTimeout(180_000);

const users = {
  admin: { name: "ada", role: "admin" as const, password: "ada-browser-password-1" },
  operator: { name: "oleg", role: "operator" as const, password: "oleg-browser-password-1" },
  viewer: { name: "vera", role: "viewer" as const, password: "vera-browser-password-1" },
};

let t: TestSystem;
let browser: Browser;
let base: string;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  // The browser first: a machine without chromium fails here, with the message that says how to get it.
  browser = await launchChromium();
  t = await startTestSystem({ consoleUsers: Object.values(users), replicas: 1 });
  base = `http://127.0.0.1:${t.config.ports.console}`;
}, 180_000);
afterAll(async () => {
  for (const context of contexts) await context.close().catch(() => undefined);
  await browser?.close();
  await t?.stop();
}, 60_000);

/** A new browser (its own cookie jar) signed in as `who`. */
async function signedIn(who: keyof typeof users): Promise<{ context: BrowserContext; page: Page }> {
  const context = await newLaptopContext(browser, base);
  contexts.push(context);
  const page = await context.newPage();
  await signIn(page, users[who].name, users[who].password);
  return { context, page };
}

describe("signing in", () => {
  it("shows nothing signed out, refuses a wrong password, and signs each role in", async () => {
    const context = await newLaptopContext(browser, base);
    contexts.push(context);
    const page = await context.newPage();

    // Signed out, every page leads to the sign-in form and shows none of the console.
    for (const path of ["/", "/dead-letters", "/records?q=1"]) {
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

    await signIn(page, users.operator.name, users.operator.password);
    expect(await page.getByTestId("signed-in-as").textContent()).toContain("oleg · operator");
    for (const who of ["admin", "viewer"] as const) {
      const { page: other } = await signedIn(who);
      expect(await other.getByTestId("signed-in-as").textContent()).toContain(`${users[who].name} · ${users[who].role}`);
    }
  });

  it("speaks Russian after the language switch, and remembers it", async () => {
    const { page } = await signedIn("viewer");
    await page.goto("/");
    await page.getByRole("link", { name: "Язык: русский" }).click();
    await page.getByRole("link", { name: "Очередь ошибок" }).waitFor();
    expect(await page.locator("html").getAttribute("lang")).toBe("ru");
    expect(await page.getByTestId("signed-in-as").textContent()).toContain("vera · наблюдатель");
    await page.goto("/");
    expect(await page.locator("nav").textContent()).toContain("Главная");
    await page.getByRole("link", { name: "Language: English" }).click();
    await page.getByRole("link", { name: "Dead letters" }).waitFor();
  });
});

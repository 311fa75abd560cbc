import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { CHROMIUM_MISSING, findChromium, repoRoot } from "@concord/launcher";

// The console's browser tests drive Debian's `chromium` package with playwright-core: Playwright's
// own browser downloads are not reachable here (nor on many CI machines), and the OS package is
// kept patched by apt. `.ci/run` and `npm test` install it when they can (launcher chromium.ts).

/** The Chromium binary: CONCORD_CHROMIUM, else Debian's. Throws the message that says how to get one. */
export function chromiumPath(): string {
  const path = findChromium();
  if (!path) throw new Error(`${CHROMIUM_MISSING} — ${process.env.CONCORD_CHROMIUM || "/usr/bin/chromium"} does not exist`);
  return path;
}

/**
 * Flags for a closed network and a machine without a display or user namespaces: no sandbox (root
 * in a container), no GPU, and nothing Chromium does on its own in the background (update checks,
 * sync, QUIC probes), which this network refuses many at a time. Playwright gives every launch a
 * fresh, empty profile.
 */
const FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

export const LAPTOP = { width: 1280, height: 800 } as const;
export const PHONE = { width: 390, height: 844 } as const;

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath(), headless: true, args: FLAGS, timeout: 60_000 });
}

/** A fresh context (its own cookies) at a laptop's viewport, answering in `locale`. */
export async function newLaptopContext(browser: Browser, baseURL: string, locale = "en-GB"): Promise<BrowserContext> {
  const context = await browser.newContext({ baseURL, viewport: LAPTOP, locale, timezoneId: "Europe/Moscow" });
  // Every wait in these tests is on a condition; this bounds each one on a loaded 2-core machine.
  context.setDefaultTimeout(20_000);
  context.setDefaultNavigationTimeout(30_000);
  return context;
}

/** Signs in through the form, as a person would; waits for the signed-in frame. */
export async function signIn(page: Page, user: string, password: string): Promise<void> {
  await page.goto("/login");
  await page.locator('input[name="user"]').fill(user);
  await page.locator('input[name="password"]').fill(password);
  await Promise.all([page.waitForURL((url) => !url.pathname.startsWith("/login")), page.locator('form[action="/login"] button[type="submit"]').click()]);
  await page.getByTestId("signed-in-as").waitFor();
}

/**
 * Where screenshots go: `docs/screenshots` (committed, shown by the runbook), except under CI
 * (CI=true), whose run must leave the work tree as it found it: `.data/screenshots` there.
 * CONCORD_SCREENSHOTS_DIR overrides both.
 */
export function screenshotDir(): string {
  const dir = process.env.CONCORD_SCREENSHOTS_DIR || (process.env.CI === "true" ? join(repoRoot, ".data", "screenshots") : join(repoRoot, "docs", "screenshots"));
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** A long page (a record's whole history) is cut here: the docs show its top, the files stay small. */
const MAX_SHOT_HEIGHT = 1600;

/** `<dir>/<name>.png` of the page at the laptop viewport's width, as long as the page up to MAX_SHOT_HEIGHT. */
export async function screenshot(page: Page, name: string): Promise<string> {
  const path = join(screenshotDir(), `${name}.png`);
  await page.setViewportSize(LAPTOP);
  const height = Number(await page.evaluate("document.documentElement.scrollHeight"));
  await page.screenshot({ path, fullPage: true, clip: { x: 0, y: 0, width: LAPTOP.width, height: Math.min(Math.max(height, LAPTOP.height), MAX_SHOT_HEIGHT) }, animations: "disabled" });
  return path;
}

/** The same page on a phone (390×844, touch, the meta viewport honoured), signed in with the same cookies. */
export async function phoneScreenshot(browser: Browser, from: BrowserContext, baseURL: string, path: string, name: string): Promise<string> {
  const phone = await browser.newContext({ baseURL, viewport: PHONE, isMobile: true, hasTouch: true, storageState: await from.storageState(), timezoneId: "Europe/Moscow" });
  try {
    const page = await phone.newPage();
    await page.goto(path);
    await page.getByTestId("signed-in-as").waitFor();
    const file = join(screenshotDir(), `${name}.png`);
    await page.screenshot({ path: file, fullPage: false, animations: "disabled" });
    return file;
  } finally {
    await phone.close();
  }
}

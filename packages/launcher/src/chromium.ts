import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

/** What the console's browser tests say when there is no Chromium to drive. */
export const CHROMIUM_MISSING = "Debian's chromium is needed for the console's browser tests: apt-get install chromium (or set CONCORD_CHROMIUM to a Chromium binary)";

/** CONCORD_CHROMIUM, else Debian's package (`/usr/bin/chromium`); null when that file is not there. */
export function findChromium(): string | null {
  const path = process.env.CONCORD_CHROMIUM || "/usr/bin/chromium";
  return existsSync(path) ? path : null;
}

/**
 * Chromium for the console's browser tests, from the OS packages like nats-server: Playwright's
 * own browser download is not reachable everywhere, and apt keeps Debian's build patched.
 * Installed with apt-get when missing and we are root; otherwise `path` is null and the browser
 * test fails with {@link CHROMIUM_MISSING} (it is never skipped silently).
 */
export function ensureChromium(): { path: string | null; installed: boolean } {
  const found = findChromium();
  if (found || process.env.CONCORD_CHROMIUM) return { path: found, installed: false };
  if (process.getuid?.() !== 0) return { path: null, installed: false };
  const apt = spawnSync("sh", ["-c", "command -v apt-get >/dev/null && (apt-get install -y -qq chromium || (apt-get update -qq && apt-get install -y -qq chromium))"], {
    stdio: "inherit",
    env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
  });
  const path = apt.status === 0 ? findChromium() : null;
  return { path, installed: path !== null };
}

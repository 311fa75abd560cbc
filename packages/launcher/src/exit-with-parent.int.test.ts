import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function until(what: string, ok: () => boolean, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("an app started by the launcher", () => {
  const dir = mkdtempSync(join(tmpdir(), "concord-exit-with-parent-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("stops gracefully when its launcher is killed", async () => {
    const marker = join(dir, "marker");
    const launcher = spawn(process.execPath, ["--import", "tsx", join(__dirname, "testing", "launch-idle.ts"), marker, join(dir, "idle.log")], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    const [line] = await new Promise<string[]>((resolve) => createInterface({ input: launcher.stdout! }).once("line", (l) => resolve([l])));
    const appPid = Number(line);
    try {
      await until("the app to start", () => existsSync(marker) && readFileSync(marker, "utf8") === "started");

      launcher.kill("SIGKILL");

      await until("the app to exit", () => !alive(appPid));
      expect(readFileSync(marker, "utf8")).toBe("SIGTERM");
    } finally {
      if (alive(appPid)) process.kill(appPid, "SIGKILL");
      if (launcher.exitCode === null && launcher.signalCode === null) launcher.kill("SIGKILL");
    }
  }, 60_000);
});

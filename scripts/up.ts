// `npm start`: brings the whole system up — NATS and PostgreSQL (if none are configured), all
// services and both sandboxes wired to each other — and prints where to look. Ctrl-C stops it.
import { join } from "node:path";
import postgres from "postgres";
import { connect } from "@nats-io/transport-node";
import { jetstreamManager } from "@nats-io/jetstream";
import { createSubjects } from "@concord/contracts";
import { defaultPorts, demoConsoleUsers, demoSecrets, ensureInfra, repoRoot, startSystem, bitrix24WebhookBase, onecServiceRoot, type SystemConfig } from "@concord/launcher";

async function resetDemoState(config: SystemConfig) {
  const sql = postgres(config.databaseUrl, { max: 1, onnotice: () => undefined });
  await sql.unsafe(`drop schema if exists "${config.databaseSchema}" cascade`);
  await sql.end();
  const nc = await connect({ servers: config.natsUrl });
  const jsm = await jetstreamManager(nc);
  const subjects = createSubjects(config.namespace);
  // The shared state too (sweep cursors, each deal's sync status, circuits…): the sandboxes reuse ids.
  for (const stream of [...Object.values(subjects.streams), `KV_${subjects.stateBucket}`]) await jsm.streams.delete(stream).catch(() => false);
  await nc.close();
}

async function main() {
  const dataDir = join(repoRoot, ".data");
  const logDir = join(dataDir, "logs");
  const infra = await ensureInfra({ dataDir, logDir });
  const config: SystemConfig = {
    natsUrl: infra.natsUrl,
    databaseUrl: infra.databaseUrl,
    namespace: "concord",
    databaseSchema: "concord_demo",
    ports: defaultPorts,
    secrets: demoSecrets,
    consoleUsers: demoConsoleUsers,
    logDir,
    tracesFile: join(logDir, "traces.jsonl"),
  };
  for (const line of infra.started) console.log(`started ${line}`);
  // The sandboxes keep their data in memory, so the demo's mapping and streams start empty too.
  await resetDemoState(config);
  console.log("starting services…");
  const system = await startSystem(config);
  const b24 = bitrix24WebhookBase(config).replace(demoSecrets.b24WebhookToken, "<token>");
  console.log(`
Concord is up.
  ingress           http://127.0.0.1:${defaultPorts.ingress}   (webhooks: /webhooks/bitrix24, /webhooks/1c)
  Bitrix24 sandbox  ${b24}   token: ${demoSecrets.b24WebhookToken}  (admin: http://127.0.0.1:${defaultPorts["sandbox-bitrix24"]}/admin/records/deal)
  1C sandbox        ${onecServiceRoot(config)}   user ${demoSecrets.onecUser} / ${demoSecrets.onecPassword}  (admin: http://127.0.0.1:${defaultPorts["sandbox-1c"]}/admin/records/Document_ЗаказКлиента)
  web console       http://127.0.0.1:${defaultPorts.console}/   sign in as ${demoConsoleUsers.map((u) => `${u.name} / ${u.password}`).join(", ")}
  console (ops API) http://127.0.0.1:${defaultPorts.console}/api   token: ${demoSecrets.consoleApiToken}  (CLI: CONCORD_API_TOKEN=${demoSecrets.consoleApiToken} npm run concord -- dlq list)
  health            resolver :${defaultPorts.resolver}  mapping :${defaultPorts.mapping}  crm-writer :${defaultPorts["crm-writer"]}  onec-writer :${defaultPorts["onec-writer"]}  (/healthz, /readyz)
  logs and traces   ${logDir}/
  NATS ${config.natsUrl}
  exchange log      psql ${config.databaseUrl} -c 'select at, stage, result, detail from ${config.databaseSchema}.exchange_log order by at'  

Walk-through: see README.md ("Try it"). Ctrl-C stops everything.`);

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    console.log("stopping…");
    await system.stop();
    await infra.stop();
    process.exit(0);
  };
  // A terminal that went away must not break the stop halfway (writing to it fails with EPIPE).
  process.stdout.on("error", () => undefined);
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(signal, () => void stop());
}

main().catch((error: unknown) => {
  console.error(`up failed: ${(error as Error).message}`);
  process.exit(1);
});

import { connectBus, type Bus } from "@concord/bus";
import { createSubjects, type Subjects } from "@concord/contracts";
import { createLogger } from "@concord/telemetry";
import { testDatabaseUrl, testNatsUrl, uniqueNamespace } from "@concord/testkit";
import postgres from "postgres";
import { createApp } from "./app";
import { mappingConfigSchema } from "./config";

/**
 * The mapping service on the test NATS and PostgreSQL, in a namespace and schema of its own,
 * started before the file's tests and removed after them; a bus and an SQL client beside it.
 */
export function useMappingApp(name: string, env: Record<string, string> = {}, before?: () => void) {
  const namespace = uniqueNamespace(name);
  const subjects: Subjects = createSubjects(namespace);
  let app: Awaited<ReturnType<typeof createApp>> | undefined;
  let bus: Bus | undefined;
  let sql: postgres.Sql | undefined;
  beforeAll(async () => {
    before?.();
    const config = mappingConfigSchema.parse({
      NATS_URL: testNatsUrl(),
      CONCORD_NAMESPACE: namespace,
      DATABASE_URL: testDatabaseUrl(),
      DATABASE_SCHEMA: namespace,
      MAPPING_HEALTH_PORT: "0",
      ...env,
    });
    app = await createApp(config, createLogger(`mapping-${name}-test`, "error"));
    bus = await connectBus(testNatsUrl(), `${name}-test`);
    sql = postgres(testDatabaseUrl(), { max: 4, connection: { search_path: namespace }, onnotice: () => undefined });
  }, 30_000);
  afterAll(async () => {
    await app?.stop();
    for (const stream of Object.values(subjects.streams)) await bus?.jsm.streams.delete(stream).catch(() => undefined);
    await bus?.nc.close();
    await sql?.unsafe(`drop schema if exists "${namespace}" cascade`);
    await sql?.end();
  });
  const ready = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error("the mapping app is not started yet (use it inside a test)");
    return value;
  };
  return { namespace, subjects, app: () => ready(app), bus: () => ready(bus), sql: () => ready(sql) };
}

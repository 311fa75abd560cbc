import { testDatabaseUrl, uniqueNamespace } from "@concord/testkit";
import { connectDb, migrateDb } from "./client";
import { idMapping } from "./schema";

const schema = uniqueNamespace("db_");

afterAll(async () => {
  const handle = connectDb(testDatabaseUrl(), schema, 1);
  await handle.sql.unsafe(`drop schema if exists "${schema}" cascade`);
  await handle.close();
});

it("migrates a fresh schema, concurrently and repeatedly, and enforces the identity constraints", async () => {
  await Promise.all([migrateDb(testDatabaseUrl(), schema), migrateDb(testDatabaseUrl(), schema)]);
  await migrateDb(testDatabaseUrl(), schema);
  const { db, sql, close } = connectDb(testDatabaseUrl(), schema, 2);
  try {
    const tables = await sql<{ table_name: string }[]>`
      select table_name from information_schema.tables where table_schema = ${schema} order by table_name`;
    expect(tables.map((t) => t.table_name)).toEqual(["__drizzle_migrations", "alert_deliveries", "alerts", "audit_log", "conflicts", "dead_letters", "decisions", "exchange_log", "failure_groups", "go_live_pages", "go_live_runs", "id_mapping", "sync_state"]);
    const row = { sourceSystem: "bitrix24", sourceEntity: "deal", sourceId: "1", targetSystem: "onec", targetEntity: "order", createdBy: "flow" };
    await db.insert(idMapping).values(row);
    await expect(db.insert(idMapping).values(row)).rejects.toMatchObject({ cause: { constraint_name: "id_mapping_source_uq" } });
    await db.insert(idMapping).values({ ...row, sourceId: "2", targetId: "ref-1" });
    await expect(db.insert(idMapping).values({ ...row, sourceId: "3", targetId: "ref-1" })).rejects.toMatchObject({ cause: { constraint_name: "id_mapping_target_uq" } });
  } finally {
    await close();
  }
});

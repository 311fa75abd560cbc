import { join } from "node:path";
import postgres from "postgres";
import { drizzle, type PostgresJsDatabase } from "drizzle-orm/postgres-js";
import { migrate } from "drizzle-orm/postgres-js/migrator";
import type { SQL } from "drizzle-orm";
import * as schema from "./schema";

export type Database = PostgresJsDatabase<typeof schema>;

/**
 * The rows of a raw SQL query, typed by the caller (drizzle's `execute` returns untyped rows):
 * for the aggregates and unions the query builder does not express.
 */
export async function queryRows<T>(db: Database, query: SQL): Promise<T[]> {
  return (await db.execute(query)) as unknown as T[];
}

export interface DbHandle {
  db: Database;
  sql: postgres.Sql;
  close(): Promise<void>;
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * Connects with `search_path` set to one schema, so each deployment (or test file) can keep
 * its tables in a schema of its own inside one database.
 */
export function connectDb(url: string, schemaName = "concord", max = 10): DbHandle {
  if (!SCHEMA_NAME.test(schemaName)) throw new Error(`schema "${schemaName}" must match ${SCHEMA_NAME}`);
  const sql = postgres(url, {
    max,
    connection: { search_path: schemaName, application_name: "concord" },
    onnotice: () => undefined,
  });
  return { db: drizzle(sql, { schema }), sql, close: () => sql.end({ timeout: 5 }) };
}

/**
 * Creates the schema and applies pending migrations. Safe to run from every replica at once:
 * a session advisory lock on the single connection serialises concurrent migrators.
 * (Migration SQL is unqualified — it lands in `search_path` — so one set serves any schema.)
 */
export async function migrateDb(url: string, schemaName = "concord"): Promise<void> {
  const handle = connectDb(url, schemaName, 1);
  const lockKey = `concord-migrate:${schemaName}`;
  try {
    await handle.sql`select pg_advisory_lock(hashtext(${lockKey}))`;
    await handle.sql.unsafe(`create schema if not exists "${schemaName}"`);
    await migrate(handle.db, { migrationsFolder: join(__dirname, "..", "migrations"), migrationsSchema: schemaName });
    await handle.sql`select pg_advisory_unlock(hashtext(${lockKey}))`;
  } finally {
    await handle.close();
  }
}

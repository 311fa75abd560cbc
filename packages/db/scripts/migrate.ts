// Applies migrations to DATABASE_URL in DATABASE_SCHEMA (`pnpm --filter @concord/db run migrate`).
import { migrateDb } from "../src/client";

const url = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const schema = process.env.DATABASE_SCHEMA ?? "concord";
migrateDb(url, schema).then(
  () => console.log(`migrations applied to schema ${schema}`),
  (error: unknown) => {
    console.error(`migration failed: ${(error as Error).message}`);
    process.exit(1);
  },
);

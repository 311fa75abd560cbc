import { defineConfig } from "drizzle-kit";

// `pnpm --filter @concord/db run generate` writes SQL migrations from src/schema.ts.
export default defineConfig({
  dialect: "postgresql",
  schema: "./src/schema.ts",
  out: "./migrations",
});

import { z } from "zod";
import { commonConfig, port, secret } from "@concord/config";

export const mappingConfigSchema = z.object({
  ...commonConfig,
  /** PostgreSQL connection URL (may hold a password: treated as a secret). */
  DATABASE_URL: secret(z.string().startsWith("postgres", "must be a postgres:// or postgresql:// URL")),
  /** Schema that holds Concord's tables; lets deployments or test runs share a database. */
  DATABASE_SCHEMA: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, "lower-case identifier").default("concord"),
  MAPPING_HOST: z.string().default("127.0.0.1"),
  /** Port of /healthz, /readyz and /metrics. */
  MAPPING_HEALTH_PORT: port(7411),
  /** Days the exchange log keeps a row (calls included); older rows are deleted in batches. 0: kept forever. */
  EXCHANGE_LOG_RETENTION_DAYS: z.coerce.number().min(0).default(30),
  /** How often the retention runs (first run a minute after start). */
  EXCHANGE_LOG_RETENTION_INTERVAL_MS: z.coerce.number().int().min(1_000).default(3_600_000),
});
export type MappingConfig = z.infer<typeof mappingConfigSchema>;

import { z } from "zod";
import { commonConfig, secret } from "@concord/config";

/**
 * The go-live tools read both systems and write the mapping (through the mapping service), so
 * they run in-process with both systems' credentials — the same variables, and the same shared
 * rate limits (NATS KV), as the writers: a backfill running beside live writers never takes
 * more than the portal's or the base's limit between them.
 */
export const goLiveConfigSchema = z.object({
  ...commonConfig,
  /** PostgreSQL of the mapping service: runs and their checkpoints live there; the mapping itself is written through the mapping service. */
  DATABASE_URL: secret(z.string().startsWith("postgres", "must be a postgres:// or postgresql:// URL").default("postgres://postgres@127.0.0.1:5432/postgres")),
  DATABASE_SCHEMA: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, "lower-case identifier").default("concord"),
  /** The sync policy: its `matching` keys are the backfill's; default config/concord.policy.yaml. */
  POLICY_FILE: z.string().optional(),
  /** Inbound webhook of the portal (crm-writer's). */
  B24_WEBHOOK_URL: secret(z.url("must be the inbound webhook URL, e.g. https://portal.bitrix24.ru/rest/1/<token>/")),
  B24_TIMEOUT_MS: z.coerce.number().int().positive().default(30_000),
  /** The portal's limit, shared with crm-writer through NATS (standard plans: 2/s, bucket 50). */
  B24_RATE_PER_SEC: z.coerce.number().positive().default(2),
  B24_RATE_BURST: z.coerce.number().int().min(1).default(50),
  /** Product field that holds the article (SKU) matching 1C's Артикул (crm-writer's). */
  CRM_PRODUCT_SKU_FIELD: z.string().default("XML_ID"),
  ONEC_ODATA_URL: z.url("must be the OData service root, e.g. http://host/base/odata/standard.odata/"),
  ONEC_USER: z.string().min(1),
  ONEC_PASSWORD: secret(z.string().min(1, "set the 1C user's password")),
  ONEC_TIMEOUT_MS: z.coerce.number().int().positive().default(60_000),
  /** The base's limit, shared with onec-writer through NATS. */
  ONEC_RATE_PER_SEC: z.coerce.number().positive().default(20),
  ONEC_RATE_BURST: z.coerce.number().int().min(1).default(20),
  /** 1C records per page ($top); every page is one request and one checkpoint. */
  GO_LIVE_ONEC_PAGE_SIZE: z.coerce.number().int().min(1).max(5_000).default(500),
  /** Bitrix24 list pages (50 records each) per `batch` request: 1 sends plain list calls. */
  GO_LIVE_B24_PAGES_PER_BATCH: z.coerce.number().int().min(1).max(50).default(50),
  /** Where the CSV and JSON reports are written. */
  GO_LIVE_REPORT_DIR: z.string().default("."),
  /** Test-only: SIGKILL the process after this many pages were read (the resume test). */
  GO_LIVE_TEST_KILL_AFTER_PAGES: z.coerce.number().int().positive().optional(),
});
export type GoLiveConfig = z.infer<typeof goLiveConfigSchema>;

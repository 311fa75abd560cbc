import { z } from "zod";
import { commonConfig, port, secret } from "@concord/config";
import { outageConfig } from "@concord/bus";

export const crmWriterConfigSchema = z.object({
  ...commonConfig,
  ...outageConfig,
  /** Bitrix24 inbound webhook base, e.g. https://portal.bitrix24.ru/rest/1/<token>/ (holds the token: secret). */
  B24_WEBHOOK_URL: secret(z.url("must be the inbound webhook URL, e.g. https://portal.bitrix24.ru/rest/1/<token>/")),
  /** Product field that holds the article (SKU) matching 1C's Артикул. */
  CRM_PRODUCT_SKU_FIELD: z.string().default("XML_ID"),
  /** Catch-up sweep of deals modified since the stored cursor (0 turns it off). */
  CRM_SWEEP_INTERVAL_MS: z.coerce.number().int().min(0).default(60_000),
  /** How far before the cursor each sweep re-reads. */
  CRM_SWEEP_OVERLAP_MS: z.coerce.number().int().min(0).default(120_000),
  /**
   * Existence check of deals, for lost delete webhooks: every deal id listed (50 per request) and
   * compared with the last listing (0 turns it off; also off while the sweeps are).
   */
  CRM_EXISTENCE_INTERVAL_MS: z.coerce.number().int().min(0).default(3_600_000),
  /**
   * Offline events as a source (0 turns it off): bind Concord's events with event_type=offline at
   * start and read the queue at this interval. Needs a portal and app context that allow them.
   */
  CRM_OFFLINE_EVENTS_INTERVAL_MS: z.coerce.number().int().min(0).default(0),
  CRM_WRITER_HOST: z.string().default("127.0.0.1"),
  /** Port of /healthz and /readyz. */
  CRM_WRITER_HEALTH_PORT: port(7412),
  /** How long one writer may hold a pair while it writes. */
  CRM_LEASE_TTL_MS: z.coerce.number().int().min(5_000).default(60_000),
  /** Per-call timeout towards Bitrix24 (its cloud cuts requests at 60 s). */
  B24_TIMEOUT_MS: z.coerce.number().int().positive().default(20_000),
  /**
   * The portal's request rate (its leaky bucket drains 2/s on standard plans, 5/s on Enterprise).
   * One limit for the portal, shared through NATS by every replica and every process calling it.
   */
  B24_RATE_PER_SEC: z.coerce.number().positive().default(2),
  /** The portal's burst: its leaky bucket's size (50 standard, 250 Enterprise). Two tokens are kept as headroom. */
  B24_RATE_BURST: z.coerce.number().int().min(1).default(50),
  /** Most calls grouped into one `batch` request while calls wait for the rate limit (1 = no batching; Bitrix24 allows 50). */
  B24_BATCH_MAX: z.coerce.number().int().min(1, "use 1 to turn batching off").max(50, "Bitrix24 refuses batches of more than 50 commands").default(50),
});
export type CrmWriterConfig = z.infer<typeof crmWriterConfigSchema>;

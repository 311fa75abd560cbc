import { z } from "zod";
import { commonConfig, port, secret } from "@concord/config";

export const crmWriterConfigSchema = z.object({
  ...commonConfig,
  /** Bitrix24 inbound webhook base, e.g. https://portal.bitrix24.ru/rest/1/<token>/ (holds the token: secret). */
  B24_WEBHOOK_URL: secret(z.url("must be the inbound webhook URL, e.g. https://portal.bitrix24.ru/rest/1/<token>/")),
  /** Product field that holds the article (SKU) matching 1C's Артикул. */
  CRM_PRODUCT_SKU_FIELD: z.string().default("XML_ID"),
  /** Catch-up sweep of deals modified since the stored cursor (0 turns it off). */
  CRM_SWEEP_INTERVAL_MS: z.coerce.number().int().min(0).default(60_000),
  /** How far before the cursor each sweep re-reads. */
  CRM_SWEEP_OVERLAP_MS: z.coerce.number().int().min(0).default(120_000),
  CRM_WRITER_HOST: z.string().default("127.0.0.1"),
  /** Port of /healthz and /readyz. */
  CRM_WRITER_HEALTH_PORT: port(7412),
  /** How long one writer may hold a pair while it writes. */
  CRM_LEASE_TTL_MS: z.coerce.number().int().min(5_000).default(60_000),
  /** Per-call timeout towards Bitrix24 (its cloud cuts requests at 60 s). */
  B24_TIMEOUT_MS: z.coerce.number().int().positive().default(20_000),
});
export type CrmWriterConfig = z.infer<typeof crmWriterConfigSchema>;

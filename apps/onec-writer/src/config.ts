import { z } from "zod";
import { commonConfig, port, secret } from "@concord/config";
import { outageConfig } from "@concord/bus";

export const onecWriterConfigSchema = z.object({
  ...commonConfig,
  ...outageConfig,
  /** 1C OData service root, e.g. http://host/trade/odata/standard.odata/ */
  ONEC_ODATA_URL: z.url("must be the OData service root, e.g. http://host/base/odata/standard.odata/"),
  /** 1C user for HTTP Basic auth (UTF-8). */
  ONEC_USER: z.string().min(1),
  /** Password of that user. */
  ONEC_PASSWORD: secret(z.string().min(1, "set the 1C user's password")),
  ONEC_TIMEOUT_MS: z.coerce.number().int().positive().default(30_000),
  /**
   * Requests per second to the 1C base, one limit shared through NATS by every replica and every
   * process calling it (1C publishes no limit: size it to what the server takes alongside its users).
   */
  ONEC_RATE_PER_SEC: z.coerce.number().positive().default(20),
  /** Requests that may go out at once after a quiet spell. Two tokens are kept as headroom. */
  ONEC_RATE_BURST: z.coerce.number().int().min(1).default(20),
  /**
   * How long one writer holds a pair without renewing it; renewed every third of it while it
   * works, so a slow 1C call keeps it. A crashed holder's lease lapses after this.
   */
  ONEC_LEASE_TTL_MS: z.coerce.number().int().min(3_000).default(30_000),
  /**
   * How long a create whose outcome is unknown stays in doubt before a find-before-create
   * settles it; default and minimum: twice ONEC_TIMEOUT_MS (a POST 1C is still committing when
   * Concord gives up has landed by then).
   */
  ONEC_CREATE_SETTLE_MS: z.coerce.number().int().positive().optional(),
  /** Sweep of order DataVersions, the fallback for lost notifications (0 turns it off). */
  ONEC_SWEEP_INTERVAL_MS: z.coerce.number().int().min(0).default(300_000),
  /**
   * IANA time zone of the 1C base: 1C reads dates as the base's wall time, whatever the zone of
   * the host running Concord (most bases run on Moscow time).
   */
  ONEC_TIME_ZONE: z
    .string()
    .default("Europe/Moscow")
    .refine((zone) => {
      try {
        new Intl.DateTimeFormat("en", { timeZone: zone });
        return true;
      } catch {
        return false;
      }
    }, "must be an IANA time zone, e.g. Europe/Moscow or Asia/Yekaterinburg"),
  /**
   * `extension`: the docs/1c extension is installed, and each PATCH carries the DataVersion read
   * just before it, which the extension's ПередЗаписью refuses if 1C moved on meanwhile.
   * `off`: Concord's own re-read before the write only (a window of one round trip remains).
   */
  ONEC_VERSION_CHECK: z.enum(["off", "extension"]).default("off"),
  ONEC_WRITER_HOST: z.string().default("127.0.0.1"),
  /** Port of /healthz and /readyz. */
  ONEC_WRITER_HEALTH_PORT: port(7413),
  /** AckWait of the command consumer: how soon a command held by a crashed writer is redelivered. */
  ONEC_ACK_WAIT_MS: z.coerce.number().int().min(1_000).default(60_000),
  /** Test-only fault hook: `crash-after-create` SIGKILLs the process after a 1C create, before the mapping confirm. */
  ONEC_TEST_FAULT: z.enum(["crash-after-create"]).optional(),
})
  .superRefine((config, ctx) => {
    if (config.ONEC_ACK_WAIT_MS <= config.ONEC_LEASE_TTL_MS) {
      ctx.addIssue({ code: "custom", path: ["ONEC_ACK_WAIT_MS"], message: `must outlast ONEC_LEASE_TTL_MS (${config.ONEC_LEASE_TTL_MS}): a command redelivered while its lease still stands would only wait` });
    }
    if (config.ONEC_CREATE_SETTLE_MS !== undefined && config.ONEC_CREATE_SETTLE_MS < 2 * config.ONEC_TIMEOUT_MS) {
      ctx.addIssue({ code: "custom", path: ["ONEC_CREATE_SETTLE_MS"], message: `must be at least twice ONEC_TIMEOUT_MS (${2 * config.ONEC_TIMEOUT_MS}): a create 1C is still committing could be missed and sent again` });
    }
  });
export type OnecWriterConfig = z.infer<typeof onecWriterConfigSchema>;

import { z } from "zod";
import { DlqFilterSchema, ResyncRequestSchema } from "@concord/contracts";

/**
 * Request schemas of the console API: every query and body is parsed here, and a mismatch is a
 * 400 naming the field. Objects are strict, so a misspelt option is an error, not ignored.
 */

/** `GET /api/dlq?flow=&system=&code=&status=&from=&to=&limit=` (query values are text). */
export const ListQuerySchema = DlqFilterSchema.extend({
  limit: z.coerce.number().int().min(1).max(1000).default(100),
}).strict();

/** `:id` in a path: a positive integer. */
export const IdParamSchema = z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER);

/** `POST /api/dlq/:id/retry`: re-publish the original, or with `refresh` rebuild from the source. */
export const RetryBodySchema = z.object({ refresh: z.boolean().default(false) }).strict();

/** `POST /api/dlq/retry`: every open dead letter matching the filter; `confirm: true` to act. */
export const BulkRetryBodySchema = z
  .object({
    filter: DlqFilterSchema.omit({ status: true }).strict(),
    refresh: z.boolean().default(false),
    confirm: z.boolean().optional(),
  })
  .strict();

/** `POST /api/dlq/:id/discard`: a reason is required, so the next person knows why. */
export const DiscardBodySchema = z
  .object({ reason: z.string({ error: "required: why it is discarded" }).trim().min(1, "required: why it is discarded").max(1000) })
  .strict();

/** `POST /api/resync`. */
export const ResyncBodySchema = ResyncRequestSchema;

/** `GET /api/audit?targetKind=&targetId=&actor=&limit=`: the audit trail, newest first. */
export const AuditQuerySchema = z
  .object({
    targetKind: z.enum(["dead-letter", "record", "filter", "flow"]).optional(),
    targetId: z.string().min(1).max(500).optional(),
    actor: z.string().min(1).max(100).optional(),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
  })
  .strict();

/** A zod error as one line: `field: problem; field: problem`. */
export function describeIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.length > 0 ? issue.path.join(".") : "body"}: ${issue.message}`).join("; ");
}

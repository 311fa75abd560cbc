import { z } from "zod";
import { InstantSchema } from "./codecs";

/**
 * One role model for the whole product (API tokens and the console's web users):
 * viewer reads; operator also retries, discards, resyncs and decides; admin also manages flows,
 * users and tokens. Each role includes the ones before it.
 */
export const RoleSchema = z.enum(["viewer", "operator", "admin"]).describe("What a caller may do");
export type Role = z.infer<typeof RoleSchema>;

const rank: Record<Role, number> = { viewer: 0, operator: 1, admin: 2 };

/** Whether `role` may do what needs `needed`. */
export function roleAllows(role: Role, needed: Role): boolean {
  return rank[role] >= rank[needed];
}

/** A web console user's name, in CONSOLE_USERS and `concord users hash --name`: letters, digits, . _ @ -, at most 64. */
export const CONSOLE_USER_NAME = /^[a-z0-9][a-z0-9._@-]{0,63}$/i;

/** The bcrypt cost of console users' password hashes: about 0.2 s a sign-in, expensive to guess at. */
export const CONSOLE_PASSWORD_COST = 12;

/** What people do that changes something: each is one audit entry. */
export const AuditActionSchema = z
  .enum(["dlq.retry", "dlq.retry-bulk", "dlq.discard", "resync", "decision", "flow.change", "token.change", "user.change", "sign-in", "sign-out", "failure-group"])
  .describe("The operator or admin action");
export type AuditAction = z.infer<typeof AuditActionSchema>;

/** One row of the audit trail (table `audit_log`, written only by mapping): who did what, when, on which record. */
export const AuditEntrySchema = z.object({
  id: z.number().int().positive().describe("Audit entry id"),
  at: InstantSchema.describe("When the action was requested"),
  actor: z.string().min(1).max(100).describe("Name of the API token or of the console user that acted"),
  role: RoleSchema.describe("The actor's role at the time"),
  action: AuditActionSchema,
  targetKind: z.enum(["dead-letter", "record", "filter", "decision", "flow", "user", "failure-group"]).describe("What the action was on"),
  targetId: z.string().max(500).describe("Dead letter id, `system:entity:id`, the bulk filter as JSON, a decision id, or a flow name"),
  result: z.enum(["ok", "failed"]).describe("Whether the action succeeded"),
  detail: z.string().max(2000).describe("What came of it (masked): the new message id, the reason, the error"),
  traceId: z.string().nullable(),
});
export type AuditEntry = z.infer<typeof AuditEntrySchema>;

export const AuditRecordRequestSchema = AuditEntrySchema.omit({ id: true });
export type AuditRecordRequest = z.infer<typeof AuditRecordRequestSchema>;
export const AuditRecordReplySchema = z.object({ entry: AuditEntrySchema });

export const AuditListRequestSchema = z.object({
  targetKind: z.enum(["dead-letter", "record", "filter", "decision", "flow", "user", "failure-group"]).optional(),
  targetId: z.string().max(500).optional(),
  actor: z.string().max(100).optional(),
  limit: z.number().int().min(1).max(1000).default(100),
});
export type AuditListRequest = z.input<typeof AuditListRequestSchema>;
export const AuditListReplySchema = z.object({ entries: z.array(AuditEntrySchema).describe("Newest first") });
export type AuditListReply = z.infer<typeof AuditListReplySchema>;

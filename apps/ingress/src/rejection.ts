import { ChangeEventSchema, type ChangeEvent } from "@concord/contracts";
import type { z } from "zod";

/** Why a webhook is refused: the HTTP status and the JSON body's `error` and `reason`. */
export interface Rejection {
  status: 400 | 401;
  error: string;
  /** Which field and why; never a value from the request. */
  reason?: string;
}

/** A webhook turned into the ChangeEvent to publish (plus a short detail for the outcome), or refused. */
export type WebhookResult = { ok: true; event: ChangeEvent; detail: string } | { ok: false; rejection: Rejection };

export function reject(status: Rejection["status"], error: string, reason?: string): WebhookResult {
  return { ok: false, rejection: reason === undefined ? { status, error } : { status, error, reason } };
}

/** `data[FIELDS][ID]` for form bodies (as the sender wrote it), `a.b` for JSON. */
function formatPath(path: ReadonlyArray<PropertyKey>, style: "form" | "json"): string {
  if (path.length === 0) return "(body)";
  const parts = path.map(String);
  return style === "form" ? `${parts[0]}${parts.slice(1).map((p) => `[${p}]`).join("")}` : parts.join(".");
}

/** Turns zod issues into one readable reason, e.g. `data[FIELDS][ID]: is required`. */
export function describeIssues(error: z.ZodError, style: "form" | "json"): string {
  return error.issues
    .slice(0, 3)
    .map((issue) => {
      const message = /received undefined$/.test(issue.message) ? "is required" : issue.message;
      return `${formatPath(issue.path, style)}: ${message}`;
    })
    .join("; ");
}

/** Last gate before publishing: nothing that fails the contract leaves ingress. */
export function checkedEvent(event: ChangeEvent, detail: string, style: "form" | "json"): WebhookResult {
  const parsed = ChangeEventSchema.safeParse(event);
  if (!parsed.success) return reject(400, "invalid payload", describeIssues(parsed.error, style));
  return { ok: true, event: parsed.data, detail };
}

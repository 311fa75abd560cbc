import { parseRetryAfter, permanent, retryable, type SyncError } from "@concord/contracts";
import { masker } from "@concord/telemetry";

/** Bitrix24's error envelope: `{"error":"CODE","error_description":"…"}`. The code may be empty. */
export interface Bitrix24ErrorBody {
  error?: string;
  error_description?: string;
}

/**
 * Classifies a failed Bitrix24 call. Rate and time limits and 5xx are retryable (with the wait
 * Bitrix24 implies); auth, scope and validation errors are permanent. CRM "Not found" has an
 * empty code and only its text tells it apart.
 */
export function classifyBitrix24Error(
  status: number,
  body: Bitrix24ErrorBody | undefined,
  retryAfterHeader: string | null,
  method: string,
): SyncError {
  const code = body?.error ?? "";
  const description = masker.text(body?.error_description ?? "");
  const message = `bitrix24 ${method}: HTTP ${status} ${code || "(no code)"} ${description}`.trim();
  const headerMs = parseRetryAfter(retryAfterHeader);
  const options = { systemMessage: description };
  if (code === "QUERY_LIMIT_EXCEEDED") return retryable("B24_QUERY_LIMIT_EXCEEDED", message, { ...options, retryAfterMs: headerMs ?? 1_000 });
  if (code === "OPERATION_TIME_LIMIT" || status === 429) return retryable("B24_OPERATION_TIME_LIMIT", message, { ...options, retryAfterMs: headerMs ?? 60_000 });
  if (code === "OVERLOAD_LIMIT") return retryable("B24_OVERLOAD_LIMIT", message, { ...options, retryAfterMs: headerMs ?? 60_000 });
  if (status >= 500) return retryable(`B24_HTTP_${status}`, message, { ...options, retryAfterMs: headerMs });
  if (status === 401 || code === "NO_AUTH_FOUND" || code === "expired_token") {
    return permanent("B24_UNAUTHORIZED", message, { ...options, failureClass: "pipeline" });
  }
  if (status === 403) return permanent("B24_FORBIDDEN", message, { ...options, failureClass: "pipeline" });
  if (status === 404 || code === "ERROR_METHOD_NOT_FOUND") return permanent("B24_METHOD_NOT_FOUND", message, { ...options, failureClass: "pipeline" });
  if (/not found/i.test(description)) return permanent("B24_NOT_FOUND", message, options);
  return permanent(code ? `B24_${code}` : "B24_REJECTED", message, options);
}


import { parseRetryAfter, permanent, retryable, type SyncError } from "@concord/contracts";
import { masker } from "@concord/telemetry";

/** 1C's error envelope: `{"odata.error":{"code":"9","message":{"lang":"ru","value":"…"}}}`. */
export interface OnecErrorBody {
  "odata.error"?: { code?: string; message?: { value?: string } };
}

const LOCK = /блокир|lock/i;
const VERSION_MOVED = "Concord: объект изменён после чтения";

/**
 * Classifies a failed OData call. A 5xx without an `odata.error` body leaves the outcome unknown
 * (retry: find-before-create makes that safe); a lock conflict is retryable; code -1 from a
 * configuration handler is the target refusing the data (a business rejection, permanent).
 */
export function classifyOnecError(status: number, body: OnecErrorBody | undefined, retryAfterHeader: string | null, what: string): SyncError {
  const code = body?.["odata.error"]?.code;
  const text = masker.text(body?.["odata.error"]?.message?.value ?? "");
  const message = `1c ${what}: HTTP ${status}${code !== undefined ? ` code ${code}` : ""} ${text}`.trim();
  const options = { systemMessage: text, retryAfterMs: parseRetryAfter(retryAfterHeader) };
  if (status === 401) return permanent("ONEC_UNAUTHORIZED", message, { ...options, failureClass: "pipeline" });
  if (status === 403) return permanent("ONEC_FORBIDDEN", message, { ...options, failureClass: "pipeline" });
  if (status === 429 || status === 502 || status === 503 || status === 504) return retryable(`ONEC_HTTP_${status}`, message, options);
  if (status >= 500) {
    if (code === undefined) return retryable("ONEC_UNKNOWN_OUTCOME", message, options);
    // The docs/1c extension's ПередЗаписью check: the record moved after Concord read it.
    if (text.startsWith(VERSION_MOVED)) return retryable("ONEC_VERSION_MOVED", message, options);
    if (LOCK.test(text)) return retryable("ONEC_LOCKED", message, { ...options, retryAfterMs: options.retryAfterMs ?? 2_000 });
    return permanent("ONEC_REJECTED", message, options);
  }
  if (status === 404) return permanent("ONEC_NOT_FOUND", message, options);
  if (code === "6") return permanent("ONEC_UNKNOWN_FIELD", message, { ...options, failureClass: "pipeline" });
  return permanent(`ONEC_INVALID${code !== undefined ? `_${code}` : ""}`, message, options);
}

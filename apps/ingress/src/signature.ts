import { createHmac, timingSafeEqual } from "node:crypto";

/**
 * Standard Webhooks 1.0 (symmetric `v1` signatures), the scheme Concord's 1C extension signs its
 * notifications with: `webhook-signature: v1,<base64 HMAC-SHA256(key, "<id>.<timestamp>.<raw body>")>`
 * where several space-separated signatures may be present during a secret rotation.
 * Pure: no clock or config is read here; callers pass them in.
 */

const SECRET_PREFIX = "whsec_";
const SIGNATURE_BYTES = 32;
const MAX_ID_LENGTH = 256;

export type SignatureFailure =
  /** A header is missing or malformed, or no signature matches: one generic answer, no hints. */
  | "invalid-signature"
  /** `webhook-timestamp` is too far from now: a replay or a badly skewed clock. */
  | "timestamp-outside-window";

export type SignatureCheck = { ok: true; id: string; timestamp: number } | { ok: false; error: SignatureFailure };

export interface SignedRequest {
  id: string | undefined;
  timestamp: string | undefined;
  signature: string | undefined;
  /** The body exactly as received: re-serialised JSON would not match the signature. */
  body: Uint8Array;
}

export interface VerifyOptions {
  /** Allowed |now - timestamp| in seconds (inclusive). */
  toleranceS: number;
  /** Unix seconds; injected so tests can place the clock at the window's edges. */
  nowS: number;
}

/** The HMAC key: base64 after `whsec_`; a secret without the prefix is used as its UTF-8 bytes. */
export function signingKey(secret: string): Buffer {
  return secret.startsWith(SECRET_PREFIX)
    ? Buffer.from(secret.slice(SECRET_PREFIX.length), "base64")
    : Buffer.from(secret, "utf8");
}

function mac(key: Buffer, id: string, timestamp: string, body: Uint8Array): Buffer {
  return createHmac("sha256", key).update(`${id}.${timestamp}.`, "utf8").update(body).digest();
}

/** Signs like a Standard Webhooks sender; returns the `webhook-signature` header value. Used by tests. */
export function signStandardWebhook(secret: string, id: string, timestamp: number | string, body: string | Uint8Array): string {
  const bytes = typeof body === "string" ? Buffer.from(body, "utf8") : body;
  return `v1,${mac(signingKey(secret), id, String(timestamp), bytes).toString("base64")}`;
}

/** Checks headers, the replay window and the signature, in that order. */
export function verifyStandardWebhook(secret: string, request: SignedRequest, options: VerifyOptions): SignatureCheck {
  const { id, timestamp, signature, body } = request;
  if (!id || id.length > MAX_ID_LENGTH || !timestamp || !signature) return { ok: false, error: "invalid-signature" };
  if (!/^\d{1,15}$/.test(timestamp)) return { ok: false, error: "invalid-signature" };
  const sentAt = Number(timestamp);
  if (Math.abs(options.nowS - sentAt) > options.toleranceS) return { ok: false, error: "timestamp-outside-window" };

  const expected = mac(signingKey(secret), id, timestamp, body);
  let matched = false;
  // Every candidate is checked (no early exit) so the time taken does not say which one matched.
  for (const part of signature.split(/\s+/)) {
    const [version, value] = part.replace(/,+$/, "").split(",", 2);
    if (version !== "v1" || !value) continue;
    const candidate = Buffer.from(value, "base64");
    if (candidate.length !== SIGNATURE_BYTES) continue;
    if (timingSafeEqual(candidate, expected)) matched = true;
  }
  return matched ? { ok: true, id, timestamp: sentAt } : { ok: false, error: "invalid-signature" };
}

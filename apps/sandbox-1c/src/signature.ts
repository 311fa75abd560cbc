import { createHash, createHmac, timingSafeEqual } from "node:crypto";

/** Standard Webhooks 1.0 signing, as Concord's 1C extension does it (docs/1c/README.md). */

const SECRET_PREFIX = "whsec_";

/** The HMAC key: base64-decoded secret after the `whsec_` prefix. */
export function decodeWebhookSecret(secret: string): Buffer {
  if (!secret.startsWith(SECRET_PREFIX)) throw new Error("webhook secret must start with whsec_");
  const key = Buffer.from(secret.slice(SECRET_PREFIX.length), "base64");
  if (key.length === 0) throw new Error("webhook secret has an empty key");
  return key;
}

/** `v1,<base64 HMAC-SHA256(key, "<id>.<timestamp>.<body>")>` */
export function signWebhook(secret: string, id: string, timestamp: number, body: string): string {
  const mac = createHmac("sha256", decodeWebhookSecret(secret)).update(`${id}.${timestamp}.${body}`, "utf8").digest("base64");
  return `v1,${mac}`;
}

/**
 * Checks a `webhook-signature` header (space-separated list of `v1,<sig>`) in constant time.
 * Used by the tests as a receiver would.
 */
export function verifyWebhook(secret: string, id: string, timestamp: number, body: string, header: string): boolean {
  const expected = Buffer.from(signWebhook(secret, id, timestamp, body).slice(3), "base64");
  return header.split(" ").some((part) => {
    if (!part.startsWith("v1,")) return false;
    const got = Buffer.from(part.slice(3), "base64");
    return got.length === expected.length && timingSafeEqual(got, expected);
  });
}

/**
 * The webhook-id: derived from content so it is stable across retries and equal for a
 * duplicate send — `sha256("<object>|<ref>|<dataVersion or deleted>")`, first 32 hex chars.
 */
export function notificationId(object: string, ref: string, dataVersion: string | null): string {
  return createHash("sha256")
    .update(`${object}|${ref}|${dataVersion ?? "deleted"}`, "utf8")
    .digest("hex")
    .slice(0, 32);
}

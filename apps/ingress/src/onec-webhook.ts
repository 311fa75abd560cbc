import { OnecNotificationSchema, OnecObjects, type ChangeEvent, type OnecNotification } from "@concord/contracts";
import { verifyStandardWebhook, type SignedRequest } from "./signature";
import { checkedEvent, describeIssues, reject, type Rejection, type WebhookResult } from "./rejection";

const SIGNATURE_ERRORS = {
  "invalid-signature": "invalid signature",
  "timestamp-outside-window": "timestamp outside the replay window",
} as const;

export interface OnecAuthOptions {
  secret: string;
  toleranceS: number;
  nowS: number;
}

/** Standard Webhooks check of a 1C notification; a failure is always a 401 without detail. */
export function authenticateOnec(
  request: SignedRequest,
  options: OnecAuthOptions,
): { ok: true; webhookId: string } | { ok: false; rejection: Rejection } {
  const check = verifyStandardWebhook(options.secret, request, options);
  if (check.ok) return { ok: true, webhookId: check.id };
  return { ok: false, rejection: { status: 401, error: SIGNATURE_ERRORS[check.error] } };
}

/** The verified raw body of a 1C notification → ChangeEvent. */
export function parseOnecNotification(raw: Uint8Array, receivedAt: Date): WebhookResult {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(raw));
  } catch (error) {
    const why = error instanceof SyntaxError ? error.message : "body is not UTF-8";
    return reject(400, "invalid payload", `malformed JSON: ${why}`);
  }
  const parsed = OnecNotificationSchema.safeParse(json);
  if (!parsed.success) return reject(400, "invalid payload", describeIssues(parsed.error, "json"));
  return toOnecChangeEvent(parsed.data, receivedAt);
}

/**
 * DataVersion identifies the change. A notification without one (a delete, or an extension
 * that could not read it) falls back to its commit instant, still derived from content so a
 * resend keeps the same dedupe id.
 */
export function toOnecChangeEvent(notification: OnecNotification, receivedAt: Date): WebhookResult {
  const event: ChangeEvent = {
    v: 1,
    type: "change",
    system: "onec",
    entity: OnecObjects[notification.object],
    sourceId: notification.ref.toLowerCase(),
    action: notification.deleted ? "delete" : "upsert",
    sourceVersion: notification.dataVersion ?? `${notification.deleted ? "deleted" : "changed"}@${notification.occurredAt}`,
    occurredAt: notification.occurredAt,
    receivedAt: receivedAt.toISOString(),
    via: "webhook",
  };
  return checkedEvent(event, `${notification.object} ${event.action}`, "json");
}

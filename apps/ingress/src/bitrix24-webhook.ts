import { Bitrix24EventNames, Bitrix24EventPayloadSchema, type Bitrix24EventPayload, type ChangeEvent } from "@concord/contracts";
import { tokensEqual } from "./token";
import { checkedEvent, describeIssues, reject, type WebhookResult } from "./rejection";

/** 9999-12-31T23:59:59Z: later instants have no plain ISO-8601 form. */
const MAX_UNIX_S = 253_402_300_799;

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/**
 * A Bitrix24 outbound event (form body parsed with bracket nesting) → ChangeEvent.
 * The application token is checked first, so an unauthenticated caller learns nothing about
 * the payload rules; the 401 is generic whether the token is missing or wrong.
 */
export function parseBitrix24Webhook(body: unknown, expectedToken: string, receivedAt: Date): WebhookResult {
  const token = isRecord(body) && isRecord(body.auth) ? body.auth.application_token : undefined;
  if (!tokensEqual(token, expectedToken)) return reject(401, "unauthorized");
  const parsed = Bitrix24EventPayloadSchema.safeParse(body);
  if (!parsed.success) return reject(400, "invalid payload", describeIssues(parsed.error, "form"));
  return toBitrix24ChangeEvent(parsed.data, receivedAt);
}

/**
 * `sourceVersion` keeps the event name: ONCRMDEALADD and ONCRMDEALUPDATE both mean upsert, and
 * with the same `ts` they would otherwise share a dedupe id and one would be dropped.
 */
export function toBitrix24ChangeEvent(payload: Bitrix24EventPayload, receivedAt: Date): WebhookResult {
  const { entity, action } = Bitrix24EventNames[payload.event];
  const ts = Number(payload.ts);
  if (ts > MAX_UNIX_S) return reject(400, "invalid payload", "ts: out of range for unix seconds");
  const event: ChangeEvent = {
    v: 1,
    type: "change",
    system: "bitrix24",
    entity,
    sourceId: payload.data.FIELDS.ID,
    action,
    sourceVersion: `${payload.event}@${payload.ts}`,
    occurredAt: new Date(ts * 1000).toISOString(),
    receivedAt: receivedAt.toISOString(),
    via: "webhook",
  };
  return checkedEvent(event, payload.event, "form");
}

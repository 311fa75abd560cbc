import { isSyncError } from "./errors";
import type { System } from "./systems";

/**
 * Where a failure lies, which decides what it may cost:
 * * `record` — this record's data or state (a refused field, a missing reference): it counts
 *   against the record's retry budget and may end in the DLQ;
 * * `target` — the portal or 1C base as a whole (rate limit, down, credentials): it opens the
 *   target's circuit, pauses the flow and never counts against a record;
 * * `pipeline` — Concord's own infrastructure (NATS, mapping, a writer not answering): retried
 *   without counting, since no record is at fault.
 */
export type ErrorScope = "record" | "target" | "pipeline";

/**
 * * `retryable` — the same call may succeed later by itself;
 * * `permanent` — it will not until a person changes configuration, credentials or code;
 * * `business` — the target (or the policy) refused this record's data.
 */
export type ErrorKind = "retryable" | "permanent" | "business";

/**
 * How a target-scope error opens its circuit: `at-once` (the target said so for everyone: a
 * rate limit, a refused credential) or `distinct-records` (5xx, timeouts, refused connections:
 * one record can be unlucky, several distinct records within a short window cannot).
 */
export type CircuitTrip = "at-once" | "distinct-records";

export interface ErrorEntry {
  readonly scope: ErrorScope;
  readonly kind: ErrorKind;
  /** The target whose circuit a target-scope error concerns. */
  readonly system?: System;
  readonly trip?: CircuitTrip;
  /**
   * The longest a record-scope retry of this error waits (the budget still counts): for waits on
   * another record's progress, which a 5-minute backoff step would only delay after it landed.
   */
  readonly backoffCapMs?: number;
  readonly meaning: string;
}

/** Every error code Concord raises, with its scope, kind and meaning. */
export const ErrorCatalog = {
  // Bitrix24 — the target as a whole
  B24_QUERY_LIMIT_EXCEEDED: { scope: "target", kind: "retryable", system: "bitrix24", trip: "at-once", meaning: "the portal's request budget is spent (another client may share it)" },
  B24_OPERATION_TIME_LIMIT: { scope: "target", kind: "retryable", system: "bitrix24", trip: "at-once", meaning: "the portal's time budget for a method is spent, or it answered 429" },
  B24_OVERLOAD_LIMIT: { scope: "target", kind: "retryable", system: "bitrix24", trip: "at-once", meaning: "the portal blocked the webhook for overload" },
  B24_UNAUTHORIZED: { scope: "target", kind: "permanent", system: "bitrix24", trip: "at-once", meaning: "the portal refused the credential (401, NO_AUTH_FOUND, expired_token): rotated or revoked" },
  B24_FORBIDDEN: { scope: "target", kind: "permanent", system: "bitrix24", trip: "at-once", meaning: "the portal refused access (403): the webhook lacks a scope or was blocked" },
  B24_TIMEOUT: { scope: "target", kind: "retryable", system: "bitrix24", trip: "distinct-records", meaning: "the portal did not answer in time" },
  B24_NETWORK: { scope: "target", kind: "retryable", system: "bitrix24", trip: "distinct-records", meaning: "the portal could not be reached (refused, reset, DNS)" },
  B24_BAD_RESPONSE: { scope: "target", kind: "retryable", system: "bitrix24", trip: "distinct-records", meaning: "the portal answered with something that is not its JSON envelope (a proxy's error page)" },
  B24_RATE_LIMITER_UNAVAILABLE: { scope: "pipeline", kind: "retryable", meaning: "the shared rate limiter's state in NATS could not be read or written" },
  // Often one method a plan or module lacks, not the portal as a whole: the DLQ, not a pause of everything.
  B24_METHOD_NOT_FOUND: { scope: "record", kind: "permanent", meaning: "the portal does not know the method (404, ERROR_METHOD_NOT_FOUND): wrong URL or a module is off" },
  B24_NOT_FOUND: { scope: "record", kind: "business", meaning: "the CRM record does not exist" },
  B24_REJECTED: { scope: "record", kind: "business", meaning: "the portal refused the call for this record without a code" },
  // 1C — the target as a whole
  ONEC_UNAUTHORIZED: { scope: "target", kind: "permanent", system: "onec", trip: "at-once", meaning: "1C refused the user or password (401): rotated or locked" },
  ONEC_FORBIDDEN: { scope: "target", kind: "permanent", system: "onec", trip: "at-once", meaning: "1C refused access (403): the user lacks rights on the published OData" },
  ONEC_TIMEOUT: { scope: "target", kind: "retryable", system: "onec", trip: "distinct-records", meaning: "1C did not answer in time" },
  ONEC_NETWORK: { scope: "target", kind: "retryable", system: "onec", trip: "distinct-records", meaning: "1C could not be reached (refused, reset, DNS): down, restarting, being backed up" },
  ONEC_UNKNOWN_OUTCOME: { scope: "target", kind: "retryable", system: "onec", trip: "distinct-records", meaning: "1C answered 5xx without an OData error: the outcome of a write is unknown" },
  ONEC_RATE_LIMITER_UNAVAILABLE: { scope: "pipeline", kind: "retryable", meaning: "the shared rate limiter's state in NATS could not be read or written" },
  // 1C — one record
  ONEC_LOCKED: { scope: "record", kind: "retryable", meaning: "a 1C user or job holds the object's lock" },
  ONEC_VERSION_MOVED: { scope: "record", kind: "retryable", meaning: "the object changed in 1C after Concord read it (docs/1c extension check)" },
  ONEC_REJECTED: { scope: "record", kind: "business", meaning: "1C refused the object (a configuration handler or a posting check)" },
  ONEC_NOT_FOUND: { scope: "record", kind: "business", meaning: "the 1C object does not exist" },
  // One object set's field, not the base as a whole: the command waits in the DLQ for a person
  // (the policy or the configuration), while the rest of the flow to 1C goes on.
  ONEC_UNKNOWN_FIELD: { scope: "record", kind: "permanent", meaning: "1C does not know a field Concord sends: the configuration differs from the one expected" },
  ONEC_INVALID: { scope: "record", kind: "business", meaning: "1C refused the request for this record (4xx)" },
  // Circuits
  CIRCUIT_OPEN: { scope: "target", kind: "retryable", meaning: "the target's circuit is open: no call was made, the work waits for the probe" },
  // Concord's data and policy
  BAD_MESSAGE: { scope: "record", kind: "permanent", meaning: "a message does not match its contract" },
  BAD_REPLY: { scope: "pipeline", kind: "permanent", meaning: "a request/reply answer does not match its contract (version mismatch between services)" },
  BAD_REQUEST: { scope: "record", kind: "permanent", meaning: "a request does not match its contract" },
  INVALID_RECORD_ID: { scope: "record", kind: "permanent", meaning: "an id does not have its system's form; never sent to the target" },
  NOT_MAPPED: { scope: "record", kind: "business", meaning: "the record has no pair on the other side" },
  PAIR_NOT_CONFIRMED: { scope: "record", kind: "retryable", meaning: "the pair's create is not confirmed yet" },
  ORPHAN_ORIGIN: { scope: "record", kind: "business", meaning: "the deal names a 1C order Concord does not know" },
  ORPHAN_MARKER: { scope: "record", kind: "business", meaning: "a 1C order carries the inverse id of a deal that no mapping links to any order (planted, or the mapping was lost)" },
  PAIRED_THE_OTHER_WAY: { scope: "record", kind: "retryable", backoffCapMs: 15_000, meaning: "the two records are already paired by the other direction's claim: the command, looked at again, goes on through that pair" },
  IDENTITY_CLAIMED: { scope: "record", kind: "retryable", meaning: "the record is being created from the other side; its pair is not confirmed yet (one claim per identity)" },
  CREATE_IN_DOUBT: { scope: "record", kind: "retryable", meaning: "a create's outcome is unknown (timeout, reset, 5xx); a find-before-create settles it after the settle delay" },
  CREATE_IN_DOUBT_AMBIGUOUS: { scope: "record", kind: "business", meaning: "after a create in doubt, several target records carry the inverse id; a person says which one Concord created" },
  // The order waits for its customer's own command (a lookup in mapping, no target call): looked
  // at again every 15 s at most, so it follows within seconds once the customer lands.
  REFERENCE_NOT_READY: { scope: "record", kind: "retryable", backoffCapMs: 15_000, meaning: "a referenced record (customer, product) has no pair yet" },
  REFERENCE_GONE: { scope: "record", kind: "business", meaning: "a referenced record was deleted" },
  TARGET_GONE: { scope: "record", kind: "business", meaning: "the mapped record was deleted in the target" },
  TARGET_ALREADY_MAPPED: { scope: "record", kind: "business", meaning: "the target record is already paired with another source record" },
  PRODUCT_NOT_FOUND: { scope: "record", kind: "business", meaning: "no 1C product has the CRM product's article" },
  PRODUCT_WITHOUT_SKU: { scope: "record", kind: "business", meaning: "a product has no article to match it by" },
  VAT_RATE_UNMAPPED: { scope: "record", kind: "business", meaning: "a CRM tax rate has no 1C VAT rate" },
  STATUS_UNMAPPED: { scope: "record", kind: "business", meaning: "a stage or status is missing from the policy's status map" },
  CATEGORY_INVALID: { scope: "record", kind: "business", meaning: "a deal's pipeline id is not a number" },
  MAPPING_NOT_FOUND: { scope: "record", kind: "permanent", meaning: "the mapping row named by a request does not exist" },
  DECISION_NOT_FOUND: { scope: "record", kind: "permanent", meaning: "no decision has the id a person gave" },
  DECISION_CLOSED: { scope: "record", kind: "permanent", meaning: "the decision was already taken; a second one is refused" },
  NOT_A_CANDIDATE: { scope: "record", kind: "permanent", meaning: "a person chose to link a record that is not one of the decision's candidates" },
  MAPPING_CONFLICT: { scope: "record", kind: "permanent", meaning: "the mapping row is in a state the request does not allow" },
  // Concord's pipeline
  LEASE_LOST: { scope: "pipeline", kind: "retryable", meaning: "the pair's lease expired or passed to another writer mid-write; the next holder settles the pair" },
  LEASE_BUSY: { scope: "pipeline", kind: "retryable", meaning: "another writer holds the pair's lease" },
  FLOW_SWITCHED_LIVE: { scope: "pipeline", kind: "retryable", meaning: "the flow went live while a dry-run decision was being made: the event is decided again, live" },
  RPC_UNAVAILABLE: { scope: "pipeline", kind: "retryable", meaning: "no service answered a request (mapping or a writer is down or slow)" },
  BUS_PUBLISH_FAILED: { scope: "pipeline", kind: "retryable", meaning: "JetStream did not acknowledge a publish" },
  RATE_LIMITER_UNAVAILABLE: { scope: "pipeline", kind: "retryable", meaning: "the shared rate limiter's state in NATS could not be read or written" },
  // NATS and JetStream, recognised by their codes and error classes (packages/bus nats-errors.ts), never by text
  NATS_TIMEOUT: { scope: "pipeline", kind: "retryable", meaning: "a NATS request got no reply in time" },
  NATS_NO_RESPONDERS: { scope: "pipeline", kind: "retryable", meaning: "nobody subscribes to the subject (the service is down or starting)" },
  NATS_CONNECTION: { scope: "pipeline", kind: "retryable", meaning: "the NATS connection is closed, draining or lost" },
  NATS_PERMISSION: { scope: "pipeline", kind: "permanent", meaning: "the NATS user may not publish or subscribe there (infra/nats/accounts.conf)" },
  NATS_AUTH: { scope: "pipeline", kind: "permanent", meaning: "NATS refused or expired the service's credentials" },
  JS_CONSUMER_NOT_FOUND: { scope: "pipeline", kind: "retryable", meaning: "JetStream 10014: the durable consumer is gone (recreated at the next pull)" },
  JS_STREAM_NOT_FOUND: { scope: "pipeline", kind: "retryable", meaning: "JetStream 10059: the stream is gone (recreated at start)" },
  JS_NOT_ENABLED: { scope: "pipeline", kind: "permanent", meaning: "JetStream 10039: JetStream is not enabled for the account" },
  JS_WRONG_LAST_SEQUENCE: { scope: "pipeline", kind: "retryable", meaning: "JetStream 10071/10164: a compare-and-set lost to another writer" },
  JS_STREAM_EXISTS: { scope: "pipeline", kind: "retryable", meaning: "JetStream 10058: a stream of that name exists already (another replica created it first)" },
  JS_NO_MESSAGE: { scope: "pipeline", kind: "retryable", meaning: "JetStream 10037: no message at that sequence or key" },
  JS_API: { scope: "pipeline", kind: "retryable", meaning: "another JetStream API error (its numeric err_code is kept in the message)" },
  INTERNAL: { scope: "pipeline", kind: "retryable", meaning: "an unexpected failure inside a service" },
  UNCLASSIFIED: { scope: "record", kind: "retryable", meaning: "an error no code was given to: retried within the record's budget" },
  // Operations (console and mapping)
  DEAD_LETTER_NOT_FOUND: { scope: "record", kind: "permanent", meaning: "no dead letter has that id" },
  DEAD_LETTER_NOT_OPEN: { scope: "record", kind: "permanent", meaning: "the dead letter was already retried or discarded" },
  NOT_RESYNCABLE: { scope: "record", kind: "permanent", meaning: "the dead letter or record cannot be rebuilt from its source" },
  DLQ_SEAL_UNKNOWN_KEY: { scope: "pipeline", kind: "permanent", meaning: "a sealed payload names a key this service does not hold" },
  DLQ_SEAL_INVALID: { scope: "record", kind: "permanent", meaning: "a sealed payload does not open" },
  DLQ_PAYLOAD_MASKED: { scope: "record", kind: "permanent", meaning: "the dead letter's payload was kept masked only: it cannot be re-published" },
} as const satisfies Record<string, ErrorEntry>;

export type ErrorCode = keyof typeof ErrorCatalog;

/**
 * Codes built from what the target said (`B24_HTTP_503`, `ONEC_INVALID_9`, `B24_<portal code>`):
 * matched by form, first match wins.
 */
const families: ReadonlyArray<{ pattern: RegExp; entry: ErrorEntry }> = [
  { pattern: /^B24_HTTP_5\d\d$/, entry: { scope: "target", kind: "retryable", system: "bitrix24", trip: "distinct-records", meaning: "the portal answered 5xx" } },
  { pattern: /^ONEC_HTTP_429$/, entry: { scope: "target", kind: "retryable", system: "onec", trip: "at-once", meaning: "1C (or its web server) said too many requests" } },
  { pattern: /^ONEC_HTTP_50[234]$/, entry: { scope: "target", kind: "retryable", system: "onec", trip: "distinct-records", meaning: "1C's web server answered 502/503/504: the base is down, locked or restarting" } },
  { pattern: /^ONEC_INVALID_\w+$/, entry: ErrorCatalog.ONEC_INVALID },
  { pattern: /^B24_\w+$/, entry: ErrorCatalog.B24_REJECTED },
];

/** An error nobody classified: one record's failure, retried within its budget. */
const unknownEntry: ErrorEntry = ErrorCatalog.UNCLASSIFIED;

export function isCatalogued(code: string): code is ErrorCode {
  return Object.prototype.hasOwnProperty.call(ErrorCatalog, code);
}

/** The catalog entry of a code: exact, then by family; an unknown code is a record's retryable failure. */
export function catalogEntry(code: string): ErrorEntry {
  if (isCatalogued(code)) return ErrorCatalog[code];
  return families.find((f) => f.pattern.test(code))?.entry ?? unknownEntry;
}

/** The entry for any thrown value: SyncErrors by code; anything else is unclassified. */
export function classifyError(error: unknown): ErrorEntry & { code: string } {
  const code = isSyncError(error) ? error.code : "UNCLASSIFIED";
  return { code, ...catalogEntry(code) };
}

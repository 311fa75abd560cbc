import type { JetStreamClient } from "@nats-io/jetstream";
import { publishJsonWithHeaders, republishOriginal, type DlqClient } from "@concord/bus";
import {
  Headers,
  SchemaVersions,
  changeEventId,
  isResyncable,
  manualChangeEvent,
  recordIdProblem,
  permanent,
  retryMessageId,
  type DeadLetterRecord,
  type DlqFilter,
  type RecordRef,
  type Subjects,
} from "@concord/contracts";

export interface RetryResult {
  id: number;
  /** `republished`: the original went back to its subject; `refreshed`: a manual change event was published. */
  action: "republished" | "refreshed";
  subject: string;
  messageId: string;
  /** JetStream already had this message id (a repeated retry): nothing new was stored. */
  duplicate: boolean;
  deadLetter: DeadLetterRecord;
}

export interface ResyncResult {
  subject: string;
  messageId: string;
  duplicate: boolean;
}

/** The largest batch one bulk retry touches; the filter narrows larger sets. */
export const BULK_LIMIT = 1000;

/**
 * What the console does: reads go through mapping's `dlq.*` request/reply, writes are
 * publishes (JetStream-acked) followed by `dlq.mark`. The console holds no state of its own.
 */
export function createOperations(js: JetStreamClient, subjects: Subjects, dlq: DlqClient) {
  async function load(id: number): Promise<DeadLetterRecord> {
    const { deadLetter } = await dlq.get(id);
    if (!deadLetter) throw permanent("DEAD_LETTER_NOT_FOUND", `dead letter ${id} does not exist`);
    return deadLetter;
  }

  async function publishResync(ref: RecordRef, extraHeaders: Record<string, string> = {}): Promise<ResyncResult> {
    if (!isResyncable(ref.system, ref.entity)) {
      throw permanent("NOT_RESYNCABLE", `${ref.system} ${ref.entity} cannot be resynced (bitrix24 deal|company|contact, onec order|counterparty|product)`);
    }
    // A dead letter's record id came from a message: checked like any id from outside.
    const problem = recordIdProblem(ref.system, ref.entity, ref.id);
    if (problem) throw permanent("BAD_REQUEST", `${ref.system} ${ref.entity} id: ${problem}`);
    const event = manualChangeEvent(ref);
    const subject = subjects.event(ref.system, ref.entity);
    const messageId = changeEventId(event);
    const ack = await publishJsonWithHeaders(js, subject, event, { msgId: messageId, schema: SchemaVersions.change, headers: extraHeaders });
    return { subject, messageId, duplicate: ack.duplicate };
  }

  /**
   * Retries one open dead letter. Without `refresh` its original goes back to its original
   * subject (it re-enters at the step that failed) with the dedupe id `retry:<id>:<n>`, so a
   * repeated command stores it once; with `refresh` the source record is announced as changed
   * and the resolver rebuilds the command from its current state. Then it is marked retried.
   */
  async function retry(id: number, refresh: boolean): Promise<RetryResult> {
    const letter = await load(id);
    if (letter.status !== "open") {
      throw permanent("DEAD_LETTER_NOT_OPEN", `dead letter ${id} is ${letter.status}; only open dead letters are retried`);
    }
    let result: Omit<RetryResult, "deadLetter">;
    if (refresh) {
      if (!letter.system || !letter.entity || !letter.recordId) {
        throw permanent("NOT_RESYNCABLE", `dead letter ${id} names no source record to refresh; retry it without refresh`);
      }
      const headers: Record<string, string> = { [Headers.retryOf]: String(id) };
      const traceparent = letter.original.headers[Headers.traceparent];
      if (traceparent) headers[Headers.traceparent] = traceparent;
      const published = await publishResync({ system: letter.system, entity: letter.entity, id: letter.recordId }, headers);
      result = { id, action: "refreshed", ...published };
    } else {
      const messageId = retryMessageId(id, letter.retryCount + 1);
      // The original as first sent (opened from its sealed copy), never the masked one people see.
      const ack = await republishOriginal(js, letter, { msgId: messageId, retryOf: id });
      result = { id, action: "republished", subject: letter.subject, messageId, duplicate: ack.duplicate };
    }
    const marked = await dlq.mark({ id, status: "retried" });
    return { ...result, deadLetter: marked.deadLetter };
  }

  /** The open dead letters a bulk retry would touch. */
  async function openMatching(filter: Omit<DlqFilter, "status">) {
    return dlq.list({ ...filter, status: "open", limit: BULK_LIMIT });
  }

  async function retryMatching(filter: Omit<DlqFilter, "status">, refresh: boolean) {
    const { deadLetters } = await openMatching(filter);
    const retried: RetryResult[] = [];
    const failed: Array<{ id: number; error: string }> = [];
    // One at a time, oldest first: a bulk retry must not flood the writers it feeds.
    for (const letter of [...deadLetters].reverse()) {
      try {
        retried.push(await retry(letter.id, refresh));
      } catch (error) {
        failed.push({ id: letter.id, error: String((error as Error)?.message ?? error) });
      }
    }
    return { retried, failed };
  }

  const discard = (id: number, reason: string) => dlq.mark({ id, status: "discarded", reason });

  /** One dead letter with its retry history (404 when there is none). */
  async function get(id: number) {
    const reply = await dlq.get(id);
    if (!reply.deadLetter) throw permanent("DEAD_LETTER_NOT_FOUND", `dead letter ${id} does not exist`);
    return reply;
  }

  return { list: dlq.list, get, retry, openMatching, retryMatching, discard, resync: (ref: RecordRef) => publishResync(ref) };
}
export type Operations = ReturnType<typeof createOperations>;

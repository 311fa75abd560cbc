import type { JetStreamClient } from "@nats-io/jetstream";
import { SchemaVersions, outcomeId, type Outcome, type Subjects } from "@concord/contracts";
import { currentTraceId, masker, metrics, takeCalls, type Logger } from "@concord/telemetry";
import { publishJson } from "./publish";

export type OutcomeInput = Omit<Outcome, "v" | "type" | "at" | "traceId" | "error" | "calls" | "callsDropped"> & { at?: string; error?: Outcome["error"] };

/**
 * Reports what a stage did with a message to OUTCOMES (recorded in the exchange log), with the
 * target calls made for it since the last report in this delivery (each call is reported once).
 * Reporting never decides the fate of the message: a failed report is logged, not thrown.
 */
export async function reportOutcome(js: JetStreamClient, subjects: Subjects, input: OutcomeInput, logger: Logger): Promise<void> {
  const { calls, dropped } = takeCalls();
  const outcome: Outcome = {
    v: 1,
    type: "outcome",
    ...input,
    ...(calls.length > 0 ? { calls } : {}),
    ...(dropped > 0 ? { callsDropped: dropped } : {}),
    error: input.error ?? null,
    detail: masker.text(input.detail).slice(0, 2000),
    at: input.at ?? new Date().toISOString(),
    traceId: currentTraceId(),
  };
  try {
    await publishJson(js, subjects.outcome(outcome.subject.system, outcome.subject.entity), outcome, {
      msgId: outcomeId(outcome),
      schema: SchemaVersions.outcome,
    });
    metrics.outcomes.inc({ stage: outcome.stage, result: outcome.result, system: outcome.subject.system, entity: outcome.subject.entity });
  } catch (error) {
    logger.warn("outcome not reported", { stage: outcome.stage, result: outcome.result, messageId: outcome.messageId, error });
  }
  logger.info(`${outcome.stage}: ${outcome.result}`, {
    record: `${outcome.subject.system}:${outcome.subject.entity}:${outcome.subject.id}`,
    target: outcome.target ? `${outcome.target.system}:${outcome.target.entity}:${outcome.target.id}` : undefined,
    detail: outcome.detail,
    messageId: outcome.messageId,
    attempts: outcome.attempts,
    durationMs: Math.round(outcome.durationMs),
  });
}

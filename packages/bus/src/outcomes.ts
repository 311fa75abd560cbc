import type { JetStreamClient } from "@nats-io/jetstream";
import { SchemaVersions, outcomeId, type Outcome, type Subjects } from "@concord/contracts";
import { currentTraceId, masker, type Logger } from "@concord/telemetry";
import { publishJson } from "./publish";

export type OutcomeInput = Omit<Outcome, "v" | "type" | "at" | "traceId" | "error"> & { at?: string; error?: Outcome["error"] };

/**
 * Reports what a stage did with a message to OUTCOMES (recorded in the exchange log).
 * Reporting never decides the fate of the message: a failed report is logged, not thrown.
 */
export async function reportOutcome(js: JetStreamClient, subjects: Subjects, input: OutcomeInput, logger: Logger): Promise<void> {
  const outcome: Outcome = {
    v: 1,
    type: "outcome",
    ...input,
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

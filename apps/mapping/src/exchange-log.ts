import { exchangeLog, type Database } from "@concord/db";
import { outcomeId, type Outcome } from "@concord/contracts";

/** Appends an outcome to the exchange log; a repeated delivery of the same outcome is a no-op. */
export async function recordOutcome(db: Database, outcome: Outcome): Promise<void> {
  await db
    .insert(exchangeLog)
    .values({
      outcomeId: outcomeId(outcome),
      at: new Date(outcome.at),
      stage: outcome.stage,
      messageId: outcome.messageId,
      system: outcome.subject.system,
      entity: outcome.subject.entity,
      recordId: outcome.subject.id,
      targetSystem: outcome.target?.system ?? null,
      targetEntity: outcome.target?.entity ?? null,
      targetId: outcome.target?.id ?? null,
      result: outcome.result,
      detail: outcome.detail,
      attempts: outcome.attempts,
      durationMs: Math.round(outcome.durationMs),
      traceId: outcome.traceId,
    })
    .onConflictDoNothing();
}

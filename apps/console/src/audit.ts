import { currentTraceId, masker, type Logger } from "@concord/telemetry";
import type { AuditAction, AuditEntry, AuditListRequest } from "@concord/contracts";
import type { Caller } from "./auth";

/** The part of mapping's client the trail needs (createDlqClient has both). */
export interface AuditBackend {
  audit(entry: Omit<AuditEntry, "id">): Promise<{ entry: AuditEntry }>;
  auditList(request: AuditListRequest): Promise<{ entries: AuditEntry[] }>;
}

export interface AuditTarget {
  kind: AuditEntry["targetKind"];
  id: string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Records every operator action in the audit trail (mapping's `audit_log`): who (the token's
 * name and role), when, what, on which record, and what came of it — a failure too. The entry is
 * written after the action, with a few retries; if mapping cannot take it, the whole entry is
 * logged as an error, so no action goes unrecorded.
 */
export function createAuditTrail(backend: AuditBackend, logger: Logger) {
  async function note(caller: Caller, action: AuditAction, target: AuditTarget, result: AuditEntry["result"], detail: string, at = new Date()): Promise<void> {
    const entry = {
      at: at.toISOString(),
      actor: caller.name,
      role: caller.role,
      action,
      targetKind: target.kind,
      targetId: target.id.slice(0, 500),
      result,
      detail: masker.text(detail).slice(0, 2000),
      traceId: currentTraceId(),
    };
    for (let attempt = 1; ; attempt++) {
      try {
        await backend.audit(entry);
        return;
      } catch (error) {
        if (attempt >= 3) {
          logger.error("audit entry not recorded", { entry, error });
          return;
        }
        await sleep(200 * attempt);
      }
    }
  }

  /** Runs the action and records it, success or failure; the action's own error is rethrown. */
  async function act<T>(caller: Caller, action: AuditAction, target: AuditTarget, run: () => Promise<{ value: T; detail: string }>): Promise<T> {
    const at = new Date();
    let outcome: { value: T; detail: string };
    try {
      outcome = await run();
    } catch (error) {
      const code = (error as { code?: unknown })?.code;
      await note(caller, action, target, "failed", `${typeof code === "string" ? `${code}: ` : ""}${String((error as Error)?.message ?? error)}`, at);
      throw error;
    }
    await note(caller, action, target, "ok", outcome.detail, at);
    return outcome.value;
  }

  return { act, note, list: (request: AuditListRequest) => backend.auditList(request) };
}
export type AuditTrail = ReturnType<typeof createAuditTrail>;

import type { Entity, System } from "./systems";

/**
 * Subject and stream names. Everything lives under a namespace (default `concord`) so that
 * several deployments, or parallel test files, can share one NATS without overlapping streams.
 */
export interface Subjects {
  readonly namespace: string;
  readonly streams: { readonly events: string; readonly commands: string; readonly outcomes: string; readonly dlq: string };
  /** The NATS KV bucket of the namespace's shared state (sweep cursors, flow modes, leases…); its stream is `KV_<bucket>`. */
  readonly stateBucket: string;
  /** NATS KV bucket of the web console's sessions (shared by its replicas, expired by TTL). */
  readonly sessionsBucket: string;
  event(system: System, entity: Entity): string;
  command(system: System, entity: Entity): string;
  outcome(system: System, entity: Entity): string;
  deadLetter(stage: string): string;
  /** Wildcards that each stream captures. */
  readonly wildcards: { readonly events: string; readonly commands: string; readonly outcomes: string; readonly dlq: string };
  /** Request/reply (core NATS, no stream): identity service and snapshot reads. */
  readonly rpc: {
    readonly mappingResolve: string;
    readonly mappingClaim: string;
    readonly mappingConfirm: string;
    readonly mappingLease: string;
    readonly mappingRelease: string;
    readonly mappingCreateAttempt: string;
    readonly syncStateGet: string;
    readonly syncStateRecord: string;
    readonly crmSnapshot: string;
    readonly onecSnapshot: string;
    readonly mappingMarkDeleted: string;
    readonly mappingRevive: string;
    readonly conflictsRecord: string;
    /** Dead letters (served by mapping): list with filters, one with its retry history, mark. */
    readonly dlqList: string;
    readonly dlqGet: string;
    readonly dlqMark: string;
    /** The audit trail (served by mapping): record one action, list them. */
    readonly auditRecord: string;
    readonly auditList: string;
    /** The exchange log (served by mapping): rows by result, stage, record kind and time. */
    readonly exchangeList: string;
    /** Decisions on ambiguous matches (served by mapping): a writer opens one; people list and decide. */
    readonly decisionOpen: string;
    readonly decisionList: string;
    readonly decisionDecide: string;
    /** Reconcile runs (served by mapping from go_live_runs): the console's GET /api/reconcile. */
    readonly reconcileRuns: string;
  };
}

const NAMESPACE_PATTERN = /^[a-z][a-z0-9_-]{0,31}$/;

export function createSubjects(namespace = "concord"): Subjects {
  if (!NAMESPACE_PATTERN.test(namespace)) {
    throw new Error(`namespace "${namespace}" must match ${NAMESPACE_PATTERN}`);
  }
  const ns = namespace;
  const prefix = ns.toUpperCase().replace(/-/g, "_");
  return {
    namespace: ns,
    streams: {
      events: `${prefix}_EVENTS`,
      commands: `${prefix}_COMMANDS`,
      outcomes: `${prefix}_OUTCOMES`,
      dlq: `${prefix}_DLQ`,
    },
    stateBucket: `${prefix}_STATE`,
    sessionsBucket: `${prefix}_CONSOLE_SESSIONS`,
    event: (system, entity) => `${ns}.events.${system}.${entity}`,
    command: (system, entity) => `${ns}.commands.${system}.${entity}`,
    outcome: (system, entity) => `${ns}.outcomes.${system}.${entity}`,
    deadLetter: (stage) => `${ns}.dlq.${stage}`,
    wildcards: {
      events: `${ns}.events.>`,
      commands: `${ns}.commands.>`,
      outcomes: `${ns}.outcomes.>`,
      dlq: `${ns}.dlq.>`,
    },
    rpc: {
      mappingResolve: `${ns}.rpc.mapping.resolve`,
      mappingClaim: `${ns}.rpc.mapping.claim`,
      mappingConfirm: `${ns}.rpc.mapping.confirm`,
      mappingLease: `${ns}.rpc.mapping.lease`,
      mappingRelease: `${ns}.rpc.mapping.release`,
      mappingCreateAttempt: `${ns}.rpc.mapping.create-attempt`,
      syncStateGet: `${ns}.rpc.sync-state.get`,
      syncStateRecord: `${ns}.rpc.sync-state.record`,
      crmSnapshot: `${ns}.rpc.bitrix24.snapshot`,
      onecSnapshot: `${ns}.rpc.onec.snapshot`,
      mappingMarkDeleted: `${ns}.rpc.mapping.mark-deleted`,
      mappingRevive: `${ns}.rpc.mapping.revive`,
      conflictsRecord: `${ns}.rpc.conflicts.record`,
      dlqList: `${ns}.rpc.dlq.list`,
      dlqGet: `${ns}.rpc.dlq.get`,
      dlqMark: `${ns}.rpc.dlq.mark`,
      auditRecord: `${ns}.rpc.audit.record`,
      auditList: `${ns}.rpc.audit.list`,
      exchangeList: `${ns}.rpc.exchange.list`,
      decisionOpen: `${ns}.rpc.mapping.decision-open`,
      decisionList: `${ns}.rpc.decision.list`,
      decisionDecide: `${ns}.rpc.decision.decide`,
      reconcileRuns: `${ns}.rpc.reconcile.runs`,
    },
  };
}

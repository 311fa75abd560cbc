import { formatReconcile, lastReconcile as lastStored, runReconcile as run } from "@concord/reconcile";
import type { ReconcileEntity, ReconcileReport } from "@concord/contracts";
import type { GoLiveContext } from "./run";

/**
 * `concord reconcile`: the run shared with the resolver's schedule (`@concord/reconcile`),
 * started by a person — recorded with the CLI as its actor and trigger.
 */
export function runReconcile(ctx: GoLiveContext, entity: ReconcileEntity, options: { heal: boolean }): Promise<ReconcileReport> {
  const deps = { db: ctx.handle.db, bus: ctx.bus, mapping: ctx.mapping, policy: ctx.policy, namespace: ctx.config.CONCORD_NAMESPACE, actor: ctx.actor, progress: ctx.progress };
  return run(deps, entity, { heal: options.heal, trigger: "cli" });
}

/** The last reconcile of an entity that ended, whoever ran it (`concord reconcile --last`). */
export function lastReconcile(ctx: GoLiveContext, entity: ReconcileEntity): Promise<ReconcileReport | null> {
  return lastStored(ctx.handle.db, entity);
}

export { formatReconcile };

import { SchemaVersions, crmCommandId, type CrmDealCompensate, type Outcome } from "@concord/contracts";
import { publishJson } from "@concord/bus";
import { stripPipelinePrefix } from "@concord/policy";
import { readDeal } from "./reconcile-pair";
import type { ResolverDeps } from "./resolve-deal";

/**
 * The compensation saga. When 1C refuses for good (a business rejection) the order that a
 * deal's stage requires (policy `saga.stagesRequiringOrder`, e.g. WON), the deal must not stay
 * in a stage that promises an order nobody will ship: it goes back to its last synced stage (or
 * `saga.revertTo`) with a timeline comment, and an alert is raised. Compensation is itself a
 * command, retried and dead-lettered like any other.
 */
export function createSaga(deps: ResolverDeps) {
  const { bus, subjects, mapping, logger, policy } = deps;

  /** True when it compensated (its comment then says why 1C refused). */
  return async function onOutcome(outcome: Outcome): Promise<boolean> {
    if (outcome.stage !== "onec-writer" || outcome.result !== "dead-lettered" || outcome.error?.failureClass !== "business") return false;
    if (outcome.subject.system !== "bitrix24" || outcome.subject.entity !== "deal") return false;
    const stages = policy.saga.stagesRequiringOrder;
    const snapshot = await readDeal(deps, outcome.subject.id);
    if (!snapshot.found) return false;
    const stage = snapshot.deal.stageId;
    if (!stages.includes(stage) && !stages.includes(stripPipelinePrefix(stage))) return false;

    const pair = await mapping.resolve(outcome.subject, "onec");
    const state = pair ? await mapping.getState(pair.id, "bitrix24") : null;
    const lastSynced = (state?.values as { status?: string } | null)?.status;
    const prefix = stage.match(/^C\d+:/)?.[0] ?? "";
    const revertTo = lastSynced && lastSynced !== stage ? lastSynced : `${prefix}${policy.saga.revertTo}`;
    const command: CrmDealCompensate = {
      v: 1,
      type: "bitrix24.deal.compensate",
      dealId: outcome.subject.id,
      failedStage: stage,
      revertTo,
      comment: `Concord: 1С отклонила заказ по этой сделке (${outcome.detail}). Стадия «${stage}» возвращена на «${revertTo}».`,
      failedMessageId: outcome.messageId,
      issuedAt: new Date().toISOString(),
    };
    await publishJson(bus.js, subjects.command("bitrix24", "deal"), command, { msgId: crmCommandId(command), schema: SchemaVersions.crmCommand });
    logger.warn("saga: compensation commanded", { dealId: command.dealId, failedStage: stage, revertTo });
    return true;
  };
}

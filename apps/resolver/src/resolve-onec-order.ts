import { SchemaVersions, changeEventId, contentHash, crmCommandId, type ChangeEvent, type CrmDealUpdate, type Mapping, type OutcomeResult } from "@concord/contracts";
import { publishJson, reportOutcome, type MessageContext } from "@concord/bus";
import { readDeal, readOnecOrder, reconcilePair } from "./reconcile-pair";
import type { ResolverDeps } from "./resolve-deal";
import { mirrorOnecOrder } from "./mirror-onec-order";

/**
 * 1C order changes. A mapped order: read both sides and reconcile (1C-owned values flow to the
 * deal; our own writes come back as echoes). A deleted or deletion-marked order: what the
 * policy says (e.g. the deal's stage becomes LOSE) and the mapping is marked deleted.
 */
export function createOnecOrderResolver(deps: ResolverDeps) {
  const { bus, subjects, mapping, logger, policy } = deps;

  return async function resolveOnecOrder(event: ChangeEvent, context: MessageContext): Promise<void> {
    const started = Date.now();
    const messageId = context.msgId ?? changeEventId(event);
    const orderRef = { system: "onec" as const, entity: "order" as const, id: event.sourceId.toLowerCase() };
    const report = (result: OutcomeResult, detail: string, dealId: string | null = null) =>
      reportOutcome(
        bus.js,
        subjects,
        { stage: "resolver", messageId, subject: orderRef, target: dealId ? { system: "bitrix24", entity: "deal", id: dealId } : null, result, detail, attempts: context.deliveryCount, durationMs: Date.now() - started },
        logger,
      );

    const pair = await mapping.resolve(orderRef, "bitrix24");
    if (!pair && event.action !== "delete") {
      const snapshot = await readOnecOrder(deps, orderRef.id);
      if (snapshot.type !== "onec-order-snapshot" || snapshot.order.deleted) {
        await report("skipped", "order not linked to a deal, and gone or marked for deletion");
        return;
      }
      if (snapshot.order.clientNumber.startsWith("B24-D-")) {
        // Concord created it from a deal; the writer confirms the pair right after the create.
        await report("skipped", `created from deal ${snapshot.order.clientNumber.slice("B24-D-".length)}; its pair is being confirmed`);
        return;
      }
      if (!policy.flows.order.erpToCrm || !policy.flows.order.createInCrm) {
        await report("skipped", "policy: creating deals from 1C orders is off");
        return;
      }
      const outcome = await mirrorOnecOrder(deps, snapshot);
      await report(outcome.startsWith("commanded") ? "commanded" : "skipped", outcome.replace(/^(commanded|skipped): /, ""));
      return;
    }
    if (!pair || pair.state !== "confirmed") {
      const detail = pair?.state === "deleted" ? "the pair was deleted; the order is no longer synced" : "the order's pair is not confirmed yet";
      await report("skipped", detail);
      return;
    }
    const dealId = pair.sourceSystem === "bitrix24" ? pair.sourceId : (pair.targetId as string);
    const onec = event.action === "delete" ? null : await readOnecOrder(deps, orderRef.id);
    if (!onec || onec.type !== "onec-order-snapshot" || onec.order.deleted) {
      await deleteOnCrm(pair, dealId, report);
      return;
    }
    const deal = await readDeal(deps, dealId);
    if (!deal.found) {
      await report("skipped", "the deal no longer exists (its delete event decides)", dealId);
      return;
    }
    const outcome = await reconcilePair(deps, pair, deal, onec, messageId);
    await report(outcome.result, outcome.detail, dealId);
  };

  async function deleteOnCrm(pair: Mapping, dealId: string, report: (result: OutcomeResult, detail: string, dealId: string | null) => Promise<void>) {
    const rule = policy.deletes.erpOrder;
    if (rule.crm === "none") {
      await mapping.markDeleted(pair.id);
      await report("applied", "1C order deleted; policy leaves the deal; mapping marked deleted", dealId);
      return;
    }
    const now = new Date().toISOString();
    const fields = { STAGE_ID: String(rule.stage) };
    const command: CrmDealUpdate = {
      v: 1,
      type: "bitrix24.deal.update",
      source: { system: "onec", entity: "order", id: pair.sourceSystem === "onec" ? pair.sourceId : (pair.targetId as string) },
      sourceVersion: { modifiedAt: now, fetchedAt: now },
      issuedAt: now,
      dealId,
      fields,
      rows: null,
      syncView: {},
      markMappingDeleted: true,
      contentHash: contentHash(["delete", fields]),
    };
    await publishJson(bus.js, subjects.command("bitrix24", "deal"), command, { msgId: crmCommandId(command), schema: SchemaVersions.crmCommand });
    await report("commanded", `1C order deleted: deal stage to be set to ${rule.stage}`, dealId);
  }
}

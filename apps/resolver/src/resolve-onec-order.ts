import { SchemaVersions, changeEventId, contentHash, crmCommandId, idOn, permanent, type ChangeEvent, type CrmDealUpdate, type Mapping, type OutcomeResult } from "@concord/contracts";
import { statusToStage } from "@concord/policy";
import { publishJson, reportOutcome, type MessageContext } from "@concord/bus";
import { readDeal, readOnecOrder, reconcilePair } from "./reconcile-pair";
import type { ResolverDeps } from "./resolve-deal";
import { mirrorOnecOrder } from "./mirror-onec-order";
import { readDecisionModes, type DecisionModes } from "./dry-run";

/**
 * 1C order changes. A mapped order: read both sides and reconcile (1C-owned values flow to the
 * deal; our own writes come back as echoes). A deleted or deletion-marked order: what the
 * policy says (e.g. the deal's stage becomes LOSE) and the mapping is marked deleted.
 */
type Report = (result: OutcomeResult, detail: string, dealId: string | null) => Promise<void>;

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

    const modes = await readDecisionModes(deps.modes, ["orders.onecToCrm", "orders.crmToOnec"], orderRef, event.action);
    const dryRun = modes.isDryRun("orders.onecToCrm");
    let pair = await mapping.resolve(orderRef, "bitrix24");
    // This order's own mirror claimed, not yet confirmed: commanded already — or not, when a
    // resolver died between its claim and its command (the long chaos run lost a deal so).
    // Commanding it again is safe: the writer finds a deal made meanwhile by its ORIGIN_ID.
    if (pair?.state === "claimed" && pair.sourceSystem === "onec" && pair.targetId === null && !pair.createAttemptedAt) pair = null;
    // Believe a source only after looking: a delete is applied only when 1C shows the order gone or marked.
    const onec = await readOnecOrder(deps, orderRef.id);
    const gone = onec.type !== "onec-order-snapshot" || onec.order.deleted;
    if (event.action === "delete" && !gone) {
      await report("skipped", "delete not confirmed: the order still exists in 1C without a deletion mark; nothing deleted");
      return;
    }
    if (!pair && event.action !== "delete") {
      if (onec.type !== "onec-order-snapshot" || onec.order.deleted) {
        await report("skipped", "order not linked to a deal, and gone or marked for deletion");
        return;
      }
      const marked = onec.order.clientNumber.match(/^B24-D-(\d+)$/);
      if (marked) {
        // The marker counts only when the mapping agrees: Concord created it from this deal and
        // is confirming the pair. A marker of a deal paired with another order is a manager's
        // copy, synced as an order of its own; a marker nothing knows of waits for a person.
        const dealPair = await mapping.resolve({ system: "bitrix24", entity: "deal", id: marked[1] as string }, "onec");
        if (!dealPair) throw permanent("ORPHAN_MARKER", `1C order ${onec.order.number} carries the inverse id of deal ${marked[1]}, which no mapping links to any order (a planted marker, or rebuild the mapping)`);
        const dealOrder = idOn(dealPair, "onec");
        if (dealOrder === null) {
          // Concord is creating it from the deal; the writer confirms (or, in doubt, adopts) it.
          await report("skipped", `created from deal ${marked[1]}; its pair is being confirmed`);
          return;
        }
        if (dealOrder === orderRef.id) {
          pair = dealPair;
        } else {
          logger.info("a 1C order carries another order's deal marker: a copy, synced as an order of its own", { order: orderRef.id, deal: marked[1], pairedOrder: dealOrder });
        }
      }
    }
    if (!pair && event.action !== "delete" && onec.type === "onec-order-snapshot") {
      const snapshot = onec;
      if (!policy.flows.order.erpToCrm || !policy.flows.order.createInCrm) {
        await report("skipped", "policy: creating deals from 1C orders is off");
        return;
      }
      const outcome = await mirrorOnecOrder(deps, snapshot, modes);
      const commanded = outcome.startsWith("commanded");
      await report(commanded ? (dryRun ? "dry-run" : "commanded") : "skipped", `${commanded && dryRun ? "decided in dry-run (the writers record the would-be writes): " : ""}${outcome.replace(/^(commanded|skipped): /, "")}`);
      return;
    }
    if (pair?.state === "deleted" && pair.deletedBy === "onec" && !gone && onec.type === "onec-order-snapshot") {
      if (dryRun) {
        await modes.confirm();
        await report("dry-run", "dry-run (orders.onecToCrm): would revive the pair (the 1C order's deletion mark was removed) and move the deal back", idOn(pair, "bitrix24"));
        return;
      }
      // A manager removed the deletion mark: the pair lives again, and the order's state reaches the deal.
      const revived = await mapping.revive(pair.id);
      await restoreOnCrm(revived, idOn(revived, "bitrix24") as string, onec.order.status, report);
      return;
    }
    if (!pair || pair.state !== "confirmed") {
      const detail = pair?.state === "deleted" ? "the pair was deleted; the order is no longer synced" : "the order's pair is not confirmed yet";
      await report("skipped", detail);
      return;
    }
    const dealId = pair.sourceSystem === "bitrix24" ? pair.sourceId : (pair.targetId as string);
    if (gone || onec.type !== "onec-order-snapshot") {
      await deleteOnCrm(pair, dealId, report, modes);
      return;
    }
    const deal = await readDeal(deps, dealId);
    if (!deal.found) {
      await report("skipped", "the deal no longer exists (its delete event decides)", dealId);
      return;
    }
    const outcome = await reconcilePair(deps, pair, deal, onec, messageId, { observedAt: context.storedAt, modes });
    await report(outcome.result, outcome.detail, dealId);
  };

  /** The undeleted order's status puts the deal back where 1C says it is (the delete rule had moved it). */
  async function restoreOnCrm(pair: Mapping, dealId: string, status: string, report: Report) {
    if (policy.deletes.erpOrder.crm === "none") {
      await report("applied", "1C order's deletion mark removed: pair revived", dealId);
      return;
    }
    const stage = statusToStage(policy, status, "0");
    await setDealStage(pair, dealId, stage, "undelete");
    await report("commanded", `1C order's deletion mark removed: pair revived, deal stage to be set to ${stage}`, dealId);
  }

  async function deleteOnCrm(pair: Mapping, dealId: string, report: Report, modes: DecisionModes) {
    const rule = policy.deletes.erpOrder;
    if (modes.isDryRun("orders.onecToCrm")) {
      await modes.confirm();
      if (rule.crm === "none") {
        await report("dry-run", "dry-run (orders.onecToCrm): would mark the mapping deleted (the 1C order was deleted; the policy leaves the deal)", dealId);
        return;
      }
      await setDealStage(pair, dealId, String(rule.stage), "delete", modes);
      await report("dry-run", `decided in dry-run (the writer records the would-be write): 1C order deleted: deal stage to be set to ${rule.stage}`, dealId);
      return;
    }
    if (rule.crm === "none") {
      await mapping.markDeleted(pair.id, "onec");
      await report("applied", "1C order deleted; policy leaves the deal; mapping marked deleted", dealId);
      return;
    }
    await setDealStage(pair, dealId, String(rule.stage), "delete");
    await report("commanded", `1C order deleted: deal stage to be set to ${rule.stage}`, dealId);
  }

  /** A deal stage set because of what happened to its 1C order (deleted: the mapping is marked deleted after the write). */
  async function setDealStage(pair: Mapping, dealId: string, stage: string, why: "delete" | "undelete", modes?: DecisionModes) {
    const now = new Date().toISOString();
    const fields = { STAGE_ID: stage };
    const command: CrmDealUpdate = {
      v: 1,
      type: "bitrix24.deal.update",
      source: { system: "onec", entity: "order", id: idOn(pair, "onec") as string },
      sourceVersion: { modifiedAt: now, fetchedAt: now },
      issuedAt: now,
      dealId,
      fields,
      rows: null,
      syncView: {},
      markMappingDeleted: why === "delete",
      contentHash: contentHash([why, fields]),
      ...modes?.field("orders.onecToCrm"),
    };
    await publishJson(bus.js, subjects.command("bitrix24", "deal"), command, { msgId: crmCommandId(command), schema: SchemaVersions.crmCommand });
  }
}

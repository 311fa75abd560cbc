import {
  ONEC_ORIGINATOR_ID,
  CrmCustomerSnapshotReplySchema,
  SchemaVersions,
  changeEventId,
  commandId,
  contentHash,
  crmCommandId,
  idOn,
  permanent,
  retryable,
  type ChangeEvent,
  type CrmDealLink,
  type DealSnapshot,
  type OnecCommand,
  type OnecCounterpartyUpsert,
  type OnecOrderDelete,
  type OutcomeResult,
  type Subjects,
} from "@concord/contracts";
import { publishJson, reportOutcome, requestRpc, type Bus, type FlowModes, type MappingClient, type MessageContext } from "@concord/bus";
import { customerKind, customerSummary, matchRequest, stageToStatus, type Policy } from "@concord/policy";
import type { Logger } from "@concord/telemetry";
import { projectDeal } from "./projection";
import { waitForEventSecond } from "./settle";
import { readDeal, readOnecOrder, reconcilePair } from "./reconcile-pair";
import { readDecisionModes } from "./dry-run";

export interface ResolverDeps {
  bus: Bus;
  subjects: Subjects;
  mapping: MappingClient;
  logger: Logger;
  policy: Policy;
  settleMs: number;
  /** Each flow's mode; absent: every flow live. */
  modes?: FlowModes;
  /**
   * The content hash of the deal's order command that 1C refused for good (sync status record);
   * absent or null: none. Such content is not commanded again by a deal event.
   */
  refusedOrder?: (dealId: string) => Promise<string | null>;
  now?: () => number;
}

/**
 * CRM deal changes. A deal with no 1C order yet: fetch-on-notify, project, claim the pairs and
 * publish commands (the counterparty before the order that needs it). A mapped deal: read both
 * sides and reconcile them under the ownership rules. A deleted deal: what the policy says.
 */
export function createDealResolver(deps: ResolverDeps) {
  const { bus, subjects, mapping, logger, policy } = deps;
  const now = deps.now ?? Date.now;

  async function publishCommand(command: OnecCommand) {
    const subject = subjects.command("onec", command.type === "onec.counterparty.upsert" ? "counterparty" : "order");
    await publishJson(bus.js, subject, command, { msgId: commandId(command), schema: SchemaVersions.onecCommand });
  }

  /**
   * One claim per identity, whichever direction asks first: a CRM customer that Concord is
   * creating from a 1C counterparty (it carries the counterparty's Ref_Key, whose pair is not
   * confirmed yet) is that counterparty — never a reason to create a second one in 1C.
   */
  async function waitForClaimFrom1C(customer: DealSnapshot["customer"]): Promise<void> {
    if (!customer || customer.originatorId !== ONEC_ORIGINATOR_ID || !customer.originId) return;
    const fromOnec = await mapping.resolve({ system: "onec", entity: "counterparty", id: customer.originId.toLowerCase() }, "bitrix24");
    if (fromOnec && fromOnec.state === "claimed") {
      throw retryable("IDENTITY_CLAIMED", `${customer.kind} ${customer.id} is being created from 1C counterparty ${customer.originId}; its pair is not confirmed yet`, { retryAfterMs: 1_000 });
    }
  }

  /**
   * A customer not linked yet carries the business keys its writer looks for before creating a
   * counterparty (INN/KPP from the CRM record's requisite: one snapshot, only until it is linked).
   */
  async function withMatch(command: OnecCounterpartyUpsert): Promise<OnecCounterpartyUpsert> {
    const pair = await mapping.resolve(command.source, "onec");
    if (pair && (pair.state !== "claimed" || pair.decision !== null)) return command;
    const entity = command.source.entity as "company" | "contact";
    const reply = await requestRpc(bus.nc, subjects.rpc.crmSnapshot, { v: 1, type: "snapshot-request", entity, id: command.source.id }, CrmCustomerSnapshotReplySchema, 30_000);
    if (!reply.found) return command;
    const { inn, kpp, email, phone, name } = reply.customer;
    const keys = { kind: customerKind(entity, inn, kpp), inn, kpp, email, phone };
    const match = matchRequest(policy.matching, keys, customerSummary(`${entity} ${command.source.id}`, name, keys));
    return match.lookups.length > 0 ? { ...command, match } : command;
  }

  return async function resolveDeal(event: ChangeEvent, context: MessageContext): Promise<void> {
    const started = now();
    const messageId = context.msgId ?? changeEventId(event);
    const dealRef = { system: "bitrix24" as const, entity: "deal" as const, id: event.sourceId };
    const report = (result: OutcomeResult, detail: string, targetId: string | null = null) =>
      reportOutcome(
        bus.js,
        subjects,
        { stage: "resolver", messageId, subject: dealRef, target: targetId ? { system: "onec", entity: "order", id: targetId } : null, result, detail, attempts: context.deliveryCount, durationMs: now() - started },
        logger,
      );

    await waitForEventSecond(event, deps.settleMs, now);
    const modes = await readDecisionModes(deps.modes, ["orders.crmToOnec", "orders.onecToCrm"], dealRef, event.action, now);
    const dryRun = modes.isDryRun("orders.crmToOnec");
    const row = await mapping.resolve(dealRef, "onec");
    // Pairs are stored from whichever side came first: `targetId` here is always the 1C ref.
    let existing = row ? { ...row, targetId: row.state === "claimed" ? null : idOn(row, "onec") } : null;
    // Believe a source only after looking: what the event says is checked against the deal itself.
    const snapshot = await readDeal(deps, event.sourceId);
    let undelete = false;
    if (existing?.state === "deleted") {
      // Only the deal's own return revives a pair its delete ended (a 1C delete leaves the deal alive).
      if (!snapshot.found || event.action === "delete" || existing.deletedBy !== "bitrix24") {
        await report("skipped", "the pair was deleted; the deal is no longer synced", existing.targetId);
        return;
      }
      if (dryRun) {
        await modes.confirm();
        await report("dry-run", "dry-run (orders.crmToOnec): would revive the pair of the restored deal, then sync its current state to the 1C order", existing.targetId);
        return;
      }
      // The deal is back (restored from the recycle bin): the pair lives again, and its current state is synced.
      const revived = await mapping.revive(existing.id);
      existing = { ...revived, targetId: revived.state === "claimed" ? null : idOn(revived, "onec") };
      undelete = true;
    }

    if (event.action === "delete") {
      if (snapshot.found) {
        // A forged or stale delete event: the deal is alive, nothing is deleted.
        await report("skipped", "delete not confirmed: the deal still exists in Bitrix24; nothing deleted", existing?.targetId ?? null);
        return;
      }
      if (!existing?.targetId) {
        // Its order is being created (claimed, not confirmed): the delete waits for the create to
        // settle, then marks that order — never an orphan order left behind.
        if (existing?.state === "claimed") throw retryable("PAIR_NOT_CONFIRMED", `deal ${event.sourceId} was deleted while its 1C order is being created; the delete waits for the create to settle`, { retryAfterMs: 2_000 });
        await report("skipped", "deleted deal had no 1C order");
        return;
      }
      const rule = policy.deletes.crmDeal;
      if (rule.erp === "none" && dryRun) {
        await modes.confirm();
        await report("dry-run", "dry-run (orders.crmToOnec): would mark the mapping deleted (the deal was deleted; the policy leaves the 1C order)", existing.targetId);
        return;
      }
      if (rule.erp === "none") {
        await mapping.markDeleted(existing.id, "bitrix24");
        await report("applied", "deal deleted; policy leaves the 1C order; mapping marked deleted", existing.targetId);
        return;
      }
      const command: OnecOrderDelete = {
        v: 1,
        type: "onec.order.delete",
        source: dealRef,
        // Versioned by when Concord saw the deal gone, not by the request's claim.
        sourceVersion: { modifiedAt: snapshot.fetchedAt, fetchedAt: snapshot.fetchedAt },
        issuedAt: new Date(now()).toISOString(),
        mode: rule.erp,
        status: rule.erp === "cancelStatus" ? (rule.status ?? null) : null,
        contentHash: contentHash(["delete", rule]),
      };
      if (dryRun) await modes.confirm();
      await publishCommand({ ...command, ...modes.field("orders.crmToOnec") });
      await report(dryRun ? "dry-run" : "commanded", `${dryRun ? "decided in dry-run (the writer records the would-be write): " : ""}deal deleted: 1C order ${rule.erp === "deletionMark" ? "to be marked for deletion" : `to be set to ${rule.status}`}`, existing.targetId);
      return;
    }

    if (!snapshot.found) {
      await report("skipped", "deal no longer exists in Bitrix24 (its delete event decides)");
      return;
    }

    if (existing?.targetId) {
      if (snapshot.deal.originId !== existing.targetId) {
        // The inverse id is missing on the deal (e.g. the link-back was lost): write it again.
        if (dryRun) await modes.confirm();
        const link: CrmDealLink = { v: 1, type: "bitrix24.deal.link", dealId: event.sourceId, originatorId: ONEC_ORIGINATOR_ID, originId: existing.targetId, issuedAt: new Date(now()).toISOString(), ...modes.field("orders.crmToOnec") };
        await publishJson(bus.js, subjects.command("bitrix24", "deal"), link, { msgId: crmCommandId(link), schema: SchemaVersions.crmCommand });
      }
      const onec = await readOnecOrder(deps, existing.targetId);
      if (onec.type !== "onec-order-snapshot") {
        await report("skipped", "the 1C order no longer exists (its delete notification decides)", existing.targetId);
        return;
      }
      const outcome = await reconcilePair(deps, existing, snapshot, onec, messageId, { undelete, observedAt: context.storedAt, modes, manual: event.via === "manual" });
      await report(outcome.result, undelete ? `deal restored: pair revived; ${outcome.detail}` : outcome.detail, existing.targetId);
      return;
    }

    if (snapshot.deal.originatorId === ONEC_ORIGINATOR_ID && snapshot.deal.originId) {
      // A deal created from a 1C order: never create a second 1C order for it. The marker counts
      // only when the mapping agrees: a deal whose marker names an order paired with another
      // deal is a copy (a person copied the deal) and becomes an order of its own.
      const born = await mapping.resolve({ system: "onec", entity: "order", id: snapshot.deal.originId.toLowerCase() }, "bitrix24");
      if (!born) throw permanent("ORPHAN_ORIGIN", `deal ${event.sourceId} says it mirrors 1C order ${snapshot.deal.originId}, but no mapping links them (rebuild the mapping)`);
      const bornDeal = idOn(born, "bitrix24");
      if (bornDeal === null || bornDeal === event.sourceId) {
        throw retryable("PAIR_NOT_CONFIRMED", `deal ${event.sourceId} mirrors 1C order ${snapshot.deal.originId}, whose pair is still being confirmed`, { retryAfterMs: 1_000 });
      }
      logger.info("a deal carries another deal's 1C marker: synced as a deal of its own", { deal: event.sourceId, pairedDeal: bornDeal, order: snapshot.deal.originId });
    }
    if (!policy.flows.order.crmToErp || !policy.flows.order.createInErp) {
      await report("skipped", "policy: creating 1C orders from deals is off");
      return;
    }
    const projection = projectDeal(snapshot, new Date(now()), (stage) => stageToStatus(policy, stage), policy.onecOrder);
    if (projection.kind === "skip") {
      await report("skipped", projection.reason);
      return;
    }
    const { order } = projection;
    // What 1C refused for good is not sent again by a deal event that changed nothing it reads —
    // the status field Concord writes on the deal is such a change. A person's resync still sends it.
    if (row && event.via !== "manual" && deps.refusedOrder && (await deps.refusedOrder(event.sourceId)) === order.contentHash) {
      await report("skipped", "1C refused this deal's order for good and the deal holds the same content: nothing sent (retry the dead letter once the cause is fixed, or change the deal)");
      return;
    }
    const customer = await withMatch(projection.customer);
    await waitForClaimFrom1C(snapshot.customer);
    if (dryRun) {
      // Nothing is claimed: the writers report what they would create, and a switch to live decides this deal again.
      await modes.confirm();
      await publishCommand({ ...customer, ...modes.field("orders.crmToOnec") });
      await publishCommand({ ...order, ...modes.field("orders.crmToOnec") });
      await report("dry-run", `decided in dry-run (the writers record the would-be writes): counterparty and order commands for ${order.lines.length} lines, status ${order.order.status}`);
      return;
    }
    await mapping.claim({ source: customer.source, targetSystem: "onec", targetEntity: "counterparty", createdBy: "flow" });
    await mapping.claim({ source: order.source, targetSystem: "onec", targetEntity: "order", createdBy: "flow" });
    await publishCommand(customer);
    await publishCommand(order);
    await report("commanded", `counterparty and order commands for ${order.lines.length} lines, status ${order.order.status}`);
  };
}

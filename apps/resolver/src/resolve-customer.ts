import {
  CrmCustomerSnapshotReplySchema,
  OnecSnapshotReplySchema,
  SchemaVersions,
  changeEventId,
  commandId,
  contentHash,
  crmCommandId,
  idOn,
  type ChangeEvent,
  type CrmCustomerUpsert,
  type OnecCounterpartyUpsert,
  type OutcomeResult,
  type SourceVersion,
} from "@concord/contracts";
import { publishJson, reportOutcome, requestRpc, type MessageContext } from "@concord/bus";
import { crmCustomerView, onecCustomerView, reconcileCustomer, type CustomerView, learnStoredForms, readPairState, recordAgreement, recordConflicts, standingStoredForms, storedFormsNote } from "@concord/reconcile";
import type { ResolverDeps } from "./resolve-deal";
import { waitForEventSecond } from "./settle";
import { readDecisionModes } from "./dry-run";

/**
 * Customer changes on either side (CRM company/contact, 1C counterparty) of a linked pair:
 * read both, reconcile under the ownership rules, write only the differences. Customers are
 * linked when an order first needs them; an unlinked customer's edits wait for that.
 */
export function createCustomerResolver(deps: ResolverDeps) {
  const { bus, subjects, mapping, logger, policy } = deps;

  return async function resolveCustomer(event: ChangeEvent, context: MessageContext): Promise<void> {
    const started = Date.now();
    const messageId = context.msgId ?? changeEventId(event);
    const ref = { system: event.system, entity: event.entity, id: event.system === "onec" ? event.sourceId.toLowerCase() : event.sourceId };
    const report = (result: OutcomeResult, detail: string) =>
      reportOutcome(bus.js, subjects, { stage: "resolver", messageId, subject: ref, target: null, result, detail, attempts: context.deliveryCount, durationMs: Date.now() - started }, logger);

    await waitForEventSecond(event, deps.settleMs);
    if (event.action === "delete") {
      await report("skipped", "customer deletes are not propagated (their orders keep them)");
      return;
    }
    const modes = await readDecisionModes(deps.modes, ["customers"], ref, event.action);
    const dryRun = modes.isDryRun("customers");
    const pair = await mapping.resolve(ref, event.system === "onec" ? "bitrix24" : "onec");
    if (!pair || pair.state !== "confirmed") {
      await report("skipped", pair?.state === "deleted" ? "the pair was deleted" : "customer not linked yet (linked when an order first needs it)");
      return;
    }
    const crmEntity = (pair.sourceSystem === "bitrix24" ? pair.sourceEntity : pair.targetEntity) as "company" | "contact";
    const crmId = idOn(pair, "bitrix24") as string;
    const onecRef = idOn(pair, "onec") as string;
    const readAt = new Date().toISOString();
    const [crm, onec] = await Promise.all([
      requestRpc(bus.nc, subjects.rpc.crmSnapshot, { v: 1, type: "snapshot-request", entity: crmEntity, id: crmId }, CrmCustomerSnapshotReplySchema, 30_000),
      requestRpc(bus.nc, subjects.rpc.onecSnapshot, { v: 1, type: "onec-snapshot-request", entity: "counterparty", ref: onecRef }, OnecSnapshotReplySchema, 30_000),
    ]);
    if (!crm.found || onec.type !== "onec-counterparty-snapshot") {
      await report("skipped", "one side of the customer pair no longer exists");
      return;
    }
    const crmView = crmCustomerView(crm);
    const onecView = onecCustomerView(onec.counterparty);
    const state = await readPairState<CustomerView>(mapping, pair.id);
    const { last, learned } = learnStoredForms(state, onec.counterparty.dataVersion, onecView);
    const decision = reconcileCustomer({ crm: crmView, onec: onecView, last, policy });
    // In dry-run nothing is recorded (no conflict, no sync point) and the commands are marked.
    if (!dryRun) await recordConflicts(mapping, pair.id, "counterparty", decision.conflicts, messageId);
    if (dryRun && (Object.keys(decision.toOnec).length > 0 || Object.keys(decision.toCrm).length > 0)) await modes.confirm();
    // Neither a counterparty nor a company gives an ordered version both sides share: the pair is
    // observed at the event's arrival, by the NATS server's clock, not this replica's.
    const version: SourceVersion = { modifiedAt: context.storedAt, fetchedAt: readAt };
    const crmRef = { system: "bitrix24" as const, entity: crmEntity, id: crmId };
    const writes: string[] = [];
    if (Object.keys(decision.toOnec).length > 0) {
      const next = decision.next.onec;
      const counterparty = { name: next.name, kind: next.kind, email: next.email, phone: next.phone, inn: "inn" in decision.toOnec ? next.inn : null, kpp: "kpp" in decision.toOnec ? next.kpp : null };
      // Bound to the 1C version it corrects, so undoing a 1C edit of a CRM-owned field is no echo.
      const hash = contentHash({ counterparty, against: onec.counterparty.dataVersion });
      const command: OnecCounterpartyUpsert = {
        v: 1,
        type: "onec.counterparty.upsert",
        source: crmRef,
        sourceVersion: version,
        issuedAt: readAt,
        counterparty,
        decidedAgainst: { dataVersion: onec.counterparty.dataVersion },
        contentHash: hash,
        syncView: { ...next, ...standingStoredForms(last.sentToOnec, crmView, next) },
        ...modes.field("customers"),
      };
      await publishJson(bus.js, subjects.command("onec", "counterparty"), command, { msgId: commandId(command), schema: SchemaVersions.onecCommand });
      writes.push(`1C ${Object.keys(decision.toOnec).join(", ")}`);
    }
    if (Object.keys(decision.toCrm).length > 0) {
      const next = decision.next.crm;
      const multi = (value: string | null) => (value ? [{ VALUE: value, VALUE_TYPE: "WORK" }] : []);
      const fields: Record<string, unknown> = {};
      if ("name" in decision.toCrm) fields[crmEntity === "company" ? "TITLE" : "NAME"] = next.name;
      if ("email" in decision.toCrm) fields.EMAIL = multi(next.email);
      if ("phone" in decision.toCrm) fields.PHONE = multi(next.phone);
      const requisite = "inn" in decision.toCrm || "kpp" in decision.toCrm ? { inn: next.inn, kpp: next.kpp } : null;
      const command: CrmCustomerUpsert = {
        v: 1,
        type: "bitrix24.customer.upsert",
        source: { system: "onec", entity: "counterparty", id: onecRef },
        sourceVersion: version,
        issuedAt: readAt,
        entity: crmEntity,
        fields,
        requisite,
        syncView: { ...next },
        contentHash: contentHash([fields, requisite]),
        ...modes.field("customers"),
      };
      await publishJson(bus.js, subjects.command("bitrix24", "company"), command, { msgId: crmCommandId(command), schema: SchemaVersions.crmCommand });
      writes.push(`CRM ${Object.keys(decision.toCrm).join(", ")}`);
    }
    const notes = [
      learned.length > 0 ? `; ${storedFormsNote(learned, last, onecView)}` : "",
      decision.conflicts.length > 0 ? `; conflicts on ${decision.conflicts.map((c) => `${c.field} (won by ${c.winner})`).join(", ")}` : "",
    ].join("");
    if (writes.length === 0) {
      if (dryRun) {
        await report("echo", `both sides agree (dry-run: no sync point recorded)${notes}`);
        return;
      }
      await recordAgreement(mapping, pair.id, state, { crm: crmView, onec: onecView }, { crm: version, onec: version }, last);
      await report("echo", `both sides agree${notes}`);
      return;
    }
    await report(dryRun ? "dry-run" : "commanded", `${dryRun ? "decided in dry-run (the writers record the would-be writes): " : ""}writes: ${writes.join("; ")}${notes}`);
  };
}

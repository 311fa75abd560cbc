import { hostname } from "node:os";
import { randomBytes } from "node:crypto";
import {
  ONEC_ORIGINATOR_ID,
  SchemaVersions,
  commandId,
  decideWrite,
  crmCommandId,
  idOn,
  permanent,
  retryable,
  type CrmDealLink,
  type Mapping,
  type OnecCommand,
  type OnecCounterpartyUpsert,
  type OnecOrderDelete,
  type OnecOrderUpsert,
  type RecordRef,
  type SourceVersion,
  type Subjects,
} from "@concord/contracts";
import { publishJson, reportOutcome, type Bus, type MappingClient, type MessageContext } from "@concord/bus";
import { odataString, type OnecClient, type OnecRecord } from "@concord/onec-client";
import type { Logger } from "@concord/telemetry";
import { OnecSets, customerInverseId, onecDate, orderInverseId, toCounterpartyBody, toOrderBody, toPartnerBody } from "./projection";
import { createProductLookup } from "./products";

export interface WriterDeps {
  bus: Bus;
  subjects: Subjects;
  mapping: MappingClient;
  onec: OnecClient;
  logger: Logger;
  leaseTtlMs: number;
  /** Test hook: runs right after a 1C create, before the mapping confirm. */
  afterCreate?: () => void;
}

interface Applied {
  ref: string;
  created: boolean;
  detail: string;
}

/**
 * Applies 1C commands with every no-duplicate layer: the claim (mapping row before any create),
 * a lease (one writer per pair), find-before-create by the inverse id, confirm after create,
 * stale/echo checks and a compare-and-set of sync state, and a re-read of what 1C stored.
 */
export function createOnecWriter(deps: WriterDeps) {
  const { bus, subjects, mapping, onec, logger } = deps;
  const owner = `onec-writer:${hostname()}:${process.pid}:${randomBytes(3).toString("hex")}`;
  const resolveProducts = createProductLookup(onec);

  async function findOne(set: string, filter: string): Promise<OnecRecord | null> {
    const found = await onec.list(set, { filter, top: 2 });
    if (found.length > 1) logger.warn("more than one 1C record carries the same inverse id", { set, filter });
    return found[0] ?? null;
  }

  async function ensurePartner(command: OnecCounterpartyUpsert): Promise<string> {
    const marker = customerInverseId(command.source);
    const found = await findOne(OnecSets.partner, `Комментарий eq ${odataString(marker)}`);
    if (found) return found.Ref_Key;
    return (await onec.create(OnecSets.partner, toPartnerBody(command))).Ref_Key;
  }

  async function applyCounterparty(command: OnecCounterpartyUpsert, pair: Mapping): Promise<Applied> {
    if (pair.targetId) {
      const existing = await onec.get(OnecSets.counterparty, pair.targetId);
      if (!existing) throw permanent("TARGET_GONE", `counterparty ${pair.targetId} no longer exists in 1C`);
      const partnerRef = String(existing.Партнер_Key ?? "") || (await ensurePartner(command));
      await onec.patch(OnecSets.counterparty, pair.targetId, toCounterpartyBody(command, partnerRef));
      return { ref: pair.targetId, created: false, detail: "counterparty updated" };
    }
    const marker = customerInverseId(command.source);
    const found = await findOne(OnecSets.counterparty, `Комментарий eq ${odataString(marker)}`);
    if (found) {
      const partnerRef = String(found.Партнер_Key ?? "") || (await ensurePartner(command));
      await onec.patch(OnecSets.counterparty, found.Ref_Key, toCounterpartyBody(command, partnerRef));
      await mapping.confirm(pair.id, found.Ref_Key);
      return { ref: found.Ref_Key, created: false, detail: "found by inverse id after an interrupted create; updated" };
    }
    const partnerRef = await ensurePartner(command);
    const created = await onec.create(OnecSets.counterparty, toCounterpartyBody(command, partnerRef));
    deps.afterCreate?.();
    await mapping.confirm(pair.id, created.Ref_Key);
    return { ref: created.Ref_Key, created: true, detail: "counterparty created" };
  }

  async function applyOrder(command: OnecOrderUpsert, pair: Mapping): Promise<Applied> {
    const customerPair = await mapping.resolve(command.customer, "onec");
    const customer = customerPair && customerPair.state !== "claimed" ? { targetId: idOn(customerPair, "onec") } : null;
    if (!customer?.targetId) {
      // References first: the counterparty command is on its way; try again shortly.
      throw retryable("REFERENCE_NOT_READY", `counterparty of ${command.customer.entity} ${command.customer.id} is not in 1C yet`, { retryAfterMs: 1_000 });
    }
    const counterparty = await onec.get(OnecSets.counterparty, customer.targetId);
    if (!counterparty) throw permanent("REFERENCE_GONE", `counterparty ${customer.targetId} no longer exists in 1C`);
    const products = await resolveProducts(command.lines);
    const body = toOrderBody(command, { counterparty: customer.targetId, partner: String(counterparty.Партнер_Key ?? ""), products });

    let applied: Applied;
    if (pair.targetId) {
      await onec.patch(OnecSets.order, pair.targetId, body);
      applied = { ref: pair.targetId, created: false, detail: "order updated" };
    } else {
      const found = await findOne(OnecSets.order, `НомерПоДаннымКлиента eq ${odataString(orderInverseId(command.source))}`);
      if (found) {
        await onec.patch(OnecSets.order, found.Ref_Key, body);
        await mapping.confirm(pair.id, found.Ref_Key);
        applied = { ref: found.Ref_Key, created: false, detail: "found by inverse id after an interrupted create; updated" };
      } else {
        const created = await onec.create(OnecSets.order, { Date: onecDate(new Date()), ...body });
        deps.afterCreate?.();
        await mapping.confirm(pair.id, created.Ref_Key);
        applied = { ref: created.Ref_Key, created: true, detail: "order created" };
      }
      await linkDeal(command.source, applied.ref);
    }
    const stored = await verifyStored(applied.ref, body);
    return { ...applied, detail: `${applied.detail}; ${stored}` };
  }

  /** Write the 1C Ref_Key back on the deal; crm-writer applies it (dedupe id keeps it single). */
  async function linkDeal(deal: RecordRef, ref: string) {
    const link: CrmDealLink = { v: 1, type: "bitrix24.deal.link", dealId: deal.id, originatorId: ONEC_ORIGINATOR_ID, originId: ref, issuedAt: new Date().toISOString() };
    await publishJson(bus.js, subjects.command("bitrix24", "deal"), link, { msgId: crmCommandId(link), schema: SchemaVersions.crmCommand });
  }

  /** 1C may silently ignore, truncate or reset values: re-read, and say what it stored. */
  async function verifyStored(ref: string, sent: Record<string, unknown>): Promise<string> {
    const stored = await onec.get(OnecSets.order, ref);
    if (!stored) throw retryable("ONEC_NOT_VISIBLE", `order ${ref} not readable right after the write`);
    const differences: string[] = [];
    for (const key of ["Статус", "Контрагент_Key", "Партнер_Key", "Комментарий"]) {
      if (stored[key] !== sent[key]) differences.push(`${key}: sent ${JSON.stringify(sent[key])}, stored ${JSON.stringify(stored[key])}`);
    }
    const sentLines = (sent.Товары as unknown[]).length;
    const storedLines = Array.isArray(stored.Товары) ? stored.Товары.length : -1;
    if (sentLines !== storedLines) differences.push(`Товары: sent ${sentLines} lines, stored ${storedLines}`);
    if (differences.length > 0) logger.warn("1C stored different values than sent", { ref, differences });
    const summary = `stored as ${String(stored.Number)}, ${storedLines} lines, СуммаДокумента ${String(stored.СуммаДокумента)}, DataVersion ${String(stored.DataVersion)}`;
    return differences.length > 0 ? `${summary}; differs: ${differences.join("; ")}` : summary;
  }

  /** A deleted deal: mark the 1C order for deletion (unposting first) or set the cancel status. */
  async function applyDelete(command: OnecOrderDelete, pair: Mapping): Promise<Applied> {
    if (!pair.targetId) throw permanent("NOT_MAPPED", `deal ${command.source.id} has no confirmed 1C order`);
    const record = await onec.get(OnecSets.order, pair.targetId);
    if (record && command.mode === "deletionMark") {
      if (record.Posted === true) await onec.unpost(OnecSets.order, pair.targetId);
      await onec.patch(OnecSets.order, pair.targetId, { DeletionMark: true });
    } else if (record && command.status) {
      await onec.patch(OnecSets.order, pair.targetId, { Статус: command.status });
    }
    await mapping.markDeleted(pair.id);
    return { ref: pair.targetId, created: false, detail: record ? `order ${command.mode === "deletionMark" ? "marked for deletion" : `set to ${command.status}`}; mapping marked deleted` : "order already gone in 1C; mapping marked deleted" };
  }

  return async function apply(command: OnecCommand, context: MessageContext): Promise<void> {
    const started = Date.now();
    const targetEntity = command.type === "onec.counterparty.upsert" ? "counterparty" : "order";
    const { mapping: claimed } = await mapping.claim({ source: command.source, targetSystem: "onec", targetEntity, createdBy: "flow" });
    const report = (result: "created" | "applied" | "echo" | "stale" | "skipped", detail: string, targetId: string | null) =>
      reportOutcome(
        bus.js,
        subjects,
        {
          stage: "onec-writer",
          messageId: commandId(command),
          subject: command.source,
          target: targetId ? { system: "onec", entity: targetEntity, id: targetId } : null,
          result,
          detail,
          attempts: context.deliveryCount,
          durationMs: Date.now() - started,
        },
        logger,
      );

    await mapping.withLease(claimed, owner, deps.leaseTtlMs, async () => {
      // Inside the lease the row is authoritative: another replica may have confirmed it meanwhile.
      // Pairs are stored from whichever side came first: `targetId` here is always the 1C ref.
      const row = (await mapping.resolve(command.source, "onec")) ?? claimed;
      const pair = { ...row, targetId: idOn(row, "onec") };
      const state = await mapping.getState(pair.id, "onec");
      const lastVersion = state?.lastVersion ? (JSON.parse(state.lastVersion) as SourceVersion) : null;
      // No echo without a 1C record: nothing there holds the content yet.
      const decision = decideWrite({ deleted: pair.state === "deleted", lastVersion, lastHash: state?.lastHash ?? null }, command, pair.targetId !== null);
      if (!decision.write) {
        // An echo is this state applied: record its version, or an older command arriving later would pass as new.
        if (decision.result === "echo") {
          await mapping.recordState(pair.id, "onec", JSON.stringify(command.sourceVersion), command.contentHash, state?.lastHash ?? null, command.type === "onec.order.delete" ? null : (command.syncView ?? null));
        }
        await report(decision.result, decision.detail, pair.targetId);
        return;
      }
      context.working();
      const applied =
        command.type === "onec.order.upsert"
          ? await applyOrder(command, pair)
          : command.type === "onec.order.delete"
            ? await applyDelete(command, pair)
            : await applyCounterparty(command, pair);
      const values = command.type === "onec.order.delete" ? null : (command.syncView ?? null);
      const recorded = await mapping.recordState(pair.id, "onec", JSON.stringify(command.sourceVersion), command.contentHash, state?.lastHash ?? null, values);
      if (!recorded.recorded) logger.warn("sync state changed under the lease; kept the newer record", { mappingId: pair.id });
      await report(applied.created ? "created" : "applied", applied.detail, applied.ref);
    });
  };
}

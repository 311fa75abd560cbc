import { hostname } from "node:os";
import { randomBytes } from "node:crypto";
import {
  recheckEvent,
  ONEC_ORIGINATOR_ID,
  SchemaVersions,
  commandId,
  HeldForDecision,
  decideWrite,
  describeWouldBeWrite,
  crmCommandId,
  idOn,
  linkedToExisting,
  isHeld,
  isSyncError,
  permanent,
  recordedAfterWrite,
  retryable,
  type Candidate,
  type CrmDealLink,
  type DryRunMark,
  type Mapping,
  type OnecCommand,
  type OnecCounterpartyUpsert,
  type OnecOrderDelete,
  type OnecOrderUpsert,
  type RecordRef,
  type SourceVersion,
  type Subjects,
} from "@concord/contracts";
import { publishChange, publishJson, publishReplay, reportOutcome, type Bus, type FlowModes, type MappingClient, type MessageContext } from "@concord/bus";
import { odataString, type OnecClient, type OnecRecord } from "@concord/onec-client";
import type { Logger } from "@concord/telemetry";
import { OnecSets, customerInverseId, onecDate, orderInverseId, toCounterpartyBody, toNewOrderBody, toPartnerBody, wantedLines } from "./projection";
import { legalFormAgrees, mergeContactRows, mergeOrderRows, newRowWarehouse, type Row } from "./merge";
import { createStoredForms, type LengthStore } from "./stored-forms";
import { markerAdded, markerFilters, markerMigration } from "./markers";
import { counterpartyLabel, createCounterpartyMatcher } from "./matching";
import { matchedBy } from "@concord/policy";
import { createProductLookup } from "./products";

export interface WriterDeps {
  bus: Bus;
  subjects: Subjects;
  mapping: MappingClient;
  onec: OnecClient;
  logger: Logger;
  leaseTtlMs: number;
  /**
   * How long a create whose outcome is unknown (timeout, reset, 5xx) stays in doubt before a
   * find-before-create settles it: at least twice the 1C request timeout, so a POST 1C is still
   * committing when Concord gives up has landed by then.
   */
  createSettleMs: number;
  /** The 1C base's IANA time zone: dates are written as its wall time. */
  timeZone: string;
  /**
   * Send the DataVersion read before a PATCH in the attribute the `docs/1c` extension checks in
   * ПередЗаписью, closing the window between Concord's re-read and its write.
   */
  versionCheck: boolean;
  /** Lengths 1C cuts strings to, learned from its answers and shared by every replica. */
  lengths: LengthStore;
  /** Each flow's mode: a dry-run command whose flow was switched live since is decided again. */
  modes?: FlowModes;
  /** Test hook: runs right after a 1C create, before the mapping confirm. */
  afterCreate?: () => void;
}

/** The attribute the `docs/1c` extension adds and checks in ПередЗаписью (never stored). */
export const VERSION_CHECK_ATTRIBUTE = "КонкордОжидаемаяВерсияДанных";

interface Applied {
  ref: string;
  result: "created" | "applied" | "echo" | "stale";
  detail: string;
  /** DataVersion 1C holds after this command: the echo reference for the resolver. */
  dataVersion: string | null;
  /** The document's Number as 1C holds it (orders): what the deal's sync status shows. */
  number?: string;
}

/** A 1C document's number, when the record has one. */
const numberOf = (record: OnecRecord): { number?: string } => (typeof record.Number === "string" && record.Number !== "" ? { number: record.Number } : {});

type OnecSet = (typeof OnecSets)[keyof typeof OnecSets];

/**
 * Applies 1C commands with every no-duplicate layer: the claim (mapping row before any create),
 * a lease (one writer per pair), find-before-create by the inverse id, confirm after create,
 * stale/echo checks and a compare-and-set of sync state. Updates are owned-only and merged:
 * the record is re-read right before the write (if it moved since the decision, the pair is
 * decided again instead), only the owned values that differ are sent, tabular parts row by
 * row, and what 1C stored is taken from its answer.
 */
export function createOnecWriter(deps: WriterDeps) {
  const { bus, subjects, mapping, onec, logger } = deps;
  const owner = `onec-writer:${hostname()}:${process.pid}:${randomBytes(3).toString("hex")}`;
  const resolveProducts = createProductLookup(onec);
  const storedForms = createStoredForms(deps.lengths);
  const matchCounterparty = createCounterpartyMatcher(onec, mapping);

  /** Records carrying a marker: in the attribute, else (written by an earlier version) in the comment. */
  async function findMarked(set: string, marker: string): Promise<OnecRecord[]> {
    for (const filter of markerFilters(marker)) {
      const found = await onec.list(set, { filter, top: 5 });
      if (found.length > 0) return found;
    }
    return [];
  }

  /** In dry-run: the partner a create would use — found by its marker, or a placeholder. */
  async function partnerOrPlaceholder(command: OnecCounterpartyUpsert): Promise<string> {
    const [found] = await findMarked(OnecSets.partner, customerInverseId(command.source));
    return found ? found.Ref_Key : `(new partner of ${command.source.entity} ${command.source.id})`;
  }

  async function ensurePartner(command: OnecCounterpartyUpsert): Promise<string> {
    const [found] = await findMarked(OnecSets.partner, customerInverseId(command.source));
    if (found) return found.Ref_Key;
    return (await onec.create(OnecSets.partner, toPartnerBody(command))).Ref_Key;
  }

  /** 1C does not compare DataVersion on PATCH: a decision made on an older read is not written. */
  function movedSince(command: OnecCommand, current: OnecRecord): string | null {
    const expected = "decidedAgainst" in command ? command.decidedAgainst?.dataVersion : undefined;
    return expected !== undefined && current.DataVersion !== expected ? `decided against DataVersion ${expected}, 1C now holds ${String(current.DataVersion)}` : null;
  }

  /** The record moved since the decision: ask for a new one (the same dedupe id as 1C's own notification of that version). */
  async function decideAgain(entity: "order" | "counterparty", ref: string, dataVersion: string, why: string): Promise<Applied> {
    await publishChange(bus.js, subjects, recheckEvent({ system: "onec", entity, id: ref }, dataVersion));
    return { ref, result: "stale", detail: `not written: 1C changed since the decision (${why}); decided again`, dataVersion };
  }

  /**
   * PATCH only what differs, carrying the version read for the extension's check; 1C answers
   * with the object as stored. A refusal of that check means 1C moved in between: decide again.
   */
  async function patchOwned(set: OnecSet, entity: "order" | "counterparty", current: OnecRecord, body: Record<string, unknown>, what: string): Promise<Applied> {
    const ref = current.Ref_Key;
    if (Object.keys(body).length === 0) return { ref, result: "echo", detail: `nothing Concord owns differs in 1C (${what})`, dataVersion: String(current.DataVersion ?? ""), ...numberOf(current) };
    let stored: OnecRecord;
    try {
      stored = await onec.patch(set, ref, deps.versionCheck ? { ...body, [VERSION_CHECK_ATTRIBUTE]: current.DataVersion } : body);
    } catch (error) {
      if (isSyncError(error) && error.code === "ONEC_VERSION_MOVED") {
        const now = await onec.get(set, ref);
        return decideAgain(entity, ref, String(now?.DataVersion ?? current.DataVersion), "refused by the 1C extension's version check");
      }
      throw error;
    }
    if (!stored?.Ref_Key) stored = (await onec.get(set, ref)) ?? current;
    await storedForms.learn(set, body, stored);
    return { ref, result: "applied", detail: `${what}: wrote ${Object.keys(body).join(", ")}; ${storedDifferences(body, stored)}`, dataVersion: String(stored.DataVersion ?? ""), ...numberOf(stored) };
  }

  /**
   * Creates in doubt. A create is marked on the pair (fenced by the lease) before it is sent;
   * a clear refusal clears the mark, an unknown outcome (timeout, reset, 5xx) keeps it, and the
   * pair stays in doubt until the settle delay has passed. Only then does a find-before-create
   * by the inverse id look for what 1C may have committed — and only a pair in doubt looks at
   * all: a record carrying the marker that Concord never tried to create (a manager's copy, a
   * planted marker) is never taken over.
   */
  async function createOnce(
    pair: Mapping,
    lease: string,
    what: string,
    find: () => Promise<OnecRecord[]>,
    adopt: (found: OnecRecord) => Promise<Applied>,
    send: () => Promise<OnecRecord>,
    created: (record: OnecRecord) => Promise<Applied>,
  ): Promise<Applied> {
    if (pair.createAttemptedAt) {
      const settled = Date.parse(pair.createAttemptedAt) + deps.createSettleMs;
      if (Date.now() < settled) {
        throw retryable("CREATE_IN_DOUBT", `the ${what} sent to 1C at ${pair.createAttemptedAt} has no known outcome yet; a find settles it after ${new Date(settled).toISOString()}`, { retryAfterMs: settled - Date.now() });
      }
      const found = await find();
      if (found.length > 1) throw permanent("CREATE_IN_DOUBT_AMBIGUOUS", `${found.length} 1C records carry the inverse id of this ${what} (${found.map((f) => f.Ref_Key).join(", ")}); a person must say which one Concord created`);
      if (found[0]) return adopt(found[0]);
    }
    await mapping.createAttempt(pair.id, lease, "begin");
    let record: OnecRecord;
    try {
      record = await send();
    } catch (error) {
      if (isSyncError(error) && error.kind === "permanent") {
        // 1C said no: nothing was created.
        await mapping.createAttempt(pair.id, lease, "abandon").catch(() => undefined);
        throw error;
      }
      throw retryable("CREATE_IN_DOUBT", `the ${what} create has no known outcome (${(error as Error).message}); settled by a find after ${Math.round(deps.createSettleMs / 1000)} s`, { retryAfterMs: deps.createSettleMs, cause: error });
    }
    // Created: a failure from here (a lost lease at the confirm) leaves the pair in doubt, and the find adopts the record.
    deps.afterCreate?.();
    return created(record);
  }

  /** In dry-run: the order's counterparty and partner, or placeholders where the same dry-run would create them. */
  async function partiesOrPlaceholders(command: OnecOrderUpsert): Promise<{ counterparty: string; partner: string }> {
    const customerPair = await mapping.resolve(command.customer, "onec");
    const target = customerPair && customerPair.state !== "claimed" ? idOn(customerPair, "onec") : null;
    const of = `${command.customer.entity} ${command.customer.id}`;
    if (!target) return { counterparty: `(new counterparty of ${of})`, partner: `(new partner of ${of})` };
    const counterparty = await onec.get(OnecSets.counterparty, target);
    if (!counterparty) throw permanent("REFERENCE_GONE", `counterparty ${target} no longer exists in 1C`);
    return { counterparty: target, partner: filledRef(counterparty.Партнер_Key) ? String(counterparty.Партнер_Key) : `(new partner of ${of})` };
  }

  /** The owned counterparty values that differ from what 1C holds (a sole trader stays one; addresses stay). */
  async function counterpartyChanges(command: OnecCounterpartyUpsert, current: OnecRecord): Promise<Record<string, unknown>> {
    const wanted = command.counterparty;
    const body: Record<string, unknown> = {};
    if (!(await storedForms.holds(OnecSets.counterparty, "Description", wanted.name, current.Description))) body.Description = wanted.name;
    if (!legalFormAgrees(wanted.kind, current.ЮрФизЛицо)) body.ЮрФизЛицо = wanted.kind;
    if (wanted.inn != null && wanted.inn !== current.ИНН) body.ИНН = wanted.inn;
    if (wanted.kpp != null && wanted.kpp !== current.КПП) body.КПП = wanted.kpp;
    // A marker an earlier version left in the comment moves to the attribute.
    Object.assign(body, markerMigration(current, customerInverseId(command.source)));
    const contacts = mergeContactRows(Array.isArray(current.КонтактнаяИнформация) ? (current.КонтактнаяИнформация as Row[]) : [], { email: wanted.email, phone: wanted.phone });
    if (contacts.changed) body.КонтактнаяИнформация = contacts.rows;
    return body;
  }

  /** Ambiguous keys: nothing is created; the pair waits for a person, and so does every order that needs it. */
  async function awaitDecision(pair: Mapping, summary: string, reason: string, candidates: Candidate[]): Promise<never> {
    const decision = await mapping.openDecision(pair.id, summary, reason, candidates);
    throw new HeldForDecision(decision.id, `${summary}: ${reason}; waits for decision ${decision.id} (concord decisions list)`);
  }

  /**
   * Links an existing counterparty found by business keys (or chosen by a person): the pair is
   * confirmed to it and it gets Concord's marker; its fields are then reconciled by the customer
   * pair under the ownership rules (a recheck of the CRM record), never overwritten here.
   */
  async function linkCounterparty(command: OnecCounterpartyUpsert, pair: Mapping, lease: string, ref: string, createdBy: string): Promise<Applied> {
    const found = await onec.get(OnecSets.counterparty, ref);
    if (!found) throw permanent("TARGET_GONE", `counterparty ${ref} (${createdBy}) no longer exists in 1C`);
    try {
      await mapping.confirm(pair.id, found.Ref_Key, lease, createdBy);
    } catch (error) {
      // Another record linked it between the lookup and here: a person decides.
      if (!(isSyncError(error) && error.code === "TARGET_ALREADY_MAPPED") || createdBy === "decision") throw error;
      return awaitDecision(pair, command.match?.summary ?? `${command.source.entity} ${command.source.id}`, `the only match (${createdBy}) was linked to another record meanwhile`, [
        { id: found.Ref_Key, label: counterpartyLabel(found), keys: [createdBy.replace(/^match:/, "")], linkedTo: "another record" },
      ]);
    }
    const body: Record<string, unknown> = markerAdded(found, customerInverseId(command.source));
    if (!filledRef(found.Партнер_Key)) body.Партнер_Key = await ensurePartner(command);
    const applied = await patchOwned(OnecSets.counterparty, "counterparty", found, body, `linked to the existing counterparty (${createdBy})`);
    await publishChange(bus.js, subjects, recheckEvent(command.source, `linked@${pair.id}`));
    return { ...applied, result: "applied", detail: `linked to existing counterparty ${found.Ref_Key} (${createdBy}); ${applied.detail}` };
  }

  async function applyCounterparty(command: OnecCounterpartyUpsert, pair: Mapping, lease: string): Promise<Applied> {
    if (pair.targetId) {
      const current = await onec.get(OnecSets.counterparty, pair.targetId);
      if (!current) throw permanent("TARGET_GONE", `counterparty ${pair.targetId} no longer exists in 1C`);
      const moved = movedSince(command, current);
      if (moved) return decideAgain("counterparty", current.Ref_Key, String(current.DataVersion), moved);
      // A deal re-sending its customer only needs it to exist: the customer pair's own reconcile
      // (which keeps its sync point) writes its fields, so a rename is written once, not twice.
      const body = command.decidedAgainst ? await counterpartyChanges(command, current) : {};
      if (!filledRef(current.Партнер_Key)) body.Партнер_Key = await ensurePartner(command);
      // A link cut short after its confirm (a crash, a lost lease) is finished here: the marker, then the recheck.
      const unfinishedLink = linkedToExisting(pair) && pair.sourceSystem === "bitrix24" ? markerAdded(current, customerInverseId(command.source)) : {};
      Object.assign(body, unfinishedLink);
      const applied = await patchOwned(OnecSets.counterparty, "counterparty", current, body, command.decidedAgainst ? "counterparty" : "counterparty exists; its pair's reconcile keeps its fields");
      if (Object.keys(unfinishedLink).length > 0) await publishChange(bus.js, subjects, recheckEvent(command.source, `linked@${pair.id}`));
      return applied;
    }
    const marker = customerInverseId(command.source);
    const whose = `${command.source.entity} ${command.source.id}`;
    // Business keys before a create (never while a create is in doubt: its marker decides).
    if (pair.decision === "awaiting") throw HeldForDecision.awaiting(`${whose} (between existing 1C counterparties)`);
    if (pair.decision === "link" && pair.decisionTarget) return linkCounterparty(command, pair, lease, pair.decisionTarget, "decision");
    if (pair.decision === null && !pair.createAttemptedAt && command.match && command.match.lookups.length > 0) {
      const match = await matchCounterparty(command.match, command.source, pair.id);
      if (match.kind === "one") return linkCounterparty(command, pair, lease, match.id, matchedBy(match.keys));
      if (match.kind === "ambiguous") return awaitDecision(pair, command.match.summary, match.reason, match.candidates);
    }
    let sent: Record<string, unknown> = {};
    return createOnce(
      pair,
      lease,
      "counterparty",
      () => findMarked(OnecSets.counterparty, marker),
      async (found) => {
        const body = await counterpartyChanges(command, found);
        if (!filledRef(found.Партнер_Key)) body.Партнер_Key = await ensurePartner(command);
        const applied = await patchOwned(OnecSets.counterparty, "counterparty", found, body, "found by inverse id after a create in doubt");
        await mapping.confirm(pair.id, found.Ref_Key, lease);
        return { ...applied, result: "applied" };
      },
      async () => {
        sent = toCounterpartyBody(command, await ensurePartner(command));
        return onec.create(OnecSets.counterparty, sent);
      },
      async (created) => {
        await mapping.confirm(pair.id, created.Ref_Key, lease);
        await storedForms.learn(OnecSets.counterparty, sent, created);
        return { ref: created.Ref_Key, result: "created", detail: `counterparty created; ${storedDifferences(sent, created)}`, dataVersion: String(created.DataVersion ?? "") };
      },
    );
  }

  /** The order's counterparty and partner in 1C; the counterparty command goes first (references first). */
  async function orderParties(command: OnecOrderUpsert): Promise<{ counterparty: string; partner: string }> {
    const customerPair = await mapping.resolve(command.customer, "onec");
    const target = customerPair && customerPair.state !== "claimed" ? idOn(customerPair, "onec") : null;
    if (!target && customerPair?.decision === "awaiting") {
      throw HeldForDecision.awaiting(`order of deal ${command.source.id} is held: its ${command.customer.entity} ${command.customer.id}`);
    }
    if (!target && customerPair?.decision === "ignore") {
      throw new CustomerIgnored(`its ${command.customer.entity} ${command.customer.id} is not synced (a person decided to ignore it)`);
    }
    if (!target) {
      throw retryable("REFERENCE_NOT_READY", `counterparty of ${command.customer.entity} ${command.customer.id} is not in 1C yet`, { retryAfterMs: 1_000 });
    }
    const counterparty = await onec.get(OnecSets.counterparty, target);
    if (!counterparty) throw permanent("REFERENCE_GONE", `counterparty ${target} no longer exists in 1C`);
    return { counterparty: target, partner: String(counterparty.Партнер_Key ?? "") };
  }

  /** The owned order values named by the command that differ from what 1C holds; lines merged row by row. */
  async function orderChanges(command: OnecOrderUpsert, current: OnecRecord, parties: (command: OnecOrderUpsert) => Promise<{ counterparty: string; partner: string }> = orderParties): Promise<Record<string, unknown>> {
    const write = new Set(command.write ?? ["status", "title", "customer", "lines"]);
    const body: Record<string, unknown> = {};
    if (command.undelete && current.DeletionMark === true) body.DeletionMark = false;
    if (write.has("status") && current.Статус !== command.order.status) body.Статус = command.order.status;
    if (write.has("title") && !(await storedForms.holds(OnecSets.order, "Комментарий", command.order.comment, current.Комментарий))) body.Комментарий = command.order.comment;
    if (write.has("customer")) {
      const { counterparty, partner } = await parties(command);
      if (current.Контрагент_Key !== counterparty) body.Контрагент_Key = counterparty;
      if (current.Партнер_Key !== partner) body.Партнер_Key = partner;
    }
    if (write.has("lines")) {
      const products = await resolveProducts(command.lines);
      const header = command.order.header;
      const merged = mergeOrderRows(Array.isArray(current.Товары) ? (current.Товары as Row[]) : [], wantedLines(command, products), {
        vatRate: header?.vatRate ?? null,
        warehouse: newRowWarehouse(current, header?.warehouse ?? null),
        pricesIncludeVat: current.ЦенаВключаетНДС === true,
      });
      if (merged.changed) body.Товары = merged.rows;
    }
    return body;
  }

  async function applyOrder(command: OnecOrderUpsert, pair: Mapping, lease: string): Promise<Applied> {
    if (pair.targetId) {
      const current = await onec.get(OnecSets.order, pair.targetId);
      if (!current) throw permanent("TARGET_GONE", `order ${pair.targetId} no longer exists in 1C`);
      const moved = movedSince(command, current);
      if (moved) return decideAgain("order", current.Ref_Key, String(current.DataVersion), moved);
      return patchOwned(OnecSets.order, "order", current, await orderChanges(command, current), "order");
    }
    // Everything the create needs is resolved before it is sent: a missing reference is no doubt.
    const parties = await orderParties(command);
    const sent = toNewOrderBody(command, { ...parties, products: await resolveProducts(command.lines) }, onecDate(new Date(), deps.timeZone));
    const applied = await createOnce(
      pair,
      lease,
      "order",
      () => onec.list(OnecSets.order, { filter: `НомерПоДаннымКлиента eq ${odataString(orderInverseId(command.source))}`, top: 5 }),
      async (found) => {
        const result = await patchOwned(OnecSets.order, "order", found, await orderChanges(command, found), "found by inverse id after a create in doubt");
        await mapping.confirm(pair.id, found.Ref_Key, lease);
        return { ...result, result: "applied" };
      },
      () => onec.create(OnecSets.order, sent),
      async (created) => {
        await mapping.confirm(pair.id, created.Ref_Key, lease);
        await storedForms.learn(OnecSets.order, sent, created);
        return {
          ref: created.Ref_Key,
          result: "created",
          detail: `order created as ${String(created.Number)}, СуммаДокумента ${String(created.СуммаДокумента)}; ${storedDifferences(sent, created)}`,
          dataVersion: String(created.DataVersion ?? ""),
          ...numberOf(created),
        };
      },
    );
    await linkDeal(command.source, applied.ref);
    return applied;
  }

  /** Write the 1C Ref_Key back on the deal; crm-writer applies it (dedupe id keeps it single). */
  async function linkDeal(deal: RecordRef, ref: string) {
    const link: CrmDealLink = { v: 1, type: "bitrix24.deal.link", dealId: deal.id, originatorId: ONEC_ORIGINATOR_ID, originId: ref, issuedAt: new Date().toISOString() };
    await publishJson(bus.js, subjects.command("bitrix24", "deal"), link, { msgId: crmCommandId(link), schema: SchemaVersions.crmCommand });
  }

  /** 1C may silently ignore, truncate or reset values: say what it stored differently (the record's history shows it). */
  function storedDifferences(sent: Record<string, unknown>, stored: Record<string, unknown>): string {
    const differences: string[] = [];
    const differs = (a: unknown, b: unknown) => JSON.stringify(a) !== JSON.stringify(b);
    for (const [key, value] of Object.entries(sent)) {
      if (!Array.isArray(value)) {
        if (differs(stored[key], value)) differences.push(`${key}: sent ${JSON.stringify(value)}, stored ${JSON.stringify(stored[key])}`);
        continue;
      }
      // A tabular part, row by row and column by column (LineNumber is 1C's to number).
      const kept = Array.isArray(stored[key]) ? (stored[key] as Row[]) : [];
      if (kept.length !== value.length) differences.push(`${key}: sent ${value.length} rows, stored ${kept.length}`);
      (value as Row[]).forEach((row, i) => {
        for (const [column, v] of Object.entries(row)) {
          if (column !== "LineNumber" && differs(kept[i]?.[column], v)) differences.push(`${key}[${i + 1}].${column}: sent ${JSON.stringify(v)}, stored ${JSON.stringify(kept[i]?.[column])}`);
        }
      });
    }
    if (differences.length > 0) logger.warn("1C stored different values than sent", { ref: stored.Ref_Key, differences });
    const summary = `DataVersion ${String(stored.DataVersion)}`;
    return differences.length > 0 ? `${summary}; 1C stored differently: ${differences.join("; ")}` : summary;
  }

  /** A deleted deal: mark the 1C order for deletion (unposting first) or set the cancel status. */
  async function applyDelete(command: OnecOrderDelete, pair: Mapping): Promise<Applied> {
    if (!pair.targetId) throw permanent("NOT_MAPPED", `deal ${command.source.id} has no confirmed 1C order`);
    const record = await onec.get(OnecSets.order, pair.targetId);
    let stored: OnecRecord | null = record;
    if (record && command.mode === "deletionMark") {
      if (record.Posted === true) await onec.unpost(OnecSets.order, pair.targetId);
      stored = await onec.patch(OnecSets.order, pair.targetId, { DeletionMark: true });
    } else if (record && command.status) {
      stored = await onec.patch(OnecSets.order, pair.targetId, { Статус: command.status });
    }
    await mapping.markDeleted(pair.id, "bitrix24");
    return {
      ref: pair.targetId,
      result: "applied",
      detail: record ? `order ${command.mode === "deletionMark" ? "marked for deletion" : `set to ${command.status}`}; mapping marked deleted` : "order already gone in 1C; mapping marked deleted",
      dataVersion: stored?.DataVersion ? String(stored.DataVersion) : null,
    };
  }

  /**
   * What a command would write, computed the way the live path computes it — every read, no
   * write: no claim, no lease, no partner, no sync state. References the same dry-run would
   * create are named by placeholders. A permanent failure is shown, not dead-lettered.
   */
  async function wouldWrite(command: OnecCommand): Promise<{ detail: string; target: string | null }> {
    const row = await mapping.resolve(command.source, "onec");
    const targetId = row ? idOn(row, "onec") : null;
    if (row) {
      const state = await mapping.getState(row.id, "onec");
      const lastVersion = state?.lastVersion ? (JSON.parse(state.lastVersion) as SourceVersion) : null;
      const decision = decideWrite({ deleted: row.state === "deleted", lastVersion, lastHash: state?.lastHash ?? null }, command, targetId !== null);
      if (!decision.write) return { detail: `nothing to write (${decision.result}: ${decision.detail})`, target: targetId };
    }
    try {
      if (command.type === "onec.order.delete") {
        if (!targetId) return { detail: `nothing to write: deal ${command.source.id} has no confirmed 1C order`, target: null };
        const what = command.mode === "deletionMark" ? "mark for deletion (unposting first)" : `set Статус ${String(command.status)} on`;
        return { detail: describeWouldBeWrite(`${what} ${OnecSets.order} ${targetId}, then mark the mapping deleted`), target: targetId };
      }
      if (command.type === "onec.counterparty.upsert") {
        if (targetId) {
          const current = await onec.get(OnecSets.counterparty, targetId);
          if (!current) throw permanent("TARGET_GONE", `counterparty ${targetId} no longer exists in 1C`);
          const body = command.decidedAgainst ? await counterpartyChanges(command, current) : {};
          if (!filledRef(current.Партнер_Key)) body.Партнер_Key = await partnerOrPlaceholder(command);
          if (Object.keys(body).length === 0) return { detail: "nothing to write: the counterparty holds what Concord owns", target: targetId };
          return { detail: describeWouldBeWrite(`update ${OnecSets.counterparty} ${targetId}`, body), target: targetId };
        }
        // What the live path would find first: an existing counterparty by the business keys.
        if (command.match && command.match.lookups.length > 0) {
          // A dry-run holds no claim: it waits behind every claim in progress, as the youngest would.
          const match = await matchCounterparty(command.match, command.source, row?.id ?? Number.MAX_SAFE_INTEGER);
          if (match.kind === "one") return { detail: `would link ${command.source.entity} ${command.source.id} to the existing counterparty ${match.id} (${matchedBy(match.keys)}), adding Concord's marker`, target: match.id };
          if (match.kind === "ambiguous") return { detail: `would create nothing and wait for a person's decision: ${match.reason} (candidates ${match.candidates.map((c) => c.id).join(", ")})`, target: null };
        }
        const partner = await partnerOrPlaceholder(command);
        const creates = partner.startsWith("(") ? `create ${OnecSets.partner} and ${OnecSets.counterparty}` : `create ${OnecSets.counterparty}`;
        return { detail: describeWouldBeWrite(creates, toCounterpartyBody(command, partner)), target: null };
      }
      if (targetId) {
        const current = await onec.get(OnecSets.order, targetId);
        if (!current) throw permanent("TARGET_GONE", `order ${targetId} no longer exists in 1C`);
        const body = await orderChanges(command, current, partiesOrPlaceholders);
        if (Object.keys(body).length === 0) return { detail: "nothing to write: the order holds what Concord owns", target: targetId };
        return { detail: describeWouldBeWrite(`update ${OnecSets.order} ${targetId}`, body), target: targetId };
      }
      const parties = await partiesOrPlaceholders(command);
      const body = toNewOrderBody(command, { ...parties, products: await resolveProducts(command.lines) }, onecDate(new Date(), deps.timeZone));
      return { detail: describeWouldBeWrite(`create ${OnecSets.order} (then link deal ${command.source.id})`, body), target: null };
    } catch (error) {
      if (isSyncError(error) && error.kind === "permanent") return { detail: `would fail: ${error.code}: ${error.message}`, target: targetId };
      if (isHeld(error)) return { detail: `would wait: ${error.message}`, target: targetId };
      throw error;
    }
  }

  async function reportDryRun(command: OnecCommand, mark: DryRunMark, context: MessageContext, started: number): Promise<void> {
    const targetEntity: "counterparty" | "order" = command.type === "onec.counterparty.upsert" ? "counterparty" : "order";
    const { detail, target } = await wouldWrite(command);
    const outcome = { stage: "onec-writer" as const, messageId: commandId(command), subject: command.source, target: target ? { system: "onec" as const, entity: targetEntity, id: target } : null, attempts: context.deliveryCount };
    // Checked last, right before the report: a switch to live after the decision decides it again, live.
    const switched = await deps.modes?.switchedLiveSince(mark);
    if (switched) {
      await publishReplay(bus.js, subjects, mark.origin, mark.action, switched.since);
      await reportOutcome(bus.js, subjects, { ...outcome, result: "skipped", detail: `decided in dry-run; ${mark.flow} is live since ${switched.since}: not written, decided again live`, durationMs: Date.now() - started }, logger);
      return;
    }
    await reportOutcome(bus.js, subjects, { ...outcome, result: detail.startsWith("would ") ? "dry-run" : "skipped", detail: `dry-run (${mark.flow}): ${detail}`, durationMs: Date.now() - started }, logger);
  }

  return async function apply(command: OnecCommand, context: MessageContext): Promise<void> {
    const started = Date.now();
    if (command.dryRun) return reportDryRun(command, command.dryRun, context, started);
    const targetEntity = command.type === "onec.counterparty.upsert" ? "counterparty" : "order";
    const { mapping: claimed } = await mapping.claim({ source: command.source, targetSystem: "onec", targetEntity, createdBy: "flow" });
    const report = (result: "created" | "applied" | "echo" | "stale" | "skipped", detail: string, targetId: string | null, targetNumber?: string) =>
      reportOutcome(
        bus.js,
        subjects,
        {
          stage: "onec-writer",
          messageId: commandId(command),
          subject: command.source,
          target: targetId ? { system: "onec", entity: targetEntity, id: targetId } : null,
          ...(targetNumber ? { targetNumber } : {}),
          result,
          detail,
          attempts: context.deliveryCount,
          durationMs: Date.now() - started,
        },
        logger,
      );

    await mapping.withLease(claimed, owner, deps.leaseTtlMs, async (lease) => {
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
          const values = command.type === "onec.order.delete" ? null : (state?.values ?? command.syncView ?? null);
          await mapping.recordState(pair.id, "onec", JSON.stringify(command.sourceVersion), command.contentHash, state?.lastHash ?? null, values);
        }
        await report(decision.result, decision.detail, pair.targetId);
        return;
      }
      context.working();
      if (pair.targetId === null && pair.decision === "ignore") {
        await report("skipped", "not synced: a person decided to ignore this record's match", null);
        return;
      }
      let applied: Applied;
      try {
        applied =
          command.type === "onec.order.upsert"
            ? await applyOrder(command, pair, lease)
            : command.type === "onec.order.delete"
              ? await applyDelete(command, pair)
              : await applyCounterparty(command, pair, lease);
      } catch (error) {
        if (!(error instanceof CustomerIgnored)) throw error;
        await report("skipped", `order not created: ${error.message}`, null);
        return;
      }
      if (applied.result === "stale") {
        // Not written: the state stays as it was, and the pair is decided again.
        await report("stale", applied.detail, applied.ref);
        return;
      }
      const values = command.type === "onec.order.delete" ? null : recordedValues(command, applied, state?.values ?? null);
      const recorded = await mapping.recordState(pair.id, "onec", JSON.stringify(command.sourceVersion), command.contentHash, state?.lastHash ?? null, values);
      if (!recorded.recorded) logger.warn("sync state changed under the lease; kept the newer record", { mappingId: pair.id });
      await report(applied.result, applied.detail, applied.ref, applied.number);
    }, context.working);
  };
}

/**
 * This side's sync point after a write. A command's view describes 1C only when the resolver
 * decided it against 1C's state, or when Concord created the record from it; otherwise (a
 * deal re-sending its customer) the previous sync point stands.
 */
function recordedValues(command: OnecCounterpartyUpsert | OnecOrderUpsert, applied: Applied, previous: Record<string, unknown> | null): Record<string, unknown> | null {
  const view = command.syncView;
  if (!view || !(command.decidedAgainst || applied.result === "created")) return previous;
  return applied.dataVersion ? recordedAfterWrite(view, applied.dataVersion, previous) : view;
}

/** An order whose customer a person decided not to sync: skipped, not failed. */
class CustomerIgnored extends Error {}

const EMPTY_REF = "00000000-0000-0000-0000-000000000000";
const filledRef = (v: unknown) => typeof v === "string" && v !== "" && v !== EMPTY_REF;

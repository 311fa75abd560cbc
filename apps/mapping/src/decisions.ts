import { and, desc, eq, inArray, isNull, ne, or, sql } from "drizzle-orm";
import { decisions, idMapping, type Database } from "@concord/db";
import { flowOrigins, permanent, type Candidate, type Decision, type DecisionDecideRequest } from "@concord/contracts";

type Row = typeof decisions.$inferSelect;

function toDecision(row: Row): Decision {
  return {
    id: row.id,
    mappingId: row.mappingId,
    source: { system: row.sourceSystem, entity: row.sourceEntity, id: row.sourceId } as Decision["source"],
    targetSystem: row.targetSystem as Decision["targetSystem"],
    targetEntity: row.targetEntity as Decision["targetEntity"],
    summary: row.summary,
    reason: row.reason,
    candidates: row.candidates,
    status: row.status as Decision["status"],
    action: row.action as Decision["action"],
    chosenId: row.chosenId,
    decidedBy: row.decidedBy,
    openedAt: row.openedAt.toISOString(),
    decidedAt: row.decidedAt ? row.decidedAt.toISOString() : null,
    supersededBy: row.supersededBy,
  };
}

/**
 * Decisions on ambiguous matches. Opening one marks its pair `awaiting` (the writers hold the
 * record and whatever needs it); deciding records the choice on the pair, where the held
 * commands read it when they are next looked at — so the decision is applied by the writers,
 * under their lease, through the normal command path.
 */
export function createDecisionStore(db: Database) {
  /** Idempotent per pair: a second writer (or a redelivery) gets the open decision back. */
  async function open(request: { mappingId: number; summary: string; reason: string; candidates: Candidate[] }): Promise<{ decision: Decision }> {
    return db.transaction(async (tx) => {
      const [pair] = await tx.select().from(idMapping).where(eq(idMapping.id, request.mappingId)).for("update");
      if (!pair) throw permanent("MAPPING_NOT_FOUND", `mapping ${request.mappingId} does not exist`);
      const [existing] = await tx
        .select()
        .from(decisions)
        .where(and(eq(decisions.mappingId, request.mappingId), eq(decisions.status, "open")));
      if (existing) return { decision: toDecision(existing) };
      const [row] = await tx
        .insert(decisions)
        .values({
          mappingId: pair.id,
          sourceSystem: pair.sourceSystem,
          sourceEntity: pair.sourceEntity,
          sourceId: pair.sourceId,
          targetSystem: pair.targetSystem,
          targetEntity: pair.targetEntity,
          summary: request.summary,
          reason: request.reason,
          candidates: request.candidates,
        })
        .returning();
      await tx.update(idMapping).set({ decision: "awaiting", decisionTarget: null }).where(eq(idMapping.id, pair.id));
      return { decision: toDecision(row as Row) };
    });
  }

  async function list(request: { status: Decision["status"] | "all"; limit: number }): Promise<{ decisions: Decision[] }> {
    const rows = await db
      .select()
      .from(decisions)
      .where(request.status === "all" ? undefined : eq(decisions.status, request.status))
      .orderBy(desc(decisions.id))
      .limit(request.limit);
    return { decisions: rows.map(toDecision) };
  }

  async function get(id: number): Promise<Decision> {
    const [row] = await db.select().from(decisions).where(eq(decisions.id, id));
    if (!row) throw permanent("DECISION_NOT_FOUND", `decision ${id} does not exist`);
    return toDecision(row);
  }

  /** A person's decision: only an open one, and a link only to a candidate no other record is linked to. */
  async function decide(request: DecisionDecideRequest): Promise<{ decision: Decision }> {
    return db.transaction(async (tx) => {
      const [row] = await tx.select().from(decisions).where(eq(decisions.id, request.id)).for("update");
      if (!row) throw permanent("DECISION_NOT_FOUND", `decision ${request.id} does not exist`);
      if (row.status === "superseded") throw permanent("DECISION_CLOSED", `decision ${request.id} is superseded: ${row.sourceEntity} ${row.sourceId} was linked meanwhile by its counterpart's own match (mapping ${row.supersededBy ?? "?"})`);
      if (row.status !== "open") throw permanent("DECISION_CLOSED", `decision ${request.id} was already taken (${row.action ?? "?"} by ${row.decidedBy ?? "?"})`);
      if (request.action === "link") {
        const candidate = row.candidates.find((c) => c.id.toLowerCase() === request.candidateId?.toLowerCase());
        if (!candidate) throw permanent("NOT_A_CANDIDATE", `${request.candidateId} is not one of decision ${request.id}'s candidates (${row.candidates.map((c) => c.id).join(", ")})`);
        const [taken] = await tx
          .select({ id: idMapping.id })
          .from(idMapping)
          .where(
            sql`(${idMapping.targetSystem} = ${row.targetSystem} and ${idMapping.targetEntity} = ${row.targetEntity} and ${idMapping.targetId} = ${candidate.id})
             or (${idMapping.sourceSystem} = ${row.targetSystem} and ${idMapping.sourceEntity} = ${row.targetEntity} and ${idMapping.sourceId} = ${candidate.id} and ${idMapping.targetSystem} = ${row.sourceSystem})`,
          );
        if (taken) throw permanent("TARGET_ALREADY_MAPPED", `${row.targetEntity} ${candidate.id} is already linked to another record (mapping ${taken.id}); choose create or ignore, or unlink that one first`);
      }
      const chosenId = request.action === "link" ? (row.candidates.find((c) => c.id.toLowerCase() === request.candidateId?.toLowerCase())?.id ?? null) : null;
      const [decided] = await tx
        .update(decisions)
        .set({ status: "decided", action: request.action, chosenId, decidedBy: request.actor, decidedAt: new Date() })
        .where(eq(decisions.id, row.id))
        .returning();
      await tx.update(idMapping).set({ decision: request.action, decisionTarget: chosenId }).where(eq(idMapping.id, row.mappingId));
      return { decision: toDecision(decided as Row) };
    });
  }

  return { open, list, get, decide };
}

type Transaction = Parameters<Parameters<Database["transaction"]>[0]>[0];

/** Only customers are matched by keys, so only their pairs can have decisions. */
const customerEntities: ReadonlySet<string> = new Set(flowOrigins.customers.map((o) => o.entity));

/**
 * A pair was just confirmed: its target record may have its own claim toward the pair's source
 * system, waiting for a decision (its first change from the other side came at the same time).
 * That record is linked now, so the decision — open, or a link or create taken but not yet
 * applied — is closed as superseded, and the claim no longer waits: its held commands resolve to
 * the confirmed pair.
 */
export async function supersedeDecisionsOf(tx: Transaction, confirmed: typeof idMapping.$inferSelect): Promise<number> {
  // An order's or a product's confirm costs nothing here.
  if (!confirmed.targetId || !customerEntities.has(confirmed.targetEntity)) return 0;
  const claims = tx
    .select({ id: idMapping.id })
    .from(idMapping)
    .where(
      and(
        eq(idMapping.sourceSystem, confirmed.targetSystem),
        eq(idMapping.sourceEntity, confirmed.targetEntity),
        // Exact, as every lookup of the store (ids are kept as the source gives them): the source key's index serves it.
        eq(idMapping.sourceId, confirmed.targetId),
        eq(idMapping.targetSystem, confirmed.sourceSystem),
        isNull(idMapping.targetId),
        // A create already sent is in doubt: its outcome, not this pair, settles that claim.
        isNull(idMapping.createAttemptedAt),
        ne(idMapping.id, confirmed.id),
      ),
    );
  const closed = await tx
    .update(decisions)
    .set({ status: "superseded", supersededBy: confirmed.id, decidedAt: sql`coalesce(${decisions.decidedAt}, now())` })
    // A person's `ignore` stands: that record stays out of sync whatever links it later.
    .where(and(inArray(decisions.mappingId, claims), or(eq(decisions.status, "open"), and(eq(decisions.status, "decided"), ne(decisions.action, "ignore")))))
    .returning({ mappingId: decisions.mappingId });
  if (closed.length > 0) await tx.update(idMapping).set({ decision: null, decisionTarget: null }).where(inArray(idMapping.id, closed.map((c) => c.mappingId)));
  return closed.length;
}
export type DecisionStore = ReturnType<typeof createDecisionStore>;

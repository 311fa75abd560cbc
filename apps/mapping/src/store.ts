import { and, eq, gt, isNull, lt, or, sql } from "drizzle-orm";
import { conflicts, idMapping, syncState, type Database } from "@concord/db";
import { supersedeDecisionsOf } from "./decisions";
import { permanent, retryable, type ClaimRequest, type Conflict, type Mapping, type RecordRef, type SyncState, type System } from "@concord/contracts";

type Row = typeof idMapping.$inferSelect;
type StateRow = typeof syncState.$inferSelect;

const iso = (d: Date | null) => (d ? d.toISOString() : null);

function toMapping(row: Row): Mapping {
  return {
    id: row.id,
    sourceSystem: row.sourceSystem as Mapping["sourceSystem"],
    sourceEntity: row.sourceEntity as Mapping["sourceEntity"],
    sourceId: row.sourceId,
    targetSystem: row.targetSystem as Mapping["targetSystem"],
    targetEntity: row.targetEntity as Mapping["targetEntity"],
    targetId: row.targetId,
    state: row.state as Mapping["state"],
    createdBy: row.createdBy,
    createdAt: row.createdAt.toISOString(),
    confirmedAt: iso(row.confirmedAt),
    lastSeenAt: row.lastSeenAt.toISOString(),
    deletedAt: iso(row.deletedAt),
    deletedBy: row.deletedBy as Mapping["deletedBy"],
    createAttemptedAt: iso(row.createAttemptedAt),
    decision: row.decision as Mapping["decision"],
    decisionTarget: row.decisionTarget,
  };
}

function toState(row: StateRow): SyncState {
  return {
    mappingId: row.mappingId,
    side: row.side as System,
    lastVersion: row.lastVersion,
    lastHash: row.lastHash,
    values: row.values ?? null,
    updatedAt: row.updatedAt.toISOString(),
  };
}

/** The identity store: the only code that writes id_mapping and sync_state. */
export function createMappingStore(db: Database) {
  /** A record may sit on either side of a mapping: look in both directions. */
  async function resolve(ref: RecordRef, otherSystem: System): Promise<Mapping | null> {
    const rows = await db
      .select()
      .from(idMapping)
      .where(
        or(
          and(
            eq(idMapping.sourceSystem, ref.system),
            eq(idMapping.sourceEntity, ref.entity),
            eq(idMapping.sourceId, ref.id),
            eq(idMapping.targetSystem, otherSystem),
          ),
          and(
            eq(idMapping.targetSystem, ref.system),
            eq(idMapping.targetEntity, ref.entity),
            eq(idMapping.targetId, ref.id),
            eq(idMapping.sourceSystem, otherSystem),
          ),
        ),
      )
      // Both directions may have claimed one identity at once (a legacy customer's first changes
      // from both sides): the confirmed pair is the identity's, then a claim, then a deleted one.
      .orderBy(sql`case ${idMapping.state} when 'confirmed' then 0 when 'claimed' then 1 else 2 end`, idMapping.id)
      .limit(1);
    return rows[0] ? toMapping(rows[0]) : null;
  }

  /**
   * Claims the pair before anything is created. The unique source key arbitrates races: the
   * loser's insert does nothing and it reads the winner's row (READ COMMITTED sees it).
   */
  async function claim(request: ClaimRequest): Promise<{ mapping: Mapping; claimed: boolean }> {
    const existing = await resolve(request.source, request.targetSystem);
    if (existing) {
      await db.update(idMapping).set({ lastSeenAt: new Date() }).where(eq(idMapping.id, existing.id));
      return { mapping: existing, claimed: false };
    }
    const inserted = await db
      .insert(idMapping)
      .values({
        sourceSystem: request.source.system,
        sourceEntity: request.source.entity,
        sourceId: request.source.id,
        targetSystem: request.targetSystem,
        targetEntity: request.targetEntity,
        createdBy: request.createdBy,
      })
      .onConflictDoNothing()
      .returning();
    if (inserted[0]) return { mapping: toMapping(inserted[0]), claimed: true };
    const winner = await resolve(request.source, request.targetSystem);
    if (!winner) throw new Error("claim lost the race but no winner row is visible");
    return { mapping: winner, claimed: false };
  }

  /** The pair's lease is held by `owner` right now: the fence of every step of a create. */
  const holds = (owner: string) => and(eq(idMapping.leaseOwner, owner), gt(idMapping.leaseUntil, sql`now()`));

  async function leaseLost(mappingId: number, owner: string): Promise<never> {
    const current = await db.select().from(idMapping).where(eq(idMapping.id, mappingId));
    if (!current[0]) throw permanent("MAPPING_NOT_FOUND", `mapping ${mappingId} does not exist`);
    throw retryable("LEASE_LOST", `mapping ${mappingId}: the lease of ${owner} expired or passed to another worker; the next holder settles the pair`, { retryAfterMs: 1_000 });
  }

  /**
   * Records the target id; idempotent for the same id, a conflict for a different one. With an
   * owner it is fenced: a writer whose lease expired during a slow call cannot confirm.
   */
  /**
   * Both directions can claim one identity at once (a legacy customer's first deal and first 1C
   * order) and each can find the other's record by keys: the two claims, one from each side,
   * would pair the same two records twice. Confirms of the same two records take turns (an
   * advisory lock on the unordered pair), and the second finds the first's pair and is refused:
   * its command, looked at again, resolves to that pair and goes on through it.
   */
  async function refuseSecondPairOfTheSameTwo(tx: Parameters<Parameters<Database["transaction"]>[0]>[0], mappingId: number, targetId: string): Promise<void> {
    const [row] = await tx.select().from(idMapping).where(eq(idMapping.id, mappingId));
    if (!row) return;
    const ends = [`${row.sourceSystem}:${row.sourceEntity}:${row.sourceId}`, `${row.targetSystem}:${row.targetEntity}:${targetId}`].sort();
    await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${ends.join("|")}, 0))`);
    const reversed = await tx
      .select({ id: idMapping.id })
      .from(idMapping)
      .where(
        and(
          eq(idMapping.state, "confirmed"),
          eq(idMapping.sourceSystem, row.targetSystem),
          eq(idMapping.sourceEntity, row.targetEntity),
          eq(idMapping.sourceId, targetId),
          eq(idMapping.targetSystem, row.sourceSystem),
          eq(idMapping.targetEntity, row.sourceEntity),
          eq(idMapping.targetId, row.sourceId),
        ),
      )
      .limit(1);
    if (reversed[0]) {
      throw retryable("PAIRED_THE_OTHER_WAY", `${row.sourceSystem} ${row.sourceEntity} ${row.sourceId} and ${row.targetSystem} ${row.targetEntity} ${targetId} are already paired (mapping ${reversed[0].id}, claimed from the other side): mapping ${mappingId} is not confirmed`, { retryAfterMs: 1_000 });
    }
  }

  async function confirm(mappingId: number, targetId: string, owner?: string, createdBy?: string): Promise<Mapping> {
    let rows: Row[];
    try {
      rows = await db.transaction(async (tx) => {
        await refuseSecondPairOfTheSameTwo(tx, mappingId, targetId);
        const confirmed = await tx
          .update(idMapping)
          .set({
            targetId,
            state: "confirmed",
            confirmedAt: sql`coalesce(${idMapping.confirmedAt}, now())`,
            createAttemptedAt: null,
            lastSeenAt: new Date(),
            // A pair found by a business key or a person's decision says so (not "flow").
            ...(createdBy ? { createdBy: sql`case when ${idMapping.targetId} is null then ${createdBy} else ${idMapping.createdBy} end` } : {}),
          })
          .where(and(eq(idMapping.id, mappingId), or(isNull(idMapping.targetId), eq(idMapping.targetId, targetId)), owner ? holds(owner) : undefined))
          .returning();
        if (confirmed[0]) await supersedeDecisionsOf(tx, confirmed[0]);
        return confirmed;
      });
    } catch (error) {
      if ((error as { cause?: { constraint_name?: string } }).cause?.constraint_name === "id_mapping_target_uq") {
        throw permanent("TARGET_ALREADY_MAPPED", `target ${targetId} is already mapped to another record`);
      }
      throw error;
    }
    if (rows[0]) return toMapping(rows[0]);
    const current = await db.select().from(idMapping).where(eq(idMapping.id, mappingId));
    if (!current[0]) throw permanent("MAPPING_NOT_FOUND", `mapping ${mappingId} does not exist`);
    if (owner && (current[0].targetId === null || current[0].targetId === targetId)) return leaseLost(mappingId, owner);
    throw permanent("MAPPING_CONFLICT", `mapping ${mappingId} is confirmed to ${current[0].targetId}, not ${targetId}`);
  }

  /** Takes or renews the pair's lease when it is free, expired, or already ours. */
  async function lease(mappingId: number, owner: string, ttlMs: number) {
    const until = sql`now() + make_interval(secs => ${ttlMs / 1000})`;
    const rows = await db
      .update(idMapping)
      .set({ leaseOwner: owner, leaseUntil: until })
      .where(
        and(
          eq(idMapping.id, mappingId),
          or(isNull(idMapping.leaseUntil), lt(idMapping.leaseUntil, sql`now()`), eq(idMapping.leaseOwner, owner)),
        ),
      )
      .returning();
    if (rows[0]) return { acquired: true, mapping: toMapping(rows[0]), leaseUntil: iso(rows[0].leaseUntil) };
    const current = await db.select().from(idMapping).where(eq(idMapping.id, mappingId));
    if (!current[0]) throw permanent("MAPPING_NOT_FOUND", `mapping ${mappingId} does not exist`);
    return { acquired: false, mapping: toMapping(current[0]), leaseUntil: iso(current[0].leaseUntil) };
  }

  /** A create is about to be sent (the pair is in doubt from now on), or failed for sure. Fenced. */
  async function createAttempt(mappingId: number, owner: string, action: "begin" | "abandon"): Promise<Mapping> {
    const rows = await db
      .update(idMapping)
      .set({ createAttemptedAt: action === "begin" ? sql`now()` : null })
      .where(and(eq(idMapping.id, mappingId), isNull(idMapping.targetId), holds(owner)))
      .returning();
    return rows[0] ? toMapping(rows[0]) : leaseLost(mappingId, owner);
  }

  async function release(mappingId: number, owner: string) {
    const rows = await db
      .update(idMapping)
      .set({ leaseOwner: null, leaseUntil: null })
      .where(and(eq(idMapping.id, mappingId), eq(idMapping.leaseOwner, owner)))
      .returning({ id: idMapping.id });
    return { released: rows.length > 0 };
  }

  async function getState(mappingId: number, side: System): Promise<SyncState | null> {
    const rows = await db
      .select()
      .from(syncState)
      .where(and(eq(syncState.mappingId, mappingId), eq(syncState.side, side)));
    return rows[0] ? toState(rows[0]) : null;
  }

  /** Compare-and-set on the last written hash, so two writers can never interleave their records. */
  async function recordState(mappingId: number, side: System, version: string, hash: string, expectHash: string | null, values: Record<string, unknown> | null = null) {
    const rows =
      expectHash === null
        ? await db.insert(syncState).values({ mappingId, side, lastVersion: version, lastHash: hash, values }).onConflictDoNothing().returning()
        : await db
            .update(syncState)
            .set({ lastVersion: version, lastHash: hash, values, updatedAt: new Date() })
            .where(and(eq(syncState.mappingId, mappingId), eq(syncState.side, side), eq(syncState.lastHash, expectHash)))
            .returning();
    if (rows[0]) return { recorded: true, state: toState(rows[0]) };
    return { recorded: false, state: await getState(mappingId, side) };
  }

  /** Soft delete: the row and its timestamps stay; a deleted pair is never re-created by a late event. */
  async function markDeleted(mappingId: number, side?: System): Promise<Mapping> {
    const rows = await db
      .update(idMapping)
      .set({ state: "deleted", deletedAt: sql`coalesce(${idMapping.deletedAt}, now())`, ...(side ? { deletedBy: sql`coalesce(${idMapping.deletedBy}, ${side})` } : {}), lastSeenAt: new Date() })
      .where(eq(idMapping.id, mappingId))
      .returning();
    if (!rows[0]) throw permanent("MAPPING_NOT_FOUND", `mapping ${mappingId} does not exist`);
    return toMapping(rows[0]);
  }

  /** Undelete: the record is back at its source; the pair is live again (claimed if it never had a target). */
  async function revive(mappingId: number): Promise<Mapping> {
    const rows = await db
      .update(idMapping)
      .set({ state: sql`case when ${idMapping.targetId} is null then 'claimed' else 'confirmed' end`, deletedAt: null, deletedBy: null, lastSeenAt: new Date() })
      .where(eq(idMapping.id, mappingId))
      .returning();
    if (!rows[0]) throw permanent("MAPPING_NOT_FOUND", `mapping ${mappingId} does not exist`);
    return toMapping(rows[0]);
  }

  /** Records conflicts once per (pair, field, revealing change). */
  async function recordConflicts(list: Conflict[]): Promise<number> {
    const rows = await db
      .insert(conflicts)
      .values(
        list.map((c) => ({
          mappingId: c.mappingId,
          entity: c.entity,
          field: c.field,
          crmValue: c.crmValue ?? null,
          onecValue: c.onecValue ?? null,
          winner: c.winner,
          rule: c.rule,
          messageId: c.messageId,
          traceId: c.traceId,
        })),
      )
      .onConflictDoNothing()
      .returning({ id: conflicts.id });
    return rows.length;
  }

  return { resolve, claim, confirm, createAttempt, lease, release, getState, recordState, markDeleted, revive, recordConflicts };
}

export type MappingStore = ReturnType<typeof createMappingStore>;

import { z } from "zod";
import { InstantSchema } from "./codecs";
import { EntitySchema, RecordRefSchema, SystemSchema } from "./systems";

/**
 * Decisions people take when business keys cannot decide alone: a record about to be created
 * on the other side matched several records there (or keys that disagree, or a record already
 * linked to another). Nothing is created meanwhile; the record and what needs it are held.
 */

/** One existing record a business key found, as a person needs to see it. */
export const CandidateSchema = z.object({
  id: z.string().min(1).max(64).describe("The record's id on the target system"),
  label: z.string().max(300).describe("What a person recognises it by: name, INN/KPP, e-mail"),
  keys: z.array(z.string().max(32)).describe("The keys that found it, e.g. innKpp, email"),
  linkedTo: z.string().max(100).nullable().default(null).describe("Already linked to this record: linking it again is refused"),
});
export type Candidate = z.infer<typeof CandidateSchema>;

export const DecisionActionSchema = z.enum(["link", "create", "ignore"]).describe("link to a candidate, create a new record, or leave the record unsynced");
export type DecisionAction = z.infer<typeof DecisionActionSchema>;

export const DecisionSchema = z.object({
  id: z.number().int().positive(),
  mappingId: z.number().int().positive().describe("The claimed pair waiting for it"),
  source: RecordRefSchema.describe("The record that needs a counterpart"),
  targetSystem: SystemSchema,
  targetEntity: EntitySchema,
  summary: z.string().describe("The source record as a person recognises it"),
  reason: z.string().describe("Why the keys could not decide, in words"),
  candidates: z.array(CandidateSchema),
  status: z.enum(["open", "decided", "superseded"]).describe("superseded: the record was linked by its counterpart's own match before this decision was applied"),
  action: DecisionActionSchema.nullable(),
  chosenId: z.string().nullable(),
  decidedBy: z.string().nullable(),
  openedAt: InstantSchema,
  decidedAt: InstantSchema.nullable(),
  supersededBy: z.number().int().positive().nullable().default(null).describe("The pair that linked the record meanwhile (status superseded)"),
});
export type Decision = z.infer<typeof DecisionSchema>;

/** A writer found an ambiguous match: open the decision (idempotent per pair) and mark the pair awaiting. */
export const DecisionOpenRequestSchema = z.object({
  mappingId: z.number().int().positive(),
  summary: z.string().max(500),
  reason: z.string().max(1000),
  candidates: z.array(CandidateSchema).max(50),
});
export const DecisionOpenReplySchema = z.object({ decision: DecisionSchema });

export const DecisionListRequestSchema = z.object({
  status: z.enum(["open", "decided", "superseded", "all"]).default("open"),
  limit: z.number().int().min(1).max(500).default(100),
});
export const DecisionListReplySchema = z.object({ decisions: z.array(DecisionSchema) });

/** A person's decision; applied by the held commands themselves when they are next looked at. */
export const DecisionDecideRequestSchema = z
  .object({
    id: z.number().int().positive(),
    action: DecisionActionSchema,
    candidateId: z.string().min(1).max(64).optional().describe("Required for link: one of the decision's candidates"),
    actor: z.string().min(1).max(100).describe("Who decided (a token's or user's name), for the audit trail"),
  })
  .refine((r) => r.action !== "link" || r.candidateId !== undefined, { message: "link needs candidateId", path: ["candidateId"] });
export type DecisionDecideRequest = z.infer<typeof DecisionDecideRequestSchema>;
export const DecisionDecideReplySchema = z.object({ decision: DecisionSchema });

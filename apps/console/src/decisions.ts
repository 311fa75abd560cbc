import { z } from "zod";
import { DecisionActionSchema } from "@concord/contracts";
import type { DecisionClient } from "@concord/bus";

/** The console's view of decisions: mapping keeps them; the console lists and decides (audited in app.ts). */
export type Decisions = DecisionClient;

export const DecisionsQuerySchema = z.strictObject({
  status: z.enum(["open", "decided", "superseded", "all"]).default("open"),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

export const DecideBodySchema = z
  .strictObject({
    action: DecisionActionSchema,
    candidate: z.string().min(1).max(64).optional().describe("link: the chosen candidate's id"),
    reason: z.string().max(500).optional().describe("why (kept in the audit trail)"),
  })
  .refine((b) => b.action !== "link" || b.candidate !== undefined, { message: "link needs candidate: the id of one of the decision's candidates", path: ["candidate"] })
  .refine((b) => b.action === "link" || b.candidate === undefined, { message: "candidate is only for link", path: ["candidate"] });

import type { NatsConnection } from "@nats-io/nats-core";
import { DecisionDecideReplySchema, DecisionListReplySchema, type DecisionDecideRequest, type Subjects } from "@concord/contracts";
import { requestRpc } from "./rpc";

/** Typed client of mapping's decisions (people list the ambiguous matches and decide them). */
export function createDecisionClient(nc: NatsConnection, subjects: Subjects, timeoutMs = 10_000) {
  return {
    list: (status: "open" | "decided" | "superseded" | "all", limit = 100) => requestRpc(nc, subjects.rpc.decisionList, { status, limit }, DecisionListReplySchema, timeoutMs),
    decide: (request: DecisionDecideRequest) => requestRpc(nc, subjects.rpc.decisionDecide, request, DecisionDecideReplySchema, timeoutMs),
  };
}
export type DecisionClient = ReturnType<typeof createDecisionClient>;

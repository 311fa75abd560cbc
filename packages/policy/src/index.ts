export { loadPolicy, parsePolicy, defaultPolicyPath, PolicyError, formatProblem } from "./parse-policy";
export { masterOf } from "./ownership";
export { stageToStatus, statusToStage } from "./status-map";
export { customerKind, normaliseEmail, normalisePhone, lookupsFor, matchRequest, customerSummary, decideMatch, matchedBy, candidateStanding, linkedToOf, CLAIM_WAIT_MS } from "./matching";
export type { CustomerKind, CustomerKeys, MatchKey, KeyLookup, Found, MatchDecision, CandidateStanding } from "./matching";
export {
  policySchema,
  ONEC_STATUSES,
  ORDER_FIELDS,
  CUSTOMER_FIELDS,
  FIELD_MAP_KEYS,
  STAGE_ID_PATTERN,
  hasPipelinePrefix,
  stripPipelinePrefix,
} from "./schema";

export type { PolicyProblem } from "./parse-policy";
export type { PolicyEntity } from "./ownership";
export type { Policy, SyncStatusSettings, Matching, OnecOrderDefaults, Master, FieldOwner, PostingSwitch, OnecStatus, OrderField, CustomerField } from "./schema";

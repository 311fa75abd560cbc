export { SystemSchema, EntitySchema, RecordRefSchema, formatRef } from "./systems";
export type { System, Entity, RecordRef } from "./systems";
export {
  RoleSchema,
  roleAllows,
  CONSOLE_USER_NAME,
  CONSOLE_PASSWORD_COST,
  AuditActionSchema,
  AuditEntrySchema,
  AuditRecordRequestSchema,
  AuditRecordReplySchema,
  AuditListRequestSchema,
  AuditListReplySchema,
} from "./access";
export type { Role, AuditAction, AuditEntry, AuditRecordRequest, AuditListRequest, AuditListReply } from "./access";
export { ONEC_REF_KEY, BITRIX24_ID, entitiesOf, recordIdProblem, isValidRecordId, checkRecordId } from "./record-ids";
export { createSubjects } from "./subjects";
export type { Subjects } from "./subjects";
export { Headers } from "./headers";
export { SchemaVersions } from "./versions";
export { InstantSchema, MoneySchema, QuantitySchema, toMoney } from "./codecs";
export { ChangeEventSchema, recheckEvent } from "./events";
export type { ChangeEvent } from "./events";
export {
  CrmCustomerSchema,
  CrmDealRowSchema,
  DealSnapshotSchema,
  MissingSnapshotSchema,
  DealSnapshotReplySchema,
  SnapshotRequestSchema,
  CrmCustomerSnapshotSchema,
  CrmCustomerSnapshotReplySchema,
} from "./snapshots";
export type { CrmCustomer, CrmDealRow, DealSnapshot, DealSnapshotReply, SnapshotRequest, CrmCustomerSnapshot } from "./snapshots";
export {
  SourceVersionSchema,
  OnecCounterpartyUpsertSchema,
  OnecOrderLineSchema,
  OnecOrderHeaderSchema,
  DecidedAgainstSchema,
  OnecOrderUpsertSchema,
  OnecCommandSchema,
  CrmDealLinkSchema,
  CrmCommandSchema,
  CrmDealUpdateSchema,
  CrmCustomerUpsertSchema,
  CrmProductUpsertSchema,
  CrmDealCreateSchema,
  CrmDealCompensateSchema,
  CrmDealSyncStatusSchema,
  OnecOrderDeleteSchema,
  compareSourceVersions,
  ONEC_ORIGINATOR_ID,
  ONEC_MARKER_PROPERTY,
  MatchSchema,
} from "./commands";
export type {
  MatchRequest,
  SourceVersion,
  OnecCounterpartyUpsert,
  OnecOrderLine,
  OnecOrderHeader,
  OnecOrderUpsert,
  OnecCommand,
  CrmDealLink,
  CrmCommand,
  CrmDealUpdate,
  CrmCustomerUpsert,
  CrmProductUpsert,
  CrmDealCreate,
  CrmDealCompensate,
  CrmDealSyncStatus,
  OnecOrderDelete,
} from "./commands";
export {
  OnecCounterpartySchema,
  OnecProductSchema,
  OnecOrderSnapshotSchema,
  OnecSnapshotRequestSchema,
  OnecCounterpartySnapshotSchema,
  OnecSnapshotReplySchema,
} from "./onec-snapshots";
export type { OnecCounterparty, OnecProduct, OnecOrderSnapshot, OnecSnapshotRequest, OnecSnapshotReply } from "./onec-snapshots";
export {
  FLOW_NAMES,
  FlowNameSchema,
  FlowModeSchema,
  FlowModeRecordSchema,
  DryRunMarkSchema,
  ExchangeEntrySchema,
  ExchangeListRequestSchema,
  ExchangeListReplySchema,
  flowModeKey,
  flowOrigins,
  replayChangeEvent,
  actionOfChangeId,
  describeWouldBeWrite,
} from "./flows";
export type { FlowName, FlowMode, FlowModeRecord, DryRunMark, ExchangeEntry, ExchangeListRequest, ExchangeListReply } from "./flows";
export { OutcomeSchema, OutcomeResultSchema } from "./outcomes";
export type { Outcome, OutcomeResult } from "./outcomes";
export {
  MappingSchema,
  ResolveRequestSchema,
  ResolveReplySchema,
  ClaimRequestSchema,
  ClaimReplySchema,
  ConfirmRequestSchema,
  ConfirmReplySchema,
  LeaseRequestSchema,
  LeaseReplySchema,
  ReleaseRequestSchema,
  ReleaseReplySchema,
  SyncStateSchema,
  SyncStateGetRequestSchema,
  SyncStateGetReplySchema,
  SyncStateRecordRequestSchema,
  SyncStateRecordReplySchema,
  RpcErrorSchema,
  rpcReply,
  MarkDeletedRequestSchema,
  CreateAttemptRequestSchema,
  ReviveRequestSchema,
  ReviveReplySchema,
  CreateAttemptReplySchema,
  MarkDeletedReplySchema,
  ConflictSchema,
  ConflictsRecordRequestSchema,
  ConflictsRecordReplySchema,
  idOn,
  linkedToExisting,
} from "./mapping";
export type { Mapping, ResolveRequest, ClaimRequest, ClaimReply, ConfirmRequest, LeaseRequest, LeaseReply, SyncState, Conflict } from "./mapping";
export { DeadLetterSchema } from "./dead-letters";
export type { DeadLetter } from "./dead-letters";
export {
  DeadLetterStatusSchema,
  DeadLetterRecordSchema,
  DlqFilterSchema,
  DlqListRequestSchema,
  DlqListReplySchema,
  DlqGetRequestSchema,
  DlqGetReplySchema,
  DlqMarkRequestSchema,
  DlqMarkReplySchema,
  ResyncRequestSchema,
  resyncEntities,
  isResyncable,
  retryMessageId,
  manualChangeEvent,
  describeDeadLetter,
} from "./dead-letter-operations";
export type {
  DeadLetterStatus,
  DeadLetterRecord,
  DlqFilter,
  DlqListRequest,
  DlqListReply,
  DlqGetReply,
  DlqMarkRequest,
  DlqMarkReply,
  ResyncRequest,
  DeadLetterSubjectInfo,
} from "./dead-letter-operations";
export { SyncError, HeldForDecision, retryable, permanent, isSyncError, isHeld, parseRetryAfter } from "./errors";
export {
  CandidateSchema,
  DecisionActionSchema,
  DecisionSchema,
  DecisionOpenRequestSchema,
  DecisionOpenReplySchema,
  DecisionListRequestSchema,
  DecisionListReplySchema,
  DecisionDecideRequestSchema,
  DecisionDecideReplySchema,
} from "./decisions";
export type { Candidate, DecisionAction, Decision, DecisionDecideRequest } from "./decisions";
export {
  RECONCILE_SCHEDULE_KEY,
  DriftFieldSchema,
  DriftSchema,
  ReconcileEntitySchema,
  ReconcileReportSchema,
  ReconcileRunSchema,
  ReconcileRunsReplySchema,
  ReconcileRunsRequestSchema,
  ReconcileScheduleRecordSchema,
  ReconcileTriggerSchema,
} from "./reconcile";
export type { Drift, DriftField, ReconcileEntity, ReconcileReport, ReconcileRun, ReconcileRunsReply, ReconcileRunsRequest, ReconcileScheduleRecord, ReconcileTrigger } from "./reconcile";
export type { FailureKind, FailureClass, SyncErrorOptions } from "./errors";
export { changeEventId, commandId, commandContentHash, crmCommandId, outcomeId } from "./dedupe";
export { stableStringify, contentHash } from "./stable-hash";
export { Bitrix24EventNames, Bitrix24EventPayloadSchema, OnecObjects, OnecNotificationSchema } from "./inbound";
export type { Bitrix24EventName, Bitrix24EventPayload, OnecObject, OnecNotification } from "./inbound";
export { withCallRetry, defaultCallRetry } from "./call-retry";
export type { CallRetryOptions } from "./call-retry";
export { decideWrite, SyncMeta, recordedAfterWrite } from "./write-decision";
export type { PairWriteState, WriteDecision } from "./write-decision";
export { VAT_RATES, vatPercent } from "./vat";
export type { VatRate } from "./vat";
export { ErrorCatalog, catalogEntry, classifyError, isCatalogued } from "./error-catalog";
export type { ErrorCode, ErrorEntry, ErrorKind, ErrorScope, CircuitTrip } from "./error-catalog";
export type { AlertView } from "./alerts";

import { z } from "zod";
import { ChangeEventSchema } from "./events";
import { CrmCustomerSnapshotReplySchema, DealSnapshotReplySchema, SnapshotRequestSchema } from "./snapshots";
import { CrmDealCompensateSchema, CrmDealSyncStatusSchema, CrmCustomerUpsertSchema, CrmDealCreateSchema, CrmProductUpsertSchema, CrmDealLinkSchema, CrmDealUpdateSchema, OnecCounterpartyUpsertSchema, OnecOrderDeleteSchema, OnecOrderUpsertSchema } from "./commands";
import { OnecSnapshotReplySchema, OnecSnapshotRequestSchema } from "./onec-snapshots";
import { OutcomeSchema } from "./outcomes";
import {
  ClaimReplySchema,
  ClaimRequestSchema,
  ConfirmReplySchema,
  ConfirmRequestSchema,
  LeaseReplySchema,
  LeaseRequestSchema,
  ReleaseReplySchema,
  ReleaseRequestSchema,
  ResolveReplySchema,
  ResolveRequestSchema,
  MarkDeletedRequestSchema,
  MarkDeletedReplySchema,
  ConflictsRecordRequestSchema,
  ConflictsRecordReplySchema,
  SyncStateGetReplySchema,
  SyncStateGetRequestSchema,
  SyncStateRecordReplySchema,
  SyncStateRecordRequestSchema,
} from "./mapping";
import { DeadLetterSchema } from "./dead-letters";
import { DlqGetReplySchema, DlqGetRequestSchema, DlqListReplySchema, DlqListRequestSchema, DlqMarkReplySchema, DlqMarkRequestSchema } from "./dead-letter-operations";
import { Bitrix24EventPayloadSchema, OnecNotificationSchema } from "./inbound";
import { ExchangeListReplySchema, ExchangeListRequestSchema, FlowModeRecordSchema } from "./flows";
import { ReconcileRunsReplySchema, ReconcileRunsRequestSchema, ReconcileScheduleRecordSchema } from "./reconcile";

/** Every message that crosses a process boundary, by the file name of its JSON Schema. */
export const protocolSchemas: Record<string, z.ZodType> = {
  "change-event": ChangeEventSchema,
  "snapshot-request": SnapshotRequestSchema,
  "deal-snapshot-reply": DealSnapshotReplySchema,
  "customer-snapshot-reply": CrmCustomerSnapshotReplySchema,
  "onec-counterparty-upsert": OnecCounterpartyUpsertSchema,
  "onec-order-upsert": OnecOrderUpsertSchema,
  "bitrix24-deal-link": CrmDealLinkSchema,
  "bitrix24-deal-update": CrmDealUpdateSchema,
  "bitrix24-deal-create": CrmDealCreateSchema,
  "bitrix24-deal-compensate": CrmDealCompensateSchema,
  "bitrix24-deal-status": CrmDealSyncStatusSchema,
  "bitrix24-customer-upsert": CrmCustomerUpsertSchema,
  "bitrix24-product-upsert": CrmProductUpsertSchema,
  "onec-order-delete": OnecOrderDeleteSchema,
  "onec-snapshot-request": OnecSnapshotRequestSchema,
  "onec-snapshot-reply": OnecSnapshotReplySchema,
  "mapping-mark-deleted-request": MarkDeletedRequestSchema,
  "mapping-mark-deleted-reply": MarkDeletedReplySchema,
  "conflicts-record-request": ConflictsRecordRequestSchema,
  "conflicts-record-reply": ConflictsRecordReplySchema,
  outcome: OutcomeSchema,
  "dead-letter": DeadLetterSchema,
  "dlq-list-request": DlqListRequestSchema,
  "dlq-list-reply": DlqListReplySchema,
  "dlq-get-request": DlqGetRequestSchema,
  "dlq-get-reply": DlqGetReplySchema,
  "dlq-mark-request": DlqMarkRequestSchema,
  "dlq-mark-reply": DlqMarkReplySchema,
  "mapping-resolve-request": ResolveRequestSchema,
  "mapping-resolve-reply": ResolveReplySchema,
  "mapping-claim-request": ClaimRequestSchema,
  "mapping-claim-reply": ClaimReplySchema,
  "mapping-confirm-request": ConfirmRequestSchema,
  "mapping-confirm-reply": ConfirmReplySchema,
  "mapping-lease-request": LeaseRequestSchema,
  "mapping-lease-reply": LeaseReplySchema,
  "mapping-release-request": ReleaseRequestSchema,
  "mapping-release-reply": ReleaseReplySchema,
  "sync-state-get-request": SyncStateGetRequestSchema,
  "sync-state-get-reply": SyncStateGetReplySchema,
  "sync-state-record-request": SyncStateRecordRequestSchema,
  "sync-state-record-reply": SyncStateRecordReplySchema,
  "inbound-bitrix24-event": Bitrix24EventPayloadSchema,
  "inbound-onec-notification": OnecNotificationSchema,
  "exchange-list-request": ExchangeListRequestSchema,
  "exchange-list-reply": ExchangeListReplySchema,
  "flow-mode-record": FlowModeRecordSchema,
  "reconcile-runs-request": ReconcileRunsRequestSchema,
  "reconcile-runs-reply": ReconcileRunsReplySchema,
  "reconcile-schedule-record": ReconcileScheduleRecordSchema,
};

/** JSON Schema text of each protocol message, as committed in docs/protocol/. */
export function renderProtocolSchemas(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, schema] of Object.entries(protocolSchemas)) {
    const json = z.toJSONSchema(schema, { io: "input", unrepresentable: "any" });
    out[`${name}.schema.json`] = `${JSON.stringify(json, null, 2)}\n`;
  }
  return out;
}

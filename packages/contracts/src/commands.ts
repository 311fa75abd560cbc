import { z } from "zod";
import { InstantSchema, MoneySchema, QuantitySchema } from "./codecs";
import { RecordRefSchema } from "./systems";
import { DryRunMarkSchema } from "./flows";

/**
 * Version of the source state a command was built from. The source's own modification time
 * orders changes; the read time breaks ties within one second (a later read sees a later state).
 */
export const SourceVersionSchema = z.object({
  modifiedAt: z.string().describe("Source modification time as the source sent it (DATE_MODIFY, Date)"),
  fetchedAt: InstantSchema.describe("When Concord read the source record"),
});
export type SourceVersion = z.infer<typeof SourceVersionSchema>;

/**
 * The 1C state a decision was made against. The writer re-reads `DataVersion` right before it
 * writes; when 1C moved on meanwhile, it does not write and the pair is decided again.
 */
export const DecidedAgainstSchema = z.object({
  dataVersion: z.string().min(1).describe("DataVersion of the 1C record the resolver read"),
});

/**
 * Business-key lookups a writer runs before it creates a customer (decided by the resolver
 * from the policy): each key with the values to look for, normalised and as the source holds
 * them, since the target compares exactly. Absent: only Concord's own marker links.
 */
export const MatchSchema = z
  .object({
    summary: z.string().max(500).describe("The source record as a person recognises it (shown in a decision)"),
    lookups: z
      .array(z.object({ key: z.enum(["innKpp", "inn", "email", "phone"]), value: z.string().min(1).max(200), variants: z.array(z.string().min(1).max(200)).max(4) }))
      .max(8),
  })
  .describe("Business keys to look for before a create");
export type MatchRequest = z.infer<typeof MatchSchema>;

const commandBase = {
  v: z.literal(1).describe("Schema version"),
  source: RecordRefSchema.describe("The record this command mirrors"),
  sourceVersion: SourceVersionSchema,
  issuedAt: InstantSchema.describe("When the resolver issued the command"),
  dryRun: DryRunMarkSchema.optional().describe("Decided in dry-run: the writer reports what it would write and writes nothing"),
};

/** Create or update the 1C counterparty (and its UT 11 partner) that mirrors a CRM company or contact. */
export const OnecCounterpartyUpsertSchema = z.object({
  ...commandBase,
  type: z.literal("onec.counterparty.upsert"),
  counterparty: z.object({
    name: z.string().min(1).describe("Description (short name)"),
    kind: z.string().min(1).describe("ЮрФизЛицо: company → ЮрЛицо, contact → ФизЛицо (a 1C value such as ИндивидуальныйПредприниматель is kept)"),
    email: z.string().nullable().describe("E-mail for КонтактнаяИнформация"),
    phone: z.string().nullable().describe("Phone for КонтактнаяИнформация"),
    inn: z.string().nullable().optional().describe("ИНН to write; null/absent leaves 1C's value (1C owns it by default)"),
    kpp: z.string().nullable().optional().describe("КПП to write; null/absent leaves 1C's value"),
  }),
  decidedAgainst: DecidedAgainstSchema.optional(),
  contentHash: z.string().describe("Hash of the projected fields: equal hashes mean nothing to write"),
  syncView: z.record(z.string(), z.unknown()).optional().describe("The counterparty's view after the write (recorded as sync state)"),
  match: MatchSchema.nullable().optional(),
});
export type OnecCounterpartyUpsert = z.infer<typeof OnecCounterpartyUpsertSchema>;

export const OnecOrderLineSchema = z.object({
  lineNumber: z.number().int().positive().describe("Position among the deal's rows, 1-based (1C renumbers its rows itself)"),
  sku: z.string().min(1).describe("Article (Артикул) that identifies the Catalog_Номенклатура item"),
  name: z.string().describe("Product name as the CRM shows it (for messages)"),
  quantity: QuantitySchema,
  price: MoneySchema.describe("What the customer pays per unit, discount and VAT included (Bitrix24 PRICE)"),
  listPrice: MoneySchema.optional().describe("Per unit before the discount, VAT included (Bitrix24 PRICE_BRUTTO); absent = price"),
  vatRate: z.string().nullable().optional().describe("СтавкаНДС from the row's tax rate; null/absent = the install's default rate"),
  sum: MoneySchema.describe("What the customer pays for the row: price × quantity"),
});
export type OnecOrderLine = z.infer<typeof OnecOrderLineSchema>;

/**
 * What UT 11 needs on an order it is to post, which its form fills for a person and a program
 * must send (policy `onecOrder`). Written when Concord creates an order, never on an update:
 * after that they are the 1C manager's.
 */
export const OnecOrderHeaderSchema = z.object({
  organisation: z.string().describe("Организация_Key"),
  agreement: z.string().describe("Соглашение_Key (the agreement that sets price type and terms)"),
  warehouse: z.string().describe("Склад_Key"),
  currency: z.string().describe("Валюта_Key"),
  businessOperation: z.string().describe("ХозяйственнаяОперация, e.g. РеализацияКлиенту"),
  vatRate: z.string().describe("СтавкаНДС for rows whose CRM row has no tax rate"),
  pricesIncludeVat: z.boolean().describe("ЦенаВключаетНДС"),
});
export type OnecOrderHeader = z.infer<typeof OnecOrderHeaderSchema>;


/** Create or update the 1C customer order (Document_ЗаказКлиента) that mirrors a CRM deal. */
export const OnecOrderUpsertSchema = z.object({
  ...commandBase,
  type: z.literal("onec.order.upsert"),
  customer: RecordRefSchema.describe("CRM company/contact whose counterparty the order needs"),
  order: z.object({
    status: z.string().min(1).describe("Статус value from the status map"),
    currency: z.string().describe("CURRENCY_ID of the deal"),
    amount: MoneySchema.describe("Deal amount; 1C recomputes СуммаДокумента from lines"),
    comment: z.string().describe("Комментарий: the deal title"),
    header: OnecOrderHeaderSchema.optional().describe("Defaults a new order needs to post; absent leaves 1C's"),
  }),
  lines: z.array(OnecOrderLineSchema).min(1).describe("The deal's rows; merged into Товары row by row (product + occurrence)"),
  write: z
    .array(z.enum(["status", "title", "customer", "lines"]))
    .optional()
    .describe("On an update, the owned fields to write (absent: all owned fields); nothing else is sent"),
  decidedAgainst: DecidedAgainstSchema.optional(),
  undelete: z.boolean().optional().describe("The deal was restored: remove the deletion mark Concord set on the order"),
  contentHash: z.string().describe("Hash of the projected fields: equal hashes mean nothing to write"),
  syncView: z.record(z.string(), z.unknown()).optional().describe("The order's view after the write (recorded as sync state)"),
});
export type OnecOrderUpsert = z.infer<typeof OnecOrderUpsertSchema>;

/**
 * Ref_Key of the additional-attribute property (ChartOfCharacteristicTypes_ДополнительныеРеквизитыИСведения)
 * that the `docs/1c` extension creates: where Concord keeps the inverse id of the counterparties
 * and partners it creates in 1C (`concord:bitrix24:<entity>:<id>`), away from fields people write in.
 */
export const ONEC_MARKER_PROPERTY = "b94649a0-c9f5-4140-8c39-a65bf38c7d6a";

/** ORIGINATOR_ID written on deals linked to 1C: names the external system the deal mirrors. */
export const ONEC_ORIGINATOR_ID = "1C";

/** Write the 1C Ref_Key back on the deal (ORIGINATOR_ID / ORIGIN_ID), the inverse id. */
export const CrmDealLinkSchema = z.object({
  v: z.literal(1),
  type: z.literal("bitrix24.deal.link"),
  dealId: z.string().min(1).describe("Bitrix24 deal ID"),
  originatorId: z.string().min(1).describe("External system id written to ORIGINATOR_ID"),
  originId: z.string().min(1).describe("1C Ref_Key written to ORIGIN_ID"),
  issuedAt: InstantSchema,
  dryRun: DryRunMarkSchema.optional().describe("Decided in dry-run: reported, not written"),
});
export type CrmDealLink = z.infer<typeof CrmDealLinkSchema>;

/** What a deleted deal does to its 1C order (policy `deletes.crmDeal`). */
export const OnecOrderDeleteSchema = z.object({
  ...commandBase,
  type: z.literal("onec.order.delete"),
  mode: z.enum(["deletionMark", "cancelStatus"]).describe("deletionMark (unposting first) or setting a cancel status"),
  status: z.string().nullable().describe("The cancel Статус when mode is cancelStatus"),
  contentHash: z.string(),
});
export type OnecOrderDelete = z.infer<typeof OnecOrderDeleteSchema>;

export const OnecCommandSchema = z.discriminatedUnion("type", [OnecCounterpartyUpsertSchema, OnecOrderUpsertSchema, OnecOrderDeleteSchema]);
export type OnecCommand = z.infer<typeof OnecCommandSchema>;
/**
 * Update a mapped deal with values 1C owns (stage through the status map, number, posting,
 * payment and shipment state). `syncView` is the deal as it will be after the write: the writer
 * records it as the pair's sync state, so our own write comes back as an echo.
 */
export const CrmDealUpdateSchema = z.object({
  ...commandBase,
  type: z.literal("bitrix24.deal.update"),
  dealId: z.string().min(1),
  fields: z.record(z.string(), z.string()).describe("Bitrix24 deal fields to set (STAGE_ID, TITLE, UF_CRM_*)"),
  rows: z
    .array(z.object({ product: RecordRefSchema, name: z.string(), price: MoneySchema, quantity: QuantitySchema }))
    .nullable()
    .default(null)
    .describe("When 1C owns the lines: the deal's rows, whole, by 1C product (mapped to CRM products)"),
  syncView: z.record(z.string(), z.unknown()).describe("The deal's order view after the write"),
  markMappingDeleted: z.boolean().describe("The 1C order was deleted: soft-delete the mapping after the write"),
  contentHash: z.string(),
});
export type CrmDealUpdate = z.infer<typeof CrmDealUpdateSchema>;

/** Create or update the CRM company (or contact, for a private person) mirroring a 1C counterparty. */
export const CrmCustomerUpsertSchema = z.object({
  ...commandBase,
  type: z.literal("bitrix24.customer.upsert"),
  entity: z.enum(["company", "contact"]).describe("contact for a private person (ФизЛицо), else company"),
  fields: z.record(z.string(), z.unknown()).describe("Company/contact fields to set (TITLE or NAME, EMAIL, PHONE)"),
  requisite: z.object({ inn: z.string(), kpp: z.string() }).nullable().describe("INN/KPP, kept in a requisite"),
  syncView: z.record(z.string(), z.unknown()).optional().describe("The customer's view after the write (recorded as sync state)"),
  contentHash: z.string(),
  match: MatchSchema.nullable().optional(),
});
export type CrmCustomerUpsert = z.infer<typeof CrmCustomerUpsertSchema>;

/** Create the CRM product mirroring a 1C product (1C is the products' master). */
export const CrmProductUpsertSchema = z.object({
  ...commandBase,
  type: z.literal("bitrix24.product.upsert"),
  name: z.string().min(1),
  sku: z.string().min(1).describe("Артикул, kept in the product's SKU field"),
  contentHash: z.string(),
});
export type CrmProductUpsert = z.infer<typeof CrmProductUpsertSchema>;

/** Create the deal mirroring an order a manager created in 1C. */
export const CrmDealCreateSchema = z.object({
  ...commandBase,
  type: z.literal("bitrix24.deal.create"),
  customer: RecordRefSchema.describe("The 1C counterparty; its CRM company/contact must exist first"),
  fields: z.record(z.string(), z.string()).describe("TITLE, STAGE_ID, UF_CRM_* values"),
  rows: z.array(z.object({ product: RecordRefSchema, name: z.string(), price: MoneySchema, quantity: QuantitySchema })).min(1),
  syncView: z.record(z.string(), z.unknown()),
  contentHash: z.string(),
  syncStatus: z
    .object({ field: z.string().regex(/^UF_CRM_[A-Z0-9_]+$/), text: z.string().min(1).max(255) })
    .optional()
    .describe("The deal's sync status, set at creation (policy syncStatus): a deal born in 1C shows its order number at once"),
});
export type CrmDealCreate = z.infer<typeof CrmDealCreateSchema>;

/**
 * Saga compensation: 1C refused for good the order a deal's stage needs, so the deal goes back
 * to its previous stage and its timeline says why. Applied only while the deal is still in the
 * failed stage (a person may have moved it on meanwhile).
 */
export const CrmDealCompensateSchema = z.object({
  v: z.literal(1),
  type: z.literal("bitrix24.deal.compensate"),
  dealId: z.string().min(1),
  failedStage: z.string().describe("The stage whose 1C order was refused"),
  revertTo: z.string().describe("The stage to return to"),
  comment: z.string().describe("Timeline comment for the people working the deal"),
  failedMessageId: z.string().describe("The dead-lettered command"),
  issuedAt: InstantSchema,
});
export type CrmDealCompensate = z.infer<typeof CrmDealCompensateSchema>;

/**
 * The deal's sync status where sales people look (policy `syncStatus`): a user field holding the
 * state in words, and a timeline comment when an exchange fails for good or recovers. Decided by
 * the resolver from outcomes, written by crm-writer; never a change to sync back (the resolver's
 * order views do not read this field).
 */
export const CrmDealSyncStatusSchema = z.object({
  v: z.literal(1),
  type: z.literal("bitrix24.deal.status"),
  dealId: z.string().min(1),
  field: z.string().regex(/^UF_CRM_[A-Z0-9_]+$/).describe("The deal user field that shows the status"),
  text: z.string().min(1).max(255).describe("The status in words, e.g. '1C: order 0000-000123'"),
  comment: z.string().max(2000).nullable().describe("Timeline comment to add (a failure for good, or its recovery); null: none"),
  at: InstantSchema.describe("When the fact behind the status happened (its outcome's time): an older status never overwrites a newer one"),
  cause: z.string().min(1).max(500).describe("Dedupe id of the outcome that changed the status"),
  issuedAt: InstantSchema,
});
export type CrmDealSyncStatus = z.infer<typeof CrmDealSyncStatusSchema>;

export const CrmCommandSchema = z.discriminatedUnion("type", [
  CrmDealLinkSchema,
  CrmDealUpdateSchema,
  CrmCustomerUpsertSchema,
  CrmProductUpsertSchema,
  CrmDealCreateSchema,
  CrmDealCompensateSchema,
  CrmDealSyncStatusSchema,
]);
export type CrmCommand = z.infer<typeof CrmCommandSchema>;

/** Orders two source versions: by the source's modification time, then by read time. */
export function compareSourceVersions(a: SourceVersion, b: SourceVersion): number {
  const byModified = Date.parse(a.modifiedAt) - Date.parse(b.modifiedAt);
  if (byModified !== 0 && Number.isFinite(byModified)) return Math.sign(byModified);
  return Math.sign(Date.parse(a.fetchedAt) - Date.parse(b.fetchedAt));
}

import { z } from "zod";
import { InstantSchema, MoneySchema, QuantitySchema } from "./codecs";

/** A Bitrix24 company or contact, reduced to what a 1C counterparty needs. */
export const CrmCustomerSchema = z.object({
  kind: z.enum(["company", "contact"]).describe("Bitrix24 entity the customer is"),
  id: z.string().min(1).describe("Bitrix24 ID"),
  name: z.string().describe("Company TITLE, or the contact's full name"),
  email: z.string().nullable().describe("First e-mail, if any"),
  phone: z.string().nullable().describe("First phone, if any"),
  modifiedAt: z.string().nullable().describe("DATE_MODIFY as Bitrix24 sent it"),
  originatorId: z.string().nullable().optional().describe("ORIGINATOR_ID: the external system the record mirrors (1C)"),
  originId: z.string().nullable().optional().describe("ORIGIN_ID: the mirrored record's id there (a 1C Ref_Key)"),
});
export type CrmCustomer = z.infer<typeof CrmCustomerSchema>;

/** One product row of a deal, with the product's SKU looked up from the CRM catalogue. */
export const CrmDealRowSchema = z.object({
  productId: z.string().describe("PRODUCT_ID (\"0\" for a free-text row)"),
  name: z.string().describe("PRODUCT_NAME"),
  sku: z.string().nullable().describe("The product's article (SKU) in the CRM catalogue; null for free rows"),
  price: MoneySchema.describe("PRICE per unit: what the customer pays, discount and tax included"),
  quantity: QuantitySchema.describe("QUANTITY"),
  listPrice: MoneySchema.optional().describe("PRICE_BRUTTO: per unit before the discount, tax included; absent = price"),
  taxRate: z.number().nullable().optional().describe("TAX_RATE in percent; null when the row has no tax"),
});
export type CrmDealRow = z.infer<typeof CrmDealRowSchema>;

/** The current state of a deal, read by crm-writer when the resolver asks. */
export const DealSnapshotSchema = z.object({
  v: z.literal(1).describe("Schema version"),
  type: z.literal("deal-snapshot").describe("Message type"),
  found: z.literal(true).describe("The deal exists"),
  deal: z.object({
    id: z.string().describe("Deal ID"),
    title: z.string().describe("TITLE"),
    stageId: z.string().describe("STAGE_ID incl. pipeline prefix, e.g. C1:NEW"),
    currency: z.string().describe("CURRENCY_ID"),
    amount: MoneySchema.describe("OPPORTUNITY"),
    comments: z.string().nullable().describe("COMMENTS"),
    companyId: z.string().nullable().describe("COMPANY_ID, null when 0 or empty"),
    contactId: z.string().nullable().describe("CONTACT_ID, null when 0 or empty"),
    originatorId: z.string().nullable().describe("ORIGINATOR_ID: the external system the deal is linked to"),
    originId: z.string().nullable().describe("ORIGIN_ID: the linked 1C Ref_Key"),
    modifiedAt: z.string().describe("DATE_MODIFY"),
    categoryId: z.string().default("0").describe("CATEGORY_ID: the pipeline, 0 = default"),
    userFields: z.record(z.string(), z.string().nullable()).default({}).describe("UF_CRM_* values as text (where 1C-owned values live)"),
  }),
  rows: z.array(CrmDealRowSchema).describe("Product rows in order"),
  customer: CrmCustomerSchema.nullable().describe("Company if set, else the contact, else null"),
  fetchedAt: InstantSchema.describe("When crm-writer read the deal: later reads reflect later states"),
});
export type DealSnapshot = z.infer<typeof DealSnapshotSchema>;

/** Reply when the deal does not exist (deleted). */
export const MissingSnapshotSchema = z.object({
  v: z.literal(1),
  type: z.literal("deal-snapshot"),
  found: z.literal(false).describe("The deal no longer exists"),
  fetchedAt: InstantSchema,
});

export const DealSnapshotReplySchema = z.discriminatedUnion("found", [DealSnapshotSchema, MissingSnapshotSchema]);
export type DealSnapshotReply = z.infer<typeof DealSnapshotReplySchema>;

/** Request for the current state of a CRM record. */
export const SnapshotRequestSchema = z.object({
  v: z.literal(1),
  type: z.literal("snapshot-request"),
  entity: z.enum(["deal", "company", "contact"]).describe("Record kind to read"),
  id: z.string().min(1).describe("Bitrix24 ID"),
});
export type SnapshotRequest = z.infer<typeof SnapshotRequestSchema>;

/** A CRM company or contact as the customer reconcile needs it (INN/KPP from its requisite). */
export const CrmCustomerSnapshotSchema = z.object({
  v: z.literal(1),
  type: z.literal("customer-snapshot"),
  found: z.literal(true),
  customer: CrmCustomerSchema.extend({
    inn: z.string().describe("RQ_INN of the first requisite, empty when none"),
    kpp: z.string().describe("RQ_KPP of the first requisite, empty when none"),
  }),
  fetchedAt: InstantSchema,
});
export type CrmCustomerSnapshot = z.infer<typeof CrmCustomerSnapshotSchema>;
export const CrmCustomerSnapshotReplySchema = z.discriminatedUnion("found", [CrmCustomerSnapshotSchema, MissingSnapshotSchema.extend({ type: z.literal("customer-snapshot") })]);

import { z } from "zod";
import { InstantSchema, MoneySchema, QuantitySchema } from "./codecs";

/** A 1C counterparty as Concord reads it (Catalog_Контрагенты). */
export const OnecCounterpartySchema = z.object({
  ref: z.string().describe("Ref_Key"),
  name: z.string().describe("Description"),
  inn: z.string().describe("ИНН, empty when unknown"),
  kpp: z.string().describe("КПП, empty when unknown"),
  kind: z.string().describe("ЮрФизЛицо"),
  email: z.string().nullable().describe("E-mail from КонтактнаяИнформация"),
  phone: z.string().nullable().describe("Phone from КонтактнаяИнформация"),
  partnerRef: z.string().describe("Партнер_Key"),
  deleted: z.boolean().describe("DeletionMark"),
  concordId: z.string().nullable().describe("The inverse id Concord stored on the counterparty (its additional attribute, or the legacy Комментарий), if any"),
  dataVersion: z.string(),
});
export type OnecCounterparty = z.infer<typeof OnecCounterpartySchema>;

/** A 1C product (Catalog_Номенклатура): 1C is its master. */
export const OnecProductSchema = z.object({
  ref: z.string().describe("Ref_Key"),
  sku: z.string().describe("Артикул"),
  name: z.string().describe("Description"),
  deleted: z.boolean(),
});
export type OnecProduct = z.infer<typeof OnecProductSchema>;

export const OnecOrderLineViewSchema = z.object({
  lineNumber: z.number().int().positive(),
  product: OnecProductSchema.nullable().describe("The line's product, null for a broken reference"),
  quantity: QuantitySchema,
  price: MoneySchema.describe("Цена"),
  sum: MoneySchema.describe("Сумма (after the manual discount; VAT included only when the order's prices include it)"),
  total: MoneySchema.optional().describe("What the customer pays for the row, VAT included: Сумма, plus СуммаНДС when prices exclude VAT"),
});

/** A 1C customer order (Document_ЗаказКлиента) with its lines, products and counterparty. */
export const OnecOrderSnapshotSchema = z.object({
  v: z.literal(1),
  type: z.literal("onec-order-snapshot"),
  found: z.literal(true),
  order: z.object({
    ref: z.string(),
    number: z.string(),
    date: z.string().describe("Date, 1C local time without zone"),
    posted: z.boolean(),
    deleted: z.boolean().describe("DeletionMark"),
    status: z.string().describe("Статус"),
    comment: z.string().describe("Комментарий"),
    clientNumber: z.string().describe("НомерПоДаннымКлиента (Concord's inverse id for CRM-born orders)"),
    amount: MoneySchema.describe("СуммаДокумента"),
    paymentState: z.string().nullable(),
    shipmentState: z.string().nullable(),
    dataVersion: z.string(),
    lines: z.array(OnecOrderLineViewSchema),
  }),
  counterparty: OnecCounterpartySchema.nullable(),
  fetchedAt: InstantSchema,
});
export type OnecOrderSnapshot = z.infer<typeof OnecOrderSnapshotSchema>;

export const OnecSnapshotRequestSchema = z.object({
  v: z.literal(1),
  type: z.literal("onec-snapshot-request"),
  entity: z.enum(["order", "counterparty", "product"]),
  ref: z.string().min(1),
});
export type OnecSnapshotRequest = z.infer<typeof OnecSnapshotRequestSchema>;

export const OnecCounterpartySnapshotSchema = z.object({
  v: z.literal(1),
  type: z.literal("onec-counterparty-snapshot"),
  found: z.literal(true),
  counterparty: OnecCounterpartySchema,
  fetchedAt: InstantSchema,
});

export const OnecProductSnapshotSchema = z.object({
  v: z.literal(1),
  type: z.literal("onec-product-snapshot"),
  found: z.literal(true),
  product: OnecProductSchema,
  fetchedAt: InstantSchema,
});

const missing = z.object({ v: z.literal(1), type: z.literal("onec-missing"), found: z.literal(false), fetchedAt: InstantSchema });

export const OnecSnapshotReplySchema = z.discriminatedUnion("type", [OnecOrderSnapshotSchema, OnecCounterpartySnapshotSchema, OnecProductSnapshotSchema, missing]);
export type OnecSnapshotReply = z.infer<typeof OnecSnapshotReplySchema>;

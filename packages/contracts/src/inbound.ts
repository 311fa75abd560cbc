import { z } from "zod";
import { InstantSchema } from "./codecs";

/** Bitrix24 outbound event handlers Concord accepts, and what each means. */
export const Bitrix24EventNames = {
  ONCRMDEALADD: { entity: "deal", action: "upsert" },
  ONCRMDEALUPDATE: { entity: "deal", action: "upsert" },
  ONCRMDEALDELETE: { entity: "deal", action: "delete" },
  ONCRMCOMPANYADD: { entity: "company", action: "upsert" },
  ONCRMCOMPANYUPDATE: { entity: "company", action: "upsert" },
  ONCRMCOMPANYDELETE: { entity: "company", action: "delete" },
  ONCRMCONTACTADD: { entity: "contact", action: "upsert" },
  ONCRMCONTACTUPDATE: { entity: "contact", action: "upsert" },
  ONCRMCONTACTDELETE: { entity: "contact", action: "delete" },
} as const;
export type Bitrix24EventName = keyof typeof Bitrix24EventNames;

const eventNames = Object.keys(Bitrix24EventNames) as [Bitrix24EventName, ...Bitrix24EventName[]];

/**
 * A Bitrix24 outbound event as posted (form-encoded, parsed with bracket nesting). It carries
 * only the record id. `auth[application_token]` is checked separately, in constant time.
 */
export const Bitrix24EventPayloadSchema = z.object({
  event: z
    .string()
    .transform((s) => s.toUpperCase())
    .pipe(z.enum(eventNames))
    .describe("Event name, e.g. ONCRMDEALUPDATE"),
  event_handler_id: z.string().optional().describe("Handler binding id"),
  data: z.object({
    FIELDS: z.object({ ID: z.string().regex(/^\d{1,18}$/, "data[FIELDS][ID] must be a numeric id") }),
  }),
  ts: z.string().regex(/^\d{1,12}$/, "ts must be unix seconds").describe("When Bitrix24 queued the event"),
  auth: z.object({
    application_token: z.string().min(1).describe("Secret of the outgoing webhook"),
    domain: z.string().optional(),
    member_id: z.string().optional(),
  }),
});
export type Bitrix24EventPayload = z.infer<typeof Bitrix24EventPayloadSchema>;

/** 1C object kinds that notify, and the Concord entity each is. */
export const OnecObjects = {
  Document_ЗаказКлиента: "order",
  Catalog_Контрагенты: "counterparty",
  Catalog_Партнеры: "partner",
  Catalog_Номенклатура: "product",
} as const;
export type OnecObject = keyof typeof OnecObjects;

const onecObjects = Object.keys(OnecObjects) as [OnecObject, ...OnecObject[]];

/**
 * The notification Concord's 1C extension sends after a committed change (see docs/1c/),
 * signed with Standard Webhooks headers (webhook-id, webhook-timestamp, webhook-signature).
 */
export const OnecNotificationSchema = z.object({
  v: z.literal(1).describe("Schema version"),
  type: z.literal("onec.change"),
  object: z.enum(onecObjects).describe("Metadata object name as in OData set names"),
  ref: z
    .string()
    .regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, "ref must be a Ref_Key GUID")
    .describe("Ref_Key"),
  dataVersion: z.string().min(1).max(64).nullable().describe("DataVersion after the write; null when deleted"),
  deleted: z.boolean().describe("true for a physical delete"),
  occurredAt: InstantSchema.describe("When 1C committed the change"),
});
export type OnecNotification = z.infer<typeof OnecNotificationSchema>;

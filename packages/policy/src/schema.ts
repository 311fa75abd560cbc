import { z } from "zod";
import { FLOW_NAMES, VAT_RATES, type VatRate } from "@concord/contracts";

/** The 1C order `Статус` enum values (Документ.ЗаказКлиента, ERP / УТ 11). */
export const ONEC_STATUSES = ["НеСогласован", "Согласован", "КОбеспечению", "КОтгрузке", "Закрыт"] as const;
export type OnecStatus = (typeof ONEC_STATUSES)[number];

/** Order fields whose master can be set per field. */
export const ORDER_FIELDS = [
  "customer",
  "lines",
  "title",
  "status",
  "number",
  "posted",
  "paymentState",
  "shipmentState",
  "amount",
] as const;
export type OrderField = (typeof ORDER_FIELDS)[number];

/** Customer fields whose master can be set per field. */
export const CUSTOMER_FIELDS = ["name", "inn", "kpp", "kind", "email", "phone"] as const;
export type CustomerField = (typeof CUSTOMER_FIELDS)[number];

/** Order values that 1C owns and the deal stores in user fields. */
export const FIELD_MAP_KEYS = ["number", "posted", "paymentState", "shipmentState"] as const;

/** A Bitrix24 deal stage id: `WON` in the default pipeline, `C<N>:WON` in pipeline N. */
export const STAGE_ID_PATTERN = /^(C\d+:)?[A-Z][A-Z0-9_]*$/;
const PIPELINE_PREFIX = /^C\d+:/;

/** Custom-issue params: point the error at the map key rather than at its value. */
export const AT_KEY = { at: "key" } as const;

function quote(value: unknown): string {
  return typeof value === "string" ? `"${value}"` : JSON.stringify(value) ?? String(value);
}

/** A string enum whose error names the offending value and lists the allowed ones. */
function oneOf<const T extends readonly [string, ...string[]]>(values: T, what: string) {
  return z.enum(values, {
    error: (issue) =>
      issue.input === undefined
        ? undefined
        : `unknown ${what} ${quote(issue.input)}; expected ${values.map((v) => quote(v)).join(" | ")}`,
  });
}

const onecStatus = oneOf(ONEC_STATUSES, "1C Статус");
const stageId = z.string().regex(STAGE_ID_PATTERN, {
  error: (issue) => `invalid CRM stage id ${quote(issue.input)}; expected NAME or C<pipeline>:NAME, e.g. WON or C1:WON`,
});

/** Which system is the master. */
export const masterSchema = oneOf(["crm", "erp"], "master");
export type Master = z.infer<typeof masterSchema>;

/** A field that changes hands when 1C posts the order. */
const postingSwitch = z.strictObject({
  /** Master while the 1C order is not posted (or does not exist yet). */
  beforePosting: masterSchema,
  /** Master once the 1C order is posted (`Проведен`). */
  afterPosting: masterSchema,
});
export type PostingSwitch = z.infer<typeof postingSwitch>;

const fieldOwner = z.union([masterSchema, postingSwitch], {
  error: (issue) =>
    issue.input === undefined ? undefined : `expected crm | erp | { beforePosting, afterPosting }, got ${quote(issue.input)}`,
});
export type FieldOwner = z.infer<typeof fieldOwner>;

function fieldsOf<const T extends readonly string[], S extends z.ZodType>(names: T, owner: S) {
  const shape = Object.fromEntries(names.map((name) => [name, owner.optional()])) as {
    [K in T[number]]: z.ZodOptional<S>;
  };
  return z.strictObject(shape);
}

const flag = z.boolean().default(false);

const orderFlows = z
  .strictObject({
    /** A deal change updates the 1C order. */
    crmToErp: flag,
    /** A 1C order change updates the deal. */
    erpToCrm: flag,
    /** A 1C order with no deal creates one. */
    createInCrm: flag,
    /** A deal with no 1C order creates one. */
    createInErp: flag,
  })
  .superRefine((flows, ctx) => {
    if (flows.createInCrm && !flows.erpToCrm) {
      ctx.addIssue({
        code: "custom",
        path: ["createInCrm"],
        message: "createInCrm needs erpToCrm: true (a deal created from 1C would never be updated)",
      });
    }
    if (flows.createInErp && !flows.crmToErp) {
      ctx.addIssue({
        code: "custom",
        path: ["createInErp"],
        message: "createInErp needs crmToErp: true (a 1C order created from a deal would never be updated)",
      });
    }
  });

const flowsSchema = z.strictObject({
  order: orderFlows.prefault({}),
  customer: z
    .strictObject({
      /** A CRM company/contact change updates the 1C counterparty. */
      crmToErp: flag,
      /** A 1C counterparty change updates the CRM company/contact. */
      erpToCrm: flag,
    })
    .prefault({}),
  product: z
    .strictObject({
      /** 1C nomenclature is copied to the CRM catalog; products never flow the other way. */
      erpToCrm: flag,
    })
    .prefault({}),
  /**
   * Flows that start in dry-run: the whole path runs, writers record what they would write in
   * the exchange log and write nothing. The console API / `concord flows set` switches a flow
   * at runtime; that setting then stands over this list.
   */
  dryRun: z
    .array(oneOf(FLOW_NAMES, "flow"))
    .default([])
    .superRefine((names, ctx) => {
      names.forEach((name, i) => {
        if (names.indexOf(name) !== i) ctx.addIssue({ code: "custom", path: [i], message: `flow "${name}" is listed twice` });
      });
    }),
});

const ownershipSchema = z.strictObject({
  order: z.strictObject({
    /** Master of every order field not listed in `fields`. */
    master: masterSchema,
    fields: fieldsOf(ORDER_FIELDS, fieldOwner).prefault({}),
  }),
  customer: z.strictObject({
    master: masterSchema,
    fields: fieldsOf(CUSTOMER_FIELDS, masterSchema).prefault({}),
  }),
  product: z.strictObject({
    master: masterSchema,
  }),
});

/** Key checks still run when some values are wrong, as long as the map itself is a map. */
const keysReadable = (payload: { issues: readonly { path?: readonly PropertyKey[] }[] }) =>
  payload.issues.every((issue) => (issue.path?.length ?? 0) > 0);

/** CRM stage id → 1C Статус. Keys are checked here because zod reports a bad record key without it. */
const crmToErpSchema = z.record(z.string(), onecStatus).superRefine(
  (map, ctx) => {
    for (const key of Object.keys(map)) {
      if (!STAGE_ID_PATTERN.test(key)) {
        ctx.addIssue({
          code: "custom",
          path: [key],
          params: AT_KEY,
          message: `invalid CRM stage id ${quote(key)}; expected NAME or C<pipeline>:NAME, e.g. WON or C1:WON`,
        });
      }
    }
  },
  { when: keysReadable },
);

/** 1C Статус → CRM stage id. */
const erpToCrmSchema = z.record(z.string(), stageId).superRefine(
  (map, ctx) => {
    const known: readonly string[] = ONEC_STATUSES;
    for (const key of Object.keys(map)) {
      if (!known.includes(key)) {
        ctx.addIssue({
          code: "custom",
          path: [key],
          params: AT_KEY,
          message: `unknown 1C Статус ${quote(key)}; expected ${ONEC_STATUSES.map((v) => quote(v)).join(" | ")}`,
        });
      }
    }
  },
  { when: keysReadable },
);

const crmDealDelete = z
  .strictObject({
    /** What a deleted deal does to its 1C order. */
    erp: oneOf(["deletionMark", "cancelStatus", "none"], "delete action"),
    /** The 1C Статус to set; required with `erp: cancelStatus`, not allowed otherwise. */
    status: onecStatus.optional(),
  })
  .superRefine((rule, ctx) => {
    if (rule.erp === "cancelStatus" && rule.status === undefined) {
      ctx.addIssue({ code: "custom", path: ["erp"], message: "erp: cancelStatus needs status: <1C Статус>, e.g. status: Закрыт" });
    }
    if (rule.erp !== "cancelStatus" && rule.status !== undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["status"],
        message: `status is only used with erp: cancelStatus (erp is ${rule.erp}); remove it`,
      });
    }
  });

const erpOrderDelete = z
  .strictObject({
    /** What a deleted (or deletion-marked) 1C order does to its deal. */
    crm: oneOf(["stage", "none"], "delete action"),
    /** The CRM stage to move the deal to; required with `crm: stage`, not allowed otherwise. */
    stage: stageId.optional(),
  })
  .superRefine((rule, ctx) => {
    if (rule.crm === "stage" && rule.stage === undefined) {
      ctx.addIssue({ code: "custom", path: ["crm"], message: "crm: stage needs stage: <CRM stage id>, e.g. stage: LOSE" });
    }
    if (rule.crm !== "stage" && rule.stage !== undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["stage"],
        message: `stage is only used with crm: stage (crm is ${rule.crm}); remove it`,
      });
    }
  });

const userFieldName = z.string().regex(/^UF_CRM_[A-Z0-9_]+$/, {
  error: (issue) => `invalid deal user field ${quote(issue.input)}; expected UF_CRM_<NAME>`,
});

const fieldMapSchema = z
  .strictObject({
    /** 1C order number (`Номер`). */
    number: userFieldName,
    /** Whether the 1C order is posted (`Проведен`). */
    posted: userFieldName,
    /** 1C payment state. */
    paymentState: userFieldName,
    /** 1C shipment state. */
    shipmentState: userFieldName,
  })
  .superRefine((fieldMap, ctx) => {
    const usedBy = new Map<string, string>();
    for (const key of FIELD_MAP_KEYS) {
      const field = fieldMap[key];
      const other = usedBy.get(field);
      if (other === undefined) {
        usedBy.set(field, key);
      } else {
        ctx.addIssue({
          code: "custom",
          path: [key],
          message: `${field} is already used by fieldMap.${other}; each value needs its own deal field`,
        });
      }
    }
  });

/** A time zone the runtime knows (IANA name, e.g. Europe/Moscow). */
const timeZone = z.string().refine(
  (zone) => {
    try {
      new Intl.DateTimeFormat("en", { timeZone: zone });
      return true;
    } catch {
      return false;
    }
  },
  { error: (issue) => `unknown time zone ${quote(issue.input)}; expected an IANA name, e.g. Europe/Moscow` },
);

/**
 * The sync status on each deal, where sales people look: a user field holding the state in
 * words (the 1C order number, "waiting for 1C", or why 1C refused), and a timeline comment when
 * an exchange fails for good and when it recovers. Absent: nothing is written on deals.
 */
const syncStatusSchema = z.strictObject({
  /** The deal user field (string) that shows the status; create it on the portal first. */
  field: userFieldName,
  /** Time zone of the times shown ("not answering since 02:14"). */
  timeZone: timeZone.default("Europe/Moscow"),
  /** Language of the texts. */
  language: oneOf(["en", "ru"], "language").default("en"),
  /** Timeline comments on a failure for good and on its recovery (the field is written either way). */
  comments: z.boolean().default(true),
});
export type SyncStatusSettings = z.infer<typeof syncStatusSchema>;

const guidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const onecRef = (what: string) =>
  z.string().regex(guidPattern, {
    error: (issue) => `invalid ${what} ${quote(issue.input)}; expected the Ref_Key GUID of the 1C catalog item, e.g. 859f72cd-9fac-5b73-8b10-27cda8ec1fbf`,
  });

const vatRate = oneOf(Object.keys(VAT_RATES) as [VatRate, ...VatRate[]], "1C СтавкаНДС");

/**
 * What UT 11 needs on an order to post it: a person's order form fills these from their
 * settings; an order Concord creates must carry them. Written at create only.
 */
const onecOrderSchema = z.strictObject({
  /** Организация_Key: the selling company. */
  organisation: onecRef("organisation"),
  /** Соглашение_Key: the agreement with customers (price type, terms). */
  agreement: onecRef("agreement"),
  /** Склад_Key: the shipping warehouse. */
  warehouse: onecRef("warehouse"),
  /** Валюта_Key: the document currency. */
  currency: onecRef("currency"),
  /** ХозяйственнаяОперация. */
  businessOperation: oneOf(
    ["РеализацияКлиенту", "РеализацияКлиентуРеглУчет", "ПередачаНаКомиссию", "РеализацияБезПереходаПраваСобственности", "ОтгрузкаБезПереходаПраваСобственности"],
    "1C ХозяйственнаяОперация",
  ),
  /** СтавкаНДС of rows whose CRM row has no tax rate. */
  vatRate,
  /** ЦенаВключаетНДС: whether 1C prices include VAT (the agreement's setting). */
  pricesIncludeVat: z.boolean(),
});
export type OnecOrderDefaults = z.infer<typeof onecOrderSchema>;

/** Business keys that find an existing customer on the other side before Concord creates one. */
const legalKey = z.enum(["innKpp", "inn", "email", "phone"]);
const matchingSchema = z.strictObject({
  /**
   * Per kind of customer, the keys tried — all of them: one record found (by one key or by
   * several that agree) is linked; two or more, or keys that find different records, wait
   * for a person's decision. An empty list: only Concord's own marker links.
   */
  customer: z
    .strictObject({
      /** A company with a KPP (or a 10-digit INN): INN + KPP tell a branch from its head office. */
      legalEntity: z.array(legalKey).default(["innKpp"]),
      /** A sole trader (a 12-digit INN, no KPP; 1C ИндивидуальныйПредприниматель). */
      soleTrader: z.array(legalKey.exclude(["innKpp"])).default(["inn"]),
      /** A person (a CRM contact; 1C ФизЛицо). */
      person: z.array(legalKey.exclude(["innKpp"])).default(["email", "phone"]),
    })
    .prefault({}),
  /** How key values are compared: both sides are normalised the same way. */
  normalise: z
    .strictObject({
      /** lowercase: trimmed and lower-cased; exact: trimmed only. */
      email: z.enum(["lowercase", "exact"]).default("lowercase"),
      /** ruPhone: digits only, a leading 8 of an 11-digit number read as 7; digits: digits only; exact: trimmed. */
      phone: z.enum(["ruPhone", "digits", "exact"]).default("ruPhone"),
    })
    .prefault({}),
});
export type Matching = z.infer<typeof matchingSchema>;

/**
 * True when no issue so far lies under one of these top-level keys (or replaces the whole
 * document), so a cross-section check can read them as typed.
 */
const validUnder =
  (...keys: string[]) =>
  (payload: { issues: readonly { code?: string; path?: readonly PropertyKey[] }[] }) =>
    payload.issues.every((issue) => {
      const head = issue.path?.[0];
      if (head === undefined) return issue.code === "unrecognized_keys";
      return !keys.includes(String(head));
    });

export const policySchema = z
  .strictObject({
    version: z.literal(1, {
      error: (issue) =>
        issue.input === undefined ? undefined : `unsupported policy version ${quote(issue.input)}; this build reads version 1`,
    }),
    systems: z.strictObject({
      crm: oneOf(["bitrix24"], "CRM system"),
      erp: oneOf(["onec"], "ERP system"),
    }),
    flows: flowsSchema,
    ownership: ownershipSchema,
    statusMap: z.strictObject({
      crmToErp: crmToErpSchema,
      erpToCrm: erpToCrmSchema,
    }),
    deletes: z.strictObject({
      crmDeal: crmDealDelete,
      erpOrder: erpOrderDelete,
    }),
    fieldMap: fieldMapSchema,
    /** The sync status on each deal (a user field and timeline comments); absent: off. */
    syncStatus: syncStatusSchema.optional(),
    /** Defaults of the orders Concord creates in 1C (required when flows.order.createInErp is on). */
    onecOrder: onecOrderSchema.optional(),
    /** Business-key matching before a create (products match by article, `fieldMap.product.skuField`). */
    matching: matchingSchema.prefault({}),
    /**
     * Compensation: when a deal enters one of these stages (they need the 1C order) and 1C
     * rejects the order for good, the deal goes back to its last synced stage (or `revertTo`),
     * gets a timeline comment with the reason, and an alert is raised.
     */
    saga: z
      .strictObject({
        stagesRequiringOrder: z.array(stageId).default([]),
        revertTo: stageId.default("NEW"),
      })
      .default({ stagesRequiringOrder: [], revertTo: "NEW" }),
  })
  // Runs even when other sections have problems, so one start-up reports them all.
  .superRefine(
    (policy, ctx) => {
      const { flows, statusMap } = policy;
      if (flows.order.erpToCrm && Object.keys(statusMap.erpToCrm).length === 0) {
        ctx.addIssue({
          code: "custom",
          path: ["statusMap", "erpToCrm"],
          message: "flows.order.erpToCrm is on but this map is empty; map every 1C Статус to a CRM stage",
        });
      }
      if (flows.order.createInErp && policy.onecOrder === undefined) {
        ctx.addIssue({
          code: "custom",
          path: ["flows", "order", "createInErp"],
          message:
            "flows.order.createInErp is on but onecOrder is missing; UT 11 posts an order only with organisation, agreement, warehouse, currency, businessOperation, vatRate and pricesIncludeVat (see packages/policy/README.md)",
        });
      }
      // Read defensively: this check also runs when those two sections have problems of their own.
      const statusField = (policy.syncStatus as { field?: unknown } | undefined)?.field;
      const fieldMap = (policy.fieldMap ?? {}) as Record<string, unknown>;
      const takenBy = typeof statusField === "string" ? FIELD_MAP_KEYS.find((key) => fieldMap[key] === statusField) : undefined;
      if (takenBy !== undefined) {
        ctx.addIssue({
          code: "custom",
          path: ["syncStatus", "field"],
          message: `${String(statusField)} is already used by fieldMap.${takenBy}; the sync status needs a deal field of its own`,
        });
      }
      if (flows.order.crmToErp && Object.keys(statusMap.crmToErp).length === 0) {
        ctx.addIssue({
          code: "custom",
          path: ["statusMap", "crmToErp"],
          message: "flows.order.crmToErp is on but this map is empty; map every CRM stage to a 1C Статус",
        });
      }
    },
    { when: validUnder("flows", "statusMap", "onecOrder") },
  );

/** The validated sync policy. */
export type Policy = z.infer<typeof policySchema>;

/** Whether a stage id carries a `C<N>:` pipeline prefix. */
export function hasPipelinePrefix(stageId: string): boolean {
  return PIPELINE_PREFIX.test(stageId);
}

/** The stage id without its `C<N>:` pipeline prefix. */
export function stripPipelinePrefix(stageId: string): string {
  return stageId.replace(PIPELINE_PREFIX, "");
}

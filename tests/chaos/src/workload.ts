import { setTimeout as sleep } from "node:timers/promises";
import { COUNTERPARTY_SET, ORDER_SET, PARTNER_SET, PRODUCT_SET, concordMarker, type Clients, type Rec } from "./clients";
import type { Profile } from "./profiles";
import { createRandom, type Random } from "./prng";
import { chaosGuid, createUnownedLedger, occurrences, type UnownedLedger } from "./unowned";
import type { EventLoss } from "./faults";
import { planLegacy, type LegacyGroupResult, type LegacyPlan } from "./legacy";

/**
 * The people: CRM users creating and editing deals over REST, a 1C manager creating, posting and
 * editing orders, and both sometimes editing the same pair at the same moment. The whole plan —
 * what is created, edited, when and how — is drawn from the seed before the run starts.
 */

/** Stages a user moves deals through; all are in the policy's status map. */
const STAGES = ["NEW", "PREPARATION", "PREPAYMENT_INVOICE", "EXECUTING", "FINAL_INVOICE", "WON"] as const;
/** A custom stage with no 1C Статус in the policy: every event of such a deal must be dead-lettered. */
export const POISON_STAGE = "UC_CHAOS1";
const ONEC_STATUSES = ["НеСогласован", "Согласован", "КОбеспечению", "КОтгрузке", "Закрыт"] as const;
const PAYMENT_STATES = ["НеОплачен", "ОплаченЧастично", "Оплачен"] as const;
/** The 1C sandbox is seeded with these products; the CRM catalog gets one product for each. */
const SEEDED_SKUS = Array.from({ length: 12 }, (_, i) => `SKU-${String(i + 1).padStart(3, "0")}`);
/** 1C keeps 100 characters of a counterparty's (and partner's) Description. */
export const ONEC_NAME_LENGTH = 100;
const LONG_NAME_LENGTH = 130;

/**
 * A CRM row: `price` is what the customer pays per unit (Bitrix24 PRICE: discount and tax
 * included); a discounted row has DISCOUNT_TYPE_ID 2 (percent) and its rate, a taxed row
 * TAX_RATE 20 included in the price or not. For a 1C line, `price` is Цена.
 */
interface Row {
  sku: string;
  quantity: number;
  price: number;
  discountRate?: number;
  tax?: { rate: number; included: boolean };
}
interface DealSpec {
  title: string;
  company: number;
  stage: string;
  rows: Row[];
  poisoned: boolean;
}
/** What a 1C manager fills in that Concord does not own (issue 9). */
interface OnecOrderExtras {
  /** The customer's own order number. */
  clientNumber: string;
  deliveryAddress: string;
  wantedShipDate: string;
  pricesIncludeVat: boolean;
  /** Per line: characteristic, warehouse, VAT rate (null: the form's default). */
  lines: Array<{ characteristic: string | null; warehouse: string | null; vatRate: string | null }>;
}
interface OnecOrderSpec {
  comment: string;
  counterparty: number;
  status: string;
  lines: Row[];
  extras: OnecOrderExtras | null;
}
/** A counterparty a manager creates in 1C; `extras`: an individual entrepreneur with a full name and an address row. */
interface CounterpartySpec {
  extras: { fullName: string; address: string } | null;
}
type CrmChange =
  | { kind: "title"; title: string }
  | { kind: "stage"; stage: string }
  | { kind: "rows"; rows: Row[] }
  /** The same products, new quantities, prices and discounts (the CRM's columns of the rows 1C already has). */
  | { kind: "requantify"; seed: number };
/** A 1C manager's edit of what Concord does not own on an order. */
type UnownedOrderEdit =
  | { field: "АдресДоставки" | "ЖелаемаяДатаОтгрузки" | "НомерПоДаннымКлиента"; n: number }
  | { field: "Склад_Key" | "Характеристика_Key" | "СтавкаНДС" | "Отменено"; row: number; n: number };
type OnecChange =
  | { kind: "post" }
  | { kind: "status"; status: string }
  | { kind: "payment"; state: string }
  | { kind: "comment"; comment: string }
  | { kind: "unowned"; edit: UnownedOrderEdit };
type CustomerCrmChange = { kind: "rename"; title: string } | { kind: "phone"; phone: string };
type CustomerOnecChange = { kind: "fullName"; value: string } | { kind: "address"; value: string } | { kind: "legalForm" };
type Target = { origin: "crm" | "onec"; index: number };
type Action =
  | { at: number; kind: "createDeal"; deal: number }
  | { at: number; kind: "createOnecOrder"; order: number }
  | { at: number; kind: "edit"; target: Target; crm: CrmChange | null; onec: OnecChange | null }
  | { at: number; kind: "editCustomer"; target: Target; crm: CustomerCrmChange | null; onec: CustomerOnecChange | null; lost: boolean }
  /** Issue 10/11: a deal deleted in Bitrix24 or restored from its recycle bin (`lost`: its event dropped). */
  | { at: number; kind: "crmDelete" | "crmRestore"; deal: number; lost: boolean }
  /** A 1C manager marks an order for deletion or removes the mark (`lost`: the notification dropped). */
  | { at: number; kind: "onecMark" | "onecUnmark"; target: Target; lost: boolean }
  /** A 1C manager copies the order of a CRM-born deal: the copy keeps `НомерПоДаннымКлиента`. */
  | { at: number; kind: "copy"; deal: number }
  /** Someone with the application token posts ONCRMDEALDELETE for a live deal. */
  | { at: number; kind: "forgedDelete"; deal: number }
  /** A 1C manager renames a 1C-born product (1C is its master). */
  | { at: number; kind: "editProduct"; product: number; n: number; lost: boolean }
  /** Issue 13: a deal on a legacy CRM company, a 1C-born order on a legacy counterparty (legacy.ts). */
  | { at: number; kind: "legacyDeal"; group: number; deal: number }
  | { at: number; kind: "legacyOrder"; group: number; order: number };

export interface Plan {
  seed: number;
  deals: DealSpec[];
  onecOrders: OnecOrderSpec[];
  /** Titles of the new CRM companies (some longer than 1C keeps). */
  companyTitles: string[];
  counterparties: CounterpartySpec[];
  /** Articles of the new 1C products. */
  onecProducts: string[];
  /** Issue 13: customers that lived apart on both sides before the run, and their deals and orders. */
  legacy: LegacyPlan;
  actions: Action[];
}

const priceOf = (sku: string) => 100 * (1 + (Number(sku.slice(-3)) % 9));
const round2 = (n: number) => Math.round((n + Math.sign(n) * Number.EPSILON) * 100) / 100;
/** Warehouses and characteristics of the base (their catalogs are not published: keys only). */
const WAREHOUSES = [1, 2, 3].map((i) => chaosGuid("Склад", i));
const characteristic = (seed: number, n: number) => chaosGuid("Характеристика", seed, n);
const VAT_RATES = ["НДС20", "НДС10", "НДС0"] as const;
const VAT_PERCENT: Record<string, number> = { НДС20: 20, НДС10: 10, НДС0: 0, БезНДС: 0 };

/** A name padded to `length` characters with words, so that 1C's cut never ends in a space. */
function longName(base: string, length: number): string {
  const words = ["Торгово-производственная", "компания", "«Северо-Западные", "поставки", "офисной", "техники", "и", "канцелярских", "товаров", "для", "бизнеса»"];
  let name = base;
  for (let i = 0; [...name].length < length; i++) name += ` ${words[i % words.length] as string}`;
  const chars = [...name].slice(0, length);
  if (chars[ONEC_NAME_LENGTH - 1] === " ") chars[ONEC_NAME_LENGTH - 1] = "-";
  return chars.join("");
}

/** When the 1C outage ends, as faults.ts plans it (at the latest): 1C-side identity actions need the pair. */
export const outageEndOf = (profile: Profile) => Math.max(profile.faultWindowMs * 0.06 + profile.slowCommitPhaseMs + 1_000, profile.faultWindowMs * profile.onecOutageAt) + profile.onecOutageMs;

export function planWorkload(profile: Profile, random: Random, seed: number): Plan {
  const window = profile.faultWindowMs;
  const createBy = window * 0.5;
  const editBy = window * 0.75;
  const rowsFrom = (skus: readonly string[], priced: (sku: string) => number): Row[] => {
    const count = random.int(1, 3);
    const chosen = new Set<string>();
    while (chosen.size < count) chosen.add(random.pick(skus));
    return [...chosen].map((sku) => ({ sku, quantity: random.int(1, 5), price: priced(sku) }));
  };
  // Deal rows as a salesperson sets them: some with a percent discount (the price the customer
  // pays then has kopecks that do not divide back evenly), some with VAT included or on top.
  const crmRows = (): Row[] =>
    rowsFrom(SEEDED_SKUS, priceOf).map((row) => {
      const out: Row = { ...row };
      if (random.chance(profile.discountedRowShare)) {
        out.discountRate = random.pick([5, 7, 10, 15]);
        out.price = round2(row.price * (1 - out.discountRate / 100) - (random.chance(0.5) ? random.int(1, 99) / 100 : 0));
      }
      if (random.chance(profile.taxedRowShare)) out.tax = { rate: 20, included: random.chance(0.5) };
      return out;
    });
  const onecProducts = Array.from({ length: profile.onecProducts }, (_, i) => `CH${seed % 100_000}-${i + 1}`);
  const onecSkus = [...SEEDED_SKUS, ...onecProducts];
  const companyTitles = Array.from({ length: profile.companies }, (_, k) => {
    const base = `ООО Хаос ${seed}-${k + 1}`;
    return random.chance(profile.longNameShare) ? longName(base, LONG_NAME_LENGTH) : base;
  });
  const counterparties: CounterpartySpec[] = Array.from({ length: profile.counterparties }, (_, c) => ({
    extras: random.chance(profile.unownedShare) ? { fullName: `Индивидуальный предприниматель Хаосов ${seed}-${c + 1}`, address: `г. Москва, ул. Хаоса, д. ${c + 1}, офис ${random.int(1, 99)}` } : null,
  }));
  const deals: DealSpec[] = Array.from({ length: profile.deals }, (_, i) => ({
    title: `Хаос ${i + 1}`,
    company: random.int(0, profile.companies - 1),
    stage: random.pick(["NEW", "PREPARATION", "EXECUTING"]),
    rows: crmRows(),
    poisoned: false,
  }));
  // Poisoned deals are spread over the list, not bunched at the end.
  for (let p = 0; p < Math.min(profile.poisonedDeals, deals.length); p++) {
    const deal = deals[Math.floor(((p + 0.5) * deals.length) / profile.poisonedDeals)];
    if (deal) Object.assign(deal, { poisoned: true, stage: POISON_STAGE, title: `${deal.title} (отравлена)` });
  }
  const onecOrders: OnecOrderSpec[] = Array.from({ length: profile.onecOrders }, (_, i) => {
    const lines = rowsFrom(onecSkus, () => 10 * random.int(10, 90));
    const filled = random.chance(profile.unownedShare);
    // The same product twice (two sizes: two characteristics) on some orders: rows are matched by occurrence.
    if (filled && random.chance(0.4) && lines[0]) lines.push({ ...lines[0], quantity: random.int(1, 5) });
    const extras: OnecOrderExtras | null = filled
      ? {
          clientNumber: `ПО-${seed % 10_000}/${i + 1}`,
          deliveryAddress: `г. Санкт-Петербург, Невский пр., д. ${i + 1}`,
          wantedShipDate: `2027-0${random.int(1, 9)}-1${random.int(0, 9)}T00:00:00`,
          pricesIncludeVat: random.chance(0.5),
          lines: lines.map((_, n) => ({
            characteristic: random.chance(0.5) || n > 0 ? characteristic(seed, i * 10 + n) : null,
            warehouse: random.chance(0.5) ? random.pick(WAREHOUSES) : null,
            vatRate: random.chance(0.3) ? random.pick(VAT_RATES) : null,
          })),
        }
      : null;
    return { comment: `Заказ из 1С ${i + 1}`, counterparty: random.int(0, profile.counterparties - 1), status: random.pick(["НеСогласован", "Согласован"]), lines, extras };
  });

  const actions: Action[] = [];
  const crmChange = (i: number, n: number): CrmChange => {
    const roll = random.next();
    if (roll < 0.3) return { kind: "title", title: `Хаос ${i + 1} правка ${n}` };
    if (roll < 0.6) return { kind: "stage", stage: random.pick(STAGES) };
    if (roll < 0.8) return { kind: "requantify", seed: random.seed() };
    return { kind: "rows", rows: crmRows() };
  };
  const unownedEdit = (onecBorn: boolean, n: number): UnownedOrderEdit => {
    const roll = random.next();
    // The customer's number is the manager's only on a 1C-born order (Concord marks its own orders there).
    if (roll < 0.15) return { field: onecBorn ? "НомерПоДаннымКлиента" : "ЖелаемаяДатаОтгрузки", n };
    if (roll < 0.3) return { field: "АдресДоставки", n };
    if (roll < 0.4) return { field: "ЖелаемаяДатаОтгрузки", n };
    // A cancelled line (Отменено) is the manager's too, and rarer.
    return { field: random.chance(0.25) ? "Отменено" : random.pick(["Склад_Key", "Характеристика_Key", "СтавкаНДС"] as const), row: random.int(0, 5), n };
  };
  const onecChange = (i: number, n: number, onecBorn: boolean): OnecChange => {
    if (random.chance(profile.managerUnownedShare)) return { kind: "unowned", edit: unownedEdit(onecBorn, i * 10 + n) };
    const roll = random.next();
    if (roll < 0.3) return { kind: "post" };
    if (roll < 0.55) return { kind: "status", status: random.pick(ONEC_STATUSES) };
    if (roll < 0.85) return { kind: "payment", state: random.pick(PAYMENT_STATES) };
    return { kind: "comment", comment: `Правка в 1С ${i + 1}.${n}` };
  };
  const edits = (target: Target, createdAt: number, label: number) => {
    const count = random.int(profile.editsPerRecord[0], profile.editsPerRecord[1]);
    for (let n = 1; n <= count; n++) {
      const at = Math.min(editBy, createdAt + random.int(5_000, Math.max(6_000, window * 0.35)));
      const both = random.chance(profile.bothSidesShare);
      // Without both, an edit is on the record's own side or, as often, the other side's copy.
      const side = both ? "both" : random.chance(0.5) ? "crm" : "onec";
      const onecBorn = target.origin === "onec";
      // Both at once is the race of issue 9 half the time: the CRM changes the lines (or the title)
      // while the manager changes what Concord does not own on the same order.
      const race = both && random.chance(0.5);
      actions.push({
        at,
        kind: "edit",
        target,
        crm: side === "onec" ? null : race ? (random.chance(0.7) ? { kind: "requantify", seed: random.seed() } : { kind: "title", title: `Хаос ${label + 1} гонка ${n}` }) : crmChange(label, n),
        onec: side === "crm" ? null : race ? { kind: "unowned", edit: unownedEdit(onecBorn, label * 10 + n) } : onecChange(label, n, onecBorn),
      });
    }
  };
  // Issue 10/11: the records deleted (and maybe undeleted) get no other edits, so the last word
  // on each is the delete or undelete the plan made. Drawn from a stream of their own.
  const identity = createRandom(seed, 4);
  const live = deals.flatMap((d, i) => (d.poisoned ? [] : [i]));
  const take = (from: number[], n: number) => {
    const out: number[] = [];
    while (out.length < n && from.length > 0) out.push(from.splice(identity.int(0, from.length - 1), 1)[0] as number);
    return out;
  };
  const crmDeleted = take(live, Math.min(profile.crmDeletes, Math.floor(live.length / 4)));
  const onecMarkedDeals = take(live, Math.min(Math.ceil(profile.onecDeletes / 2), Math.floor(live.length / 4)));
  const orderIndexes = onecOrders.map((_, i) => i);
  const onecMarkedOrders = take(orderIndexes, Math.min(Math.floor(profile.onecDeletes / 2), Math.floor(onecOrders.length / 3)));
  const untouched = new Set([...crmDeleted, ...onecMarkedDeals]);
  const createdAt = new Map<string, number>();
  deals.forEach((deal, i) => {
    const at = random.int(0, createBy);
    createdAt.set(`crm:${i}`, at);
    actions.push({ at, kind: "createDeal", deal: i });
    if (!deal.poisoned && !untouched.has(i)) edits({ origin: "crm", index: i }, at, i);
  });
  onecOrders.forEach((_, i) => {
    const at = random.int(0, createBy);
    createdAt.set(`onec:${i}`, at);
    actions.push({ at, kind: "createOnecOrder", order: i });
    if (!onecMarkedOrders.includes(i)) edits({ origin: "onec", index: i }, at, 1000 + i);
  });
  const lost = () => identity.chance(profile.lostEventShare);
  // A deal deleted in Bitrix24 (its order then marked in 1C by Concord), half of them restored.
  // 1C-side marks and copies need the pair, so they come after the 1C outage.
  const afterOutage = Math.min(window * 0.9, outageEndOf(profile) + 3_000);
  for (const i of crmDeleted) {
    // A synced deal is deleted (see crmDelete): with the 1C outage, pairs form after it.
    const at = Math.min(window * 0.9, Math.max((createdAt.get(`crm:${i}`) ?? 0) + identity.int(8_000, 20_000), profile.deleteUnsyncedDeals ? 0 : afterOutage - identity.int(5_000, 15_000)));
    actions.push({ at, kind: "crmDelete", deal: i, lost: lost() });
    if (identity.chance(0.5)) actions.push({ at: at + identity.int(12_000, 25_000), kind: "crmRestore", deal: i, lost: lost() });
  }
  const late = () => identity.int(afterOutage, Math.max(afterOutage + 1_000, window - 6_000));
  const marks: Target[] = [...onecMarkedDeals.map((index) => ({ origin: "crm" as const, index })), ...onecMarkedOrders.map((index) => ({ origin: "onec" as const, index }))];
  for (const target of marks) {
    const at = late();
    actions.push({ at, kind: "onecMark", target, lost: lost() });
    if (identity.chance(0.5)) actions.push({ at: at + identity.int(8_000, 15_000), kind: "onecUnmark", target, lost: lost() });
  }
  for (const i of take(live, profile.copies)) actions.push({ at: late(), kind: "copy", deal: i });
  for (const i of take(live, profile.forgedDeletes)) actions.push({ at: Math.min(window * 0.85, (createdAt.get(`crm:${i}`) ?? 0) + identity.int(10_000, window * 0.4)), kind: "forgedDelete", deal: i });
  for (let n = 0; n < profile.productEdits; n++) {
    actions.push({ at: identity.int(window * 0.2, editBy), kind: "editProduct", product: identity.int(0, Math.max(0, Math.ceil(profile.onecProducts / 2) - 1)), n: n + 1, lost: lost() });
  }
  // Customers: the CRM renames (sometimes beyond 1C's 100 characters) or adds a phone while the
  // manager fills what Concord does not own on the counterparty — often at the same moment.
  const customerEdits = (target: Target, label: string) => {
    const count = random.int(profile.customerEdits[0], profile.customerEdits[1]);
    for (let n = 1; n <= count; n++) {
      const side = random.chance(profile.bothSidesShare * 1.5) ? "both" : random.chance(0.5) ? "crm" : "onec";
      const title = `${label} переименована ${n}`;
      const crm: CustomerCrmChange = random.chance(0.75) ? { kind: "rename", title: random.chance(profile.longNameShare) ? longName(title, LONG_NAME_LENGTH) : title } : { kind: "phone", phone: `+7 495 ${random.int(100, 999)}-${random.int(10, 99)}-${random.int(10, 99)}` };
      const roll = random.next();
      const onec: CustomerOnecChange = roll < 0.4 ? { kind: "address", value: `г. Казань, ул. Хаоса, д. ${random.int(1, 200)}` } : roll < 0.75 ? { kind: "fullName", value: `${label}, полное наименование ${n}` } : { kind: "legalForm" };
      actions.push({ at: random.int(window * 0.2, editBy), kind: "editCustomer", target, crm: side === "onec" ? null : crm, onec: side === "crm" ? null : onec, lost: random.chance(profile.lostEventShare / 2) });
    }
  };
  companyTitles.forEach((_, k) => customerEdits({ origin: "crm", index: k }, `ООО Хаос ${seed}-${k + 1}`));
  counterparties.forEach((_, c) => customerEdits({ origin: "onec", index: c }, `Из 1С ${seed}-${c + 1}`));
  // Issue 13: drawn from a stream of its own (legacy.ts), so the rest of a seed's plan is unchanged.
  const legacy = planLegacy(profile.legacy, window, seed, afterOutage);
  legacy.groups.forEach((g, group) => {
    g.deals.forEach((d, deal) => actions.push({ at: d.at, kind: "legacyDeal", group, deal }));
    g.orders.forEach((o, order) => actions.push({ at: o.at, kind: "legacyOrder", group, order }));
  });
  actions.sort((a, b) => a.at - b.at);
  return { seed, deals, onecOrders, companyTitles, counterparties, onecProducts, legacy, actions };
}

export interface WorkloadResult {
  /** CRM-born deals that exist, by plan index (-1: a deal on a legacy customer). */
  deals: Array<{ index: number; id: string; poisoned: boolean; legacy?: boolean }>;
  /** 1C-born orders that exist, with the 1C products the manager put on them (-1: on a legacy counterparty). */
  onecOrders: Array<{ index: number; ref: string; productRefs: string[]; legacy?: boolean }>;
  /**
   * Comments of 1C orders whose create got no answer (a timeout, a reset on an overloaded
   * machine): the sandbox may have stored them — made by the workload, not by Concord.
   */
  onecOrdersInDoubt: string[];
  companiesCreated: number;
  counterpartiesCreated: number;
  onecProductsCreated: number;
  crmEdits: number;
  onecEdits: number;
  bothSidesEdits: number;
  /** Edits of a copy that did not exist yet when the user wanted to edit it. */
  editsWithoutCounterpart: number;
  /** CRM companies by plan index (id, title as last set), with their edits: invariant 7 bounds Concord's writes per change. */
  companies: Array<{ index: number; id: string; title: string; crmChanges: number; longName: boolean }>;
  /** 1C counterparties the manager created, by plan index, with the CRM edits of their companies. */
  counterparties: Array<{ index: number; ref: string; crmChanges: number }>;
  /** Issue 9's share of the workload. */
  issue9: {
    /** 1C-born orders and counterparties created with fields Concord does not own. */
    filledOrders: number;
    filledCounterparties: number;
    /** Manager edits of fields Concord does not own (orders, counterparties); of them at the same moment as a CRM edit of the pair. */
    unownedEdits: number;
    racingEdits: number;
    /** Lines the manager cancelled (Отменено). */
    cancelledLines: number;
    /** CRM company titles longer than 1C keeps (at creation and renames). */
    longNames: number;
    /** Deal rows set with a discount, with a tax. */
    discountedRows: number;
    taxedRows: number;
    /** The manager's posting refused by 1C: order ref and 1C's message. */
    postRefusals: Array<{ ref: string; message: string }>;
  };
  /** The workload's record of every value it set that Concord does not own, and the pairs' CRM row versions. */
  unowned: UnownedLedger;
  /** Issues 10 and 11: deletes and undeletes, copies, forged deletes, product edits, events lost on purpose. */
  identity: IdentityLedger;
  /** Issue 13: the legacy records seeded on both sides, by group, with the deals and 1C orders made on them. */
  legacy: LegacyGroupResult[];
  failures: string[];
}

export interface IdentityLedger {
  /** Per deal deleted in Bitrix24: its last word (`delete` or `restore`), and every step's event lost or not. */
  crmDeletes: Array<{ deal: string; last: "delete" | "restore"; steps: number; lost: number }>;
  /** Per order marked in 1C: the order, its deal when known, the last word. */
  onecMarks: Array<{ ref: string; origin: "crm" | "onec"; last: "mark" | "unmark"; steps: number; lost: number }>;
  /** Copies of CRM-born deals' orders: the copy, the deal of the original, the copy's products. */
  copies: Array<{ ref: string; of: string; productRefs: string[] }>;
  /** Deals a forged delete was posted for (ingress answered). */
  forged: string[];
  /** 1C products renamed: the name they must carry in the CRM. */
  productEdits: Array<{ ref: string; name: string; lost: boolean }>;
  /** Customer edits made with their events lost, per side. */
  customerEditsLost: { crm: number; onec: number };
  /** Identity actions that found no pair to act on in time (skipped). */
  skipped: string[];
}

function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

const COPY_WAIT_MS = 15_000;

/** At most `n` users at their desks at once; the others wait for a seat. */
interface Seats {
  use<T>(work: () => Promise<T>): Promise<T>;
}
function createSeats(n: number): Seats {
  let free = n;
  const queue: Array<() => void> = [];
  return {
    async use(work) {
      if (free > 0) free--;
      else await new Promise<void>((r) => queue.push(r));
      try {
        return await work();
      } finally {
        const next = queue.shift();
        if (next) next();
        else free++;
      }
    },
  };
}

/** Shared things created once, by whichever action needs them first. */
function memo<T>(create: (index: number) => Promise<T>) {
  const made = new Map<number, Promise<T>>();
  return (index: number) => {
    let p = made.get(index);
    if (!p) {
      p = create(index);
      made.set(index, p);
    }
    return p;
  };
}

export function createWorkload(plan: Plan, clients: Clients, profile: Profile, deps: { loss: EventLoss; forge: (dealId: string) => Promise<void> }) {
  const result: WorkloadResult = {
    deals: [],
    onecOrders: [],
    onecOrdersInDoubt: [],
    companiesCreated: 0,
    counterpartiesCreated: 0,
    onecProductsCreated: 0,
    crmEdits: 0,
    onecEdits: 0,
    bothSidesEdits: 0,
    editsWithoutCounterpart: 0,
    companies: [],
    counterparties: [],
    issue9: { filledOrders: 0, filledCounterparties: 0, unownedEdits: 0, racingEdits: 0, cancelledLines: 0, longNames: 0, discountedRows: 0, taxedRows: 0, postRefusals: [] },
    unowned: createUnownedLedger(),
    identity: { crmDeletes: [], onecMarks: [], copies: [], forged: [], productEdits: [], customerEditsLost: { crm: 0, onec: 0 }, skipped: [] },
    legacy: [],
    failures: [],
  };
  const identity = result.identity;
  const ledger = result.unowned;
  const crmProducts = new Map<string, number>();
  const skuOfRef = new Map<string, string>();
  const skuOf = (ref: string) => skuOfRef.get(ref.toLowerCase());
  const onecProductRefs = new Map<string, string>();
  const dealIds = plan.deals.map(() => deferred<string | null>());
  const orderRefs = plan.onecOrders.map(() => deferred<string | null>());

  const companyIds = new Map<number, { id: string; title: string; crmChanges: number; longName: boolean }>();
  const company = memo(async (k) => {
    const title = plan.companyTitles[k] as string;
    const id = await clients.b24<number>("crm.company.add", { fields: { TITLE: title, EMAIL: [{ VALUE: `buyer${k + 1}@chaos.example`, VALUE_TYPE: "WORK" }] } });
    result.companiesCreated++;
    if ([...title].length > ONEC_NAME_LENGTH) result.issue9.longNames++;
    companyIds.set(k, { id: String(id), title, crmChanges: 0, longName: [...title].length > ONEC_NAME_LENGTH });
    return id;
  });
  const counterpartyRefs = new Map<number, string>();
  /** CRM edits of the company mirroring each 1C-born counterparty. */
  const counterpartyChanges = new Map<number, number>();
  const counterparty = memo(async (c) => {
    const extras = plan.counterparties[c]?.extras ?? null;
    const name = `${extras ? "ИП" : "ООО"} Из 1С ${plan.seed}-${c + 1}`;
    const partner = await clients.onecCreate(PARTNER_SET, { Description: name, Клиент: true, ЮрФизЛицо: "Компания" });
    const inn = String(7700000000 + ((plan.seed * 97 + c) % 99_999_999)).slice(0, 10);
    const email = `office${c + 1}@onec.chaos.example`;
    const contacts = [{ LineNumber: 1, Тип: "АдресЭлектроннойПочты", Представление: email, Значение: email }, ...(extras ? [{ LineNumber: 2, Тип: "Адрес", Представление: extras.address, Значение: extras.address }] : [])];
    const cp = await clients.onecCreate(COUNTERPARTY_SET, {
      Description: name,
      ИНН: inn,
      КПП: extras ? "" : "770101001",
      ЮрФизЛицо: extras ? "ИндивидуальныйПредприниматель" : "ЮрЛицо",
      Партнер_Key: partner.Ref_Key,
      КонтактнаяИнформация: contacts,
      ...(extras ? { НаименованиеПолное: extras.fullName } : {}),
    });
    result.counterpartiesCreated++;
    if (extras) result.issue9.filledCounterparties++;
    // Every write of the manager to a counterparty is counted (invariant 7 tells them from Concord's).
    ledger.record("counterparty", cp, extras ? ["ЮрФизЛицо", "НаименованиеПолное", "КонтактнаяИнформация[Адрес].Представление", "ИНН"] : [], skuOf);
    counterpartyRefs.set(c, String(cp.Ref_Key));
    counterpartyChanges.set(c, 0);
    return { counterparty: String(cp.Ref_Key), partner: String(partner.Ref_Key) };
  });
  const onecProduct = memo(async (p) => {
    const sku = plan.onecProducts[p] as string;
    const created = await clients.onecCreate(PRODUCT_SET, { Description: `Товар хаоса ${sku}`, Артикул: sku });
    result.onecProductsCreated++;
    onecProductRefs.set(sku, String(created.Ref_Key));
    skuOfRef.set(String(created.Ref_Key).toLowerCase(), sku);
    return String(created.Ref_Key);
  });
  const onecProductRef = async (sku: string) => {
    const index = plan.onecProducts.indexOf(sku);
    return index >= 0 ? onecProduct(index) : (onecProductRefs.get(sku) as string);
  };

  // The 1C manager finds a deal's order by the deal number Concord writes into it. The list is
  // read whole, so it is read less often as it grows (every 2 s up to 2,000 orders, 10 s at
  // 10,000): at 10,000 orders, reading it every 2 s took more CPU than Concord itself.
  let ordersCache: { at: number; size: number; byMarker: Map<string, string> } | null = null;
  const copyRefs = new Set<string>();
  const orderOfDeal = async (dealId: string) => {
    if (!ordersCache || Date.now() - ordersCache.at > Math.max(2_000, ordersCache.size)) {
      const orders = await clients.onecRecords(ORDER_SET);
      // A manager's copy carries the same number: the deal's own order is the one that is no copy.
      const byMarker = new Map<string, string>();
      for (const o of orders) if (!copyRefs.has(String(o.Ref_Key).toLowerCase()) && !byMarker.has(String(o.НомерПоДаннымКлиента))) byMarker.set(String(o.НомерПоДаннымКлиента), String(o.Ref_Key));
      ordersCache = { at: Date.now(), size: orders.length, byMarker };
    }
    return ordersCache.byMarker.get(`B24-D-${dealId}`) ?? null;
  };
  // The CRM user finds the deal of a 1C order by its origin.
  const dealOfOrder = async (ref: string) => {
    const found = await clients.b24<Rec[]>("crm.deal.list", { filter: { ORIGINATOR_ID: "1C", ORIGIN_ID: ref }, select: ["ID"] });
    return found[0] ? String(found[0].ID) : null;
  };

  const toCrmRow = (r: Row, productId: unknown) => ({
    PRODUCT_ID: productId,
    PRICE: r.price,
    QUANTITY: r.quantity,
    ...(r.discountRate ? { DISCOUNT_TYPE_ID: 2, DISCOUNT_RATE: r.discountRate } : {}),
    ...(r.tax ? { TAX_RATE: r.tax.rate, TAX_INCLUDED: r.tax.included ? "Y" : "N" } : {}),
  });
  /** Sets a deal's rows and keeps the version (for invariant 8: a row the CRM removed takes the manager's columns with it). */
  async function setDealRows(dealId: string, rows: Array<ReturnType<typeof toCrmRow>>) {
    await clients.b24("crm.deal.productrows.set", { id: dealId, rows });
    ledger.crmRows({ at: Date.now(), deal: dealId, crmProductIds: rows.map((r) => String(r.PRODUCT_ID)) });
    result.issue9.discountedRows += rows.filter((r) => "DISCOUNT_RATE" in r).length;
    result.issue9.taxedRows += rows.filter((r) => "TAX_RATE" in r).length;
  }

  async function createDeal(i: number) {
    const spec = plan.deals[i] as DealSpec;
    try {
      const companyId = await company(spec.company);
      const id = String(await clients.b24<number>("crm.deal.add", { fields: { TITLE: spec.title, COMPANY_ID: companyId, STAGE_ID: spec.stage } }));
      result.deals.push({ index: i, id, poisoned: spec.poisoned });
      dealIds[i]?.resolve(id);
      await setDealRows(id, spec.rows.map((r) => toCrmRow(r, crmProducts.get(r.sku))));
    } finally {
      dealIds[i]?.resolve(null);
    }
  }

  /** A row's VAT as UT 11's form computes it. */
  const withVat = (row: Rec, rate: string, pricesIncludeVat: boolean): Rec => {
    const sum = Number(row.Сумма ?? 0);
    const percent = VAT_PERCENT[rate] ?? 0;
    const vat = round2(pricesIncludeVat ? (sum * percent) / (100 + percent) : (sum * percent) / 100);
    return { ...row, СтавкаНДС: rate, СуммаНДС: vat, СуммаСНДС: round2(pricesIncludeVat ? sum : sum + vat) };
  };

  async function createOnecOrder(i: number) {
    const spec = plan.onecOrders[i] as OnecOrderSpec;
    try {
      const cp = await counterparty(spec.counterparty);
      const extras = spec.extras;
      const lines: Rec[] = [];
      for (const [n, line] of spec.lines.entries()) {
        let row: Rec = { LineNumber: n + 1, Номенклатура_Key: await onecProductRef(line.sku), Количество: line.quantity, Цена: line.price, Сумма: line.quantity * line.price };
        const own = extras?.lines[n];
        if (own?.characteristic) row.Характеристика_Key = own.characteristic;
        if (own?.warehouse) row.Склад_Key = own.warehouse;
        if (own?.vatRate && extras) row = withVat(row, own.vatRate, extras.pricesIncludeVat);
        lines.push(row);
      }
      const header = extras ? { НомерПоДаннымКлиента: extras.clientNumber, АдресДоставки: extras.deliveryAddress, ЖелаемаяДатаОтгрузки: extras.wantedShipDate, ЦенаВключаетНДС: extras.pricesIncludeVat } : {};
      const order = await clients.onecCreate(ORDER_SET, { Контрагент_Key: cp.counterparty, Партнер_Key: cp.partner, Статус: spec.status, Комментарий: spec.comment, Товары: lines, ...header }).catch((error: unknown) => {
        result.onecOrdersInDoubt.push(spec.comment);
        throw error;
      });
      const ref = String(order.Ref_Key);
      ledger.crmRows({ at: Date.now(), order: ref.toLowerCase(), skus: spec.lines.map((l) => l.sku) });
      if (extras) {
        result.issue9.filledOrders++;
        const labels = occurrences(spec.lines.map((l) => l.sku));
        const rowFields = labels.flatMap((label, n) => {
          const own = extras.lines[n];
          return [...(own?.characteristic ? ["Характеристика_Key"] : []), ...(own?.warehouse ? ["Склад_Key"] : []), ...(own?.vatRate ? ["СтавкаНДС"] : [])].map((column) => `Товары[${label}].${column}`);
        });
        ledger.record("order", order, [...Object.keys(header), ...rowFields], skuOf);
      }
      result.onecOrders.push({ index: i, ref, productRefs: lines.map((l) => String(l.Номенклатура_Key).toLowerCase()) });
      orderRefs[i]?.resolve(ref);
    } finally {
      orderRefs[i]?.resolve(null);
    }
  }

  /** The same products in the same order, with new quantities, prices and discounts: what the CRM owns of rows 1C already has. */
  async function requantify(dealId: string, seed: number) {
    const rows = await clients.b24<Rec[]>("crm.deal.productrows.get", { id: dealId });
    if (rows.length === 0) return;
    // The rows are only known now; what is done to them was drawn with the plan (its seed).
    const random = createRandom(seed);
    await setDealRows(
      dealId,
      rows.map((r) => {
        const discountRate = random.chance(1 / 3) ? random.pick([5, 10, 15]) : Number(r.DISCOUNT_RATE ?? 0);
        const list = Number(r.PRICE_BRUTTO ?? r.PRICE);
        const price = discountRate ? round2(list * (1 - discountRate / 100)) : list;
        const tax = r.TAX_RATE === null || r.TAX_RATE === undefined ? undefined : { rate: Number(r.TAX_RATE), included: r.TAX_INCLUDED === "Y" };
        return toCrmRow({ sku: "", quantity: random.int(1, 6), price, ...(discountRate ? { discountRate } : {}), ...(tax ? { tax } : {}) }, r.PRODUCT_ID);
      }),
    );
  }

  async function applyCrm(dealId: string, change: CrmChange) {
    if (change.kind === "rows") await setDealRows(dealId, change.rows.map((r) => toCrmRow(r, crmProducts.get(r.sku))));
    else if (change.kind === "requantify") await requantify(dealId, change.seed);
    else await clients.b24("crm.deal.update", { id: dealId, fields: change.kind === "title" ? { TITLE: change.title } : { STAGE_ID: change.stage } });
    result.crmEdits++;
  }

  /** The manager opens the order, changes what Concord does not own, and writes it (1C writes a tabular part only whole). */
  async function editUnowned(ref: string, edit: UnownedOrderEdit) {
    if (!("row" in edit)) {
      const value = edit.field === "АдресДоставки" ? `г. Москва, ул. Правки, д. ${edit.n}` : edit.field === "НомерПоДаннымКлиента" ? `ПО-правка-${edit.n}` : `2027-1${edit.n % 3}-0${1 + (edit.n % 9)}T00:00:00`;
      ledger.record("order", await clients.onecPatch(ORDER_SET, ref, { [edit.field]: value }), [edit.field], skuOf);
      return;
    }
    const order = await clients.onecRecord(ORDER_SET, ref);
    const rows = ((order.Товары as Rec[] | undefined) ?? []).map((r) => ({ ...r }));
    if (rows.length === 0) return;
    const at = edit.row % rows.length;
    const target = rows[at] as Rec;
    let changed: Rec;
    if (edit.field === "Склад_Key") changed = { ...target, Склад_Key: WAREHOUSES[edit.n % WAREHOUSES.length] };
    else if (edit.field === "Характеристика_Key") changed = { ...target, Характеристика_Key: characteristic(plan.seed, 10_000 + edit.n) };
    // The last active line is never cancelled: an order without one would not post.
    else if (edit.field === "Отменено") changed = rows.filter((r) => r.Отменено !== true).length > 1 ? { ...target, Отменено: true } : { ...target, Склад_Key: WAREHOUSES[edit.n % WAREHOUSES.length] };
    // A VAT rate changes the total unless prices include VAT: then the CRM's amount would be wrong, so the manager leaves it.
    else if (order.ЦенаВключаетНДС === true) changed = withVat(target, VAT_RATES[(VAT_RATES.indexOf(String(target.СтавкаНДС) as (typeof VAT_RATES)[number]) + 1) % VAT_RATES.length] as string, true);
    else changed = { ...target, Склад_Key: WAREHOUSES[edit.n % WAREHOUSES.length] };
    rows[at] = changed;
    const column = Object.keys(changed).find((k) => k !== "СуммаНДС" && k !== "СуммаСНДС" && changed[k] !== target[k]);
    if (!column) return;
    const label = occurrences(rows.map((r) => skuOf(String(r.Номенклатура_Key).toLowerCase()) ?? `?${String(r.Номенклатура_Key)}`))[at] as string;
    ledger.record("order", await clients.onecPatch(ORDER_SET, ref, { Товары: rows }), [`Товары[${label}].${column}`], skuOf);
    if (column === "Отменено") result.issue9.cancelledLines++;
  }

  async function applyOnec(ref: string, change: OnecChange) {
    if (change.kind === "post") {
      try {
        await clients.onecAction(ORDER_SET, ref, "Post");
      } catch (error) {
        // 1C refusing to post an order is a finding (issue 9: orders UT 11 posts), not a user's mistake.
        result.issue9.postRefusals.push({ ref, message: (error as Error).message.replace(/^.*?→ /, "") });
        return;
      }
    } else if (change.kind === "status") await clients.onecPatch(ORDER_SET, ref, { Статус: change.status });
    else if (change.kind === "payment") await clients.onecPatch(ORDER_SET, ref, { СостояниеОплаты: change.state });
    else if (change.kind === "comment") await clients.onecPatch(ORDER_SET, ref, { Комментарий: change.comment });
    else {
      await editUnowned(ref, change.edit);
      result.issue9.unownedEdits++;
    }
    result.onecEdits++;
  }

  /** The manager's edit of a counterparty: what Concord does not own, contact rows written whole. */
  async function applyCounterparty(ref: string, change: CustomerOnecChange) {
    if (change.kind === "fullName") {
      ledger.record("counterparty", await clients.onecPatch(COUNTERPARTY_SET, ref, { НаименованиеПолное: change.value }), ["НаименованиеПолное"], skuOf);
    } else if (change.kind === "legalForm") {
      ledger.record("counterparty", await clients.onecPatch(COUNTERPARTY_SET, ref, { ЮрФизЛицо: "ИндивидуальныйПредприниматель" }), ["ЮрФизЛицо"], skuOf);
    } else {
      const cp = await clients.onecRecord(COUNTERPARTY_SET, ref);
      const rows = ((cp.КонтактнаяИнформация as Rec[] | undefined) ?? []).filter((r) => r.Тип !== "Адрес");
      rows.push({ LineNumber: rows.length + 1, Тип: "Адрес", Представление: change.value, Значение: change.value });
      ledger.record("counterparty", await clients.onecPatch(COUNTERPARTY_SET, ref, { КонтактнаяИнформация: rows }), ["КонтактнаяИнформация[Адрес].Представление"], skuOf);
    }
    result.issue9.unownedEdits++;
    result.onecEdits++;
  }

  async function applyCompany(k: number | null, c: number | null, id: string, change: CustomerCrmChange) {
    if (change.kind === "rename") {
      await clients.b24("crm.company.update", { id, fields: { TITLE: change.title } });
      if ([...change.title].length > ONEC_NAME_LENGTH) result.issue9.longNames++;
    } else await clients.b24("crm.company.update", { id, fields: { PHONE: [{ VALUE: change.phone, VALUE_TYPE: "WORK" }] } });
    const known = k === null ? undefined : companyIds.get(k);
    if (known) {
      known.crmChanges++;
      if (change.kind === "rename") known.title = change.title;
      if ([...known.title].length > ONEC_NAME_LENGTH) known.longName = true;
    }
    if (c !== null) counterpartyChanges.set(c, (counterpartyChanges.get(c) ?? 0) + 1);
    result.crmEdits++;
  }

  // A CRM company's counterparty carries its inverse id; a 1C counterparty's company its ORIGIN_ID.
  const counterpartyOfCompany = async (companyId: string) => {
    const found = await clients.onecRecords(COUNTERPARTY_SET);
    const cp = found.find((c) => concordMarker(c) === `concord:bitrix24:company:${companyId}`);
    return cp ? String(cp.Ref_Key) : null;
  };
  const companyOfCounterparty = async (ref: string) => {
    const found = await clients.b24<Rec[]>("crm.company.list", { filter: { ORIGINATOR_ID: "1C", ORIGIN_ID: ref }, select: ["ID"] });
    return found[0] ? String(found[0].ID) : null;
  };

  /** A person waits a little for the copy to show up on the other side, then gives up on the edit. */
  async function copyOf<T>(find: () => Promise<T | null>): Promise<T | null> {
    const deadline = Date.now() + COPY_WAIT_MS;
    for (;;) {
      const found = await find();
      if (found !== null || Date.now() > deadline) return found;
      await sleep(1_000);
    }
  }

  async function edit(action: Extract<Action, { kind: "edit" }>, seats: Seats) {
    const { crm, onec } = action;
    const own = await (action.target.origin === "crm" ? dealIds : orderRefs)[action.target.index]?.promise;
    if (!own) return;
    const [dealId, ref] = await Promise.all([
      action.target.origin === "crm" ? own : crm ? copyOf(() => seats.use(() => dealOfOrder(own))) : null,
      action.target.origin === "onec" ? own : onec ? copyOf(() => seats.use(() => orderOfDeal(own))) : null,
    ]);
    const work: Array<Promise<void>> = [];
    if (crm) {
      if (dealId) work.push(seats.use(() => applyCrm(dealId, crm)));
      else result.editsWithoutCounterpart++;
    }
    if (onec) {
      if (ref) work.push(seats.use(() => applyOnec(ref, onec)));
      else result.editsWithoutCounterpart++;
    }
    if (work.length === 2) result.bothSidesEdits++;
    if (work.length === 2 && onec?.kind === "unowned") result.issue9.racingEdits++;
    // Both at once: the two users do not wait for each other.
    const settled = await Promise.allSettled(work);
    for (const s of settled) if (s.status === "rejected") throw s.reason;
  }

  /** A customer edit: only of customers that exist by then (nobody edits a company no order has needed yet). */
  async function editCustomer(action: Extract<Action, { kind: "editCustomer" }>, seats: Seats) {
    const { crm, onec } = action;
    const k = action.target.origin === "crm" ? action.target.index : null;
    const own = k !== null ? companyIds.get(k)?.id : counterpartyRefs.get(action.target.index);
    if (!own) return;
    const [companyId, ref] = await Promise.all([
      k !== null ? own : crm ? copyOf(() => seats.use(() => companyOfCounterparty(own))) : null,
      k === null ? own : onec ? copyOf(() => seats.use(() => counterpartyOfCompany(own))) : null,
    ]);
    const work: Array<Promise<void>> = [];
    if (crm) {
      if (companyId) work.push(seats.use(() => lossy("bitrix24", action.lost, () => applyCompany(k, k === null ? action.target.index : null, companyId, crm))));
      else result.editsWithoutCounterpart++;
    }
    if (onec) {
      if (ref) work.push(seats.use(() => lossy("onec", action.lost, () => applyCounterparty(ref, onec))));
      else result.editsWithoutCounterpart++;
    }
    if (work.length === 2) {
      result.bothSidesEdits++;
      result.issue9.racingEdits++;
    }
    const settled = await Promise.allSettled(work);
    for (const s of settled) if (s.status === "rejected") throw s.reason;
  }

  /** Work done with its side's events lost (issue 11), or as usual. */
  const lossy = async (side: "bitrix24" | "onec", lost: boolean, work: () => Promise<void>) => {
    if (!lost) return work();
    await deps.loss.during(side, work);
    identity.customerEditsLost[side === "bitrix24" ? "crm" : "onec"]++;
  };
  const PAIR_WAIT_MS = 45_000;
  /** Waits for a pair's other end longer than an edit does: the identity actions must act on pairs. */
  async function pairOf<T>(find: () => Promise<T | null>): Promise<T | null> {
    const deadline = Date.now() + PAIR_WAIT_MS;
    for (;;) {
      const found = await find();
      if (found !== null || Date.now() > deadline) return found;
      await sleep(1_500);
    }
  }
  // The deletes of one record happen in plan order: an undelete waits for its delete.
  const lastStep = new Map<string, Promise<unknown>>();
  const inOrder = (key: string, step: () => Promise<void>) => {
    const next = (lastStep.get(key) ?? Promise.resolve()).catch(() => undefined).then(step);
    lastStep.set(key, next);
    return next;
  };

  async function crmDelete(action: Extract<Action, { kind: "crmDelete" | "crmRestore" }>, seats: Seats) {
    const id = await dealIds[action.deal]?.promise;
    if (!id) return;
    // A user deletes a deal that has synced (its 1C order exists), as the e2e tests do. A delete
    // racing the resolver's first read of the deal dead-letters that event today (B24_NOT_FOUND
    // from crm.deal.productrows.get when the deal goes between its two reads; seed 202): with
    // `deleteUnsyncedDeals` the workload deletes without waiting, to expose it once fixed.
    await inOrder(`crm:${action.deal}`, async () => {
      if (action.kind === "crmDelete" && !profile.deleteUnsyncedDeals) {
        if (!(await pairOf(() => seats.use(() => orderOfDeal(id))))) return void identity.skipped.push(`delete of deal ${id}: no 1C order after ${PAIR_WAIT_MS / 1000} s`);
        // … and some time after it synced: Concord's link-back and its echo are read by then.
        await sleep(8_000);
      }
      const entry = identity.crmDeletes.find((e) => e.deal === id);
      if (action.kind === "crmRestore" && entry?.last !== "delete") return void identity.skipped.push(`restore of deal ${id}: it was not deleted`);
      const step = async () => {
        if (action.kind === "crmDelete") await clients.b24("crm.deal.delete", { id });
        else await clients.b24Admin(`recyclebin/deal/${id}/restore`, { method: "POST" });
      };
      await seats.use(() => (action.lost ? deps.loss.during("bitrix24", step) : step()));
      const e = entry ?? { deal: id, last: "delete" as const, steps: 0, lost: 0 };
      if (!entry) identity.crmDeletes.push(e);
      e.last = action.kind === "crmDelete" ? "delete" : "restore";
      e.steps++;
      if (action.lost) e.lost++;
    });
  }

  async function onecMark(action: Extract<Action, { kind: "onecMark" | "onecUnmark" }>, seats: Seats) {
    const { target } = action;
    const own = await (target.origin === "crm" ? dealIds : orderRefs)[target.index]?.promise;
    if (!own) return;
    await inOrder(`${target.origin}:${target.index}`, async () => {
      let entry = identity.onecMarks.find((e) => e.origin === target.origin && e.ref === (target.origin === "onec" ? own : e.ref) && (target.origin === "onec" || markedOf.get(target.index) === e.ref));
      if (action.kind === "onecUnmark" && entry?.last !== "mark") return void identity.skipped.push(`unmark of ${target.origin}-born ${own}: it was not marked`);
      let ref = entry?.ref ?? null;
      if (!ref) {
        // The manager marks an order that has synced: a CRM-born deal's order exists, a 1C-born order has its deal.
        if (target.origin === "crm") ref = await pairOf(() => seats.use(() => orderOfDeal(own)));
        else ref = (await pairOf(() => seats.use(() => dealOfOrder(own)))) ? own : null;
      }
      if (!ref) return void identity.skipped.push(`${action.kind} of ${target.origin}-born ${own}: no pair after ${PAIR_WAIT_MS / 1000} s`);
      const orderRef = ref;
      const step = async () => {
        if (action.kind === "onecMark") {
          // 1C refuses a deletion mark on a posted document: the manager unposts it first.
          if ((await clients.onecRecord(ORDER_SET, orderRef)).Posted === true) await clients.onecAction(ORDER_SET, orderRef, "Unpost");
          await clients.onecPatch(ORDER_SET, orderRef, { DeletionMark: true });
        } else await clients.onecPatch(ORDER_SET, orderRef, { DeletionMark: false });
      };
      await seats.use(() => (action.lost ? deps.loss.during("onec", step) : step()));
      if (!entry) {
        entry = { ref: orderRef, origin: target.origin, last: "mark", steps: 0, lost: 0 };
        identity.onecMarks.push(entry);
        if (target.origin === "crm") markedOf.set(target.index, orderRef);
      }
      entry.last = action.kind === "onecMark" ? "mark" : "unmark";
      entry.steps++;
      if (action.lost) entry.lost++;
    });
  }
  const markedOf = new Map<number, string>();

  /** Header fields a copy in 1C does not take from its original: identity, state and what 1C derives. */
  const NOT_COPIED = new Set(["Ref_Key", "Number", "Date", "DataVersion", "Posted", "DeletionMark", "СостояниеОплаты", "СостояниеОтгрузки", "СуммаДокумента"]);
  async function copyOrder(action: Extract<Action, { kind: "copy" }>, seats: Seats) {
    const dealId = await dealIds[action.deal]?.promise;
    if (!dealId) return;
    // The manager copies an order that is paired (the deal links back to it): a copy made while
    // Concord's create of the original is still in doubt makes its settling find two records
    // carrying the number, which Concord leaves to a person (CREATE_IN_DOUBT_AMBIGUOUS; seed 692527).
    const paired = async () => {
      const order = await orderOfDeal(dealId);
      if (!order) return null;
      const deal = await clients.b24<Rec>("crm.deal.get", { id: dealId });
      return String(deal.ORIGIN_ID ?? "").toLowerCase() === order.toLowerCase() ? order : null;
    };
    const ref = await pairOf(() => seats.use(paired));
    if (!ref) return void identity.skipped.push(`copy of deal ${dealId}'s order: not paired after ${PAIR_WAIT_MS / 1000} s`);
    await seats.use(async () => {
      const original = await clients.onecRecord(ORDER_SET, ref);
      const header = Object.fromEntries(Object.entries(original).filter(([k]) => !k.includes("@") && !NOT_COPIED.has(k)));
      const rows = ((original.Товары as Rec[] | undefined) ?? []).map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => !k.includes("@") && k !== "Ref_Key")));
      const copy = await clients.onecCreate(ORDER_SET, { ...header, Товары: rows });
      copyRefs.add(String(copy.Ref_Key).toLowerCase());
      identity.copies.push({ ref: String(copy.Ref_Key), of: dealId, productRefs: rows.map((r) => String(r.Номенклатура_Key).toLowerCase()) });
    });
  }

  async function forgedDelete(action: Extract<Action, { kind: "forgedDelete" }>) {
    const id = await dealIds[action.deal]?.promise;
    if (!id) return;
    await deps.forge(id);
    identity.forged.push(id);
  }

  async function editProduct(action: Extract<Action, { kind: "editProduct" }>, seats: Seats) {
    const ref = await onecProduct(action.product);
    const name = `Товар хаоса ${plan.onecProducts[action.product] as string}, правка ${action.n}`;
    const step = async () => void (await clients.onecPatch(PRODUCT_SET, ref, { Description: name }));
    await seats.use(() => (action.lost ? deps.loss.during("onec", step) : step()));
    identity.productEdits = identity.productEdits.filter((e) => e.ref !== ref).concat({ ref, name, lost: action.lost });
  }

  /**
   * Issue 13: customers that lived apart for years, seeded before the faults as people made them:
   * a CRM company with its requisite (INN and KPP; a sole trader's preset has the INN only), a 1C
   * counterparty with its partner, INN and KPP.
   */
  async function seedLegacy() {
    for (const g of plan.legacy.groups) {
      const crm: string[] = [];
      for (const c of g.crm) {
        const id = String(await clients.b24<number>("crm.company.add", { fields: { TITLE: c.title } }));
        await clients.b24("crm.requisite.add", { fields: { ENTITY_TYPE_ID: 4, ENTITY_ID: id, PRESET_ID: g.crmKpp ? 1 : 2, NAME: c.title, RQ_INN: g.inn, ...(g.crmKpp ? { RQ_KPP: g.crmKpp } : {}) } });
        crm.push(id);
      }
      const onec: string[] = [];
      const partners: string[] = [];
      for (const c of g.onec) {
        const partner = await clients.onecCreate(PARTNER_SET, { Description: c.name, Клиент: true, ЮрФизЛицо: "Компания" });
        const cp = await clients.onecCreate(COUNTERPARTY_SET, {
          Description: c.name,
          ИНН: g.inn,
          ...(g.onecKpp ? { КПП: g.onecKpp } : {}),
          ЮрФизЛицо: g.kind === "soleTrader" ? "ИндивидуальныйПредприниматель" : "ЮрЛицо",
          Партнер_Key: partner.Ref_Key,
        });
        onec.push(String(cp.Ref_Key).toLowerCase());
        partners.push(String(partner.Ref_Key));
      }
      legacyPartners.push(partners);
      result.legacy.push({ label: g.label, kind: g.kind, inn: g.inn, crmKpp: g.crmKpp, onecKpp: g.onecKpp, crm, onec, deals: [], orders: [] });
    }
  }
  const legacyPartners: string[][] = [];

  async function legacyDeal(action: Extract<Action, { kind: "legacyDeal" }>) {
    const group = result.legacy[action.group];
    const spec = plan.legacy.groups[action.group]?.deals[action.deal];
    const companyId = spec ? group?.crm[spec.company] : undefined;
    if (!group || !spec || !companyId) return;
    const id = String(await clients.b24<number>("crm.deal.add", { fields: { TITLE: `${group.label}: сделка ${action.deal + 1}`, COMPANY_ID: companyId, STAGE_ID: spec.stage } }));
    result.deals.push({ index: -1, id, poisoned: false, legacy: true });
    group.deals.push({ id, company: spec.company });
    await setDealRows(id, spec.rows.map((r) => toCrmRow({ sku: r.sku, quantity: r.quantity, price: priceOf(r.sku) }, crmProducts.get(r.sku))));
  }

  async function legacyOrder(action: Extract<Action, { kind: "legacyOrder" }>, seats: Seats) {
    const group = result.legacy[action.group];
    const spec = plan.legacy.groups[action.group]?.orders[action.order];
    const ref = spec ? group?.onec[spec.counterparty] : undefined;
    const partner = spec ? legacyPartners[action.group]?.[spec.counterparty] : undefined;
    if (!group || !spec || !ref || !partner) return;
    // The manager takes an order for a customer the CRM already knows: once Concord linked the two.
    if (spec.afterPair) {
      const linked = async () => (concordMarker(await clients.onecRecord(COUNTERPARTY_SET, ref))?.startsWith("concord:bitrix24:") ? true : null);
      if (!(await pairOf(() => seats.use(linked)))) return void identity.skipped.push(`1C order of legacy ${group.label}: its counterparty not linked after ${PAIR_WAIT_MS / 1000} s`);
    }
    await seats.use(async () => {
      const lines: Rec[] = [];
      for (const [n, line] of spec.lines.entries()) lines.push({ LineNumber: n + 1, Номенклатура_Key: await onecProductRef(line.sku), Количество: line.quantity, Цена: line.price, Сумма: line.quantity * line.price });
      const order = await clients.onecCreate(ORDER_SET, { Контрагент_Key: ref, Партнер_Key: partner, Статус: "НеСогласован", Комментарий: `${group.label}: заказ из 1С ${action.order + 1}`, Товары: lines });
      const orderRef = String(order.Ref_Key);
      ledger.crmRows({ at: Date.now(), order: orderRef.toLowerCase(), skus: spec.lines.map((l) => l.sku) });
      result.onecOrders.push({ index: -1, ref: orderRef, productRefs: lines.map((l) => String(l.Номенклатура_Key).toLowerCase()), legacy: true });
      group.orders.push({ ref: orderRef.toLowerCase(), counterparty: spec.counterparty });
    });
  }

  return {
    result,
    /** Before the faults: the CRM catalog (one product per 1C article) and half of the customers. */
    async prepare(): Promise<void> {
      for (const sku of SEEDED_SKUS) crmProducts.set(sku, await clients.b24<number>("crm.product.add", { fields: { NAME: `Товар ${sku}`, XML_ID: sku, PRICE: priceOf(sku) } }));
      for (const p of await clients.onecRecords(PRODUCT_SET)) {
        onecProductRefs.set(String(p.Артикул), String(p.Ref_Key));
        skuOfRef.set(String(p.Ref_Key).toLowerCase(), String(p.Артикул));
      }
      for (let k = 0; k < Math.ceil(plan.companyTitles.length / 2); k++) await company(k);
      for (let c = 0; c < Math.ceil(plan.counterparties.length / 2); c++) await counterparty(c);
      for (let p = 0; p < Math.ceil(plan.onecProducts.length / 2); p++) await onecProduct(p);
      await seedLegacy();
    },
    /**
     * Runs the plan against the clock that started at `startedAt`: each action starts at its
     * planned time, so a user waiting for a copy delays no one else; at most
     * `profile.concurrency` calls are made at once.
     */
    async run(startedAt: number, stopped: () => boolean): Promise<WorkloadResult> {
      const seats = createSeats(profile.concurrency);
      const runs = plan.actions.map(async (action) => {
        const wait = startedAt + action.at - Date.now();
        if (wait > 0) await sleep(wait);
        if (stopped()) return;
        try {
          if (action.kind === "createDeal") await seats.use(() => createDeal(action.deal));
          else if (action.kind === "createOnecOrder") await seats.use(() => createOnecOrder(action.order));
          else if (action.kind === "editCustomer") await editCustomer(action, seats);
          else if (action.kind === "crmDelete" || action.kind === "crmRestore") await crmDelete(action, seats);
          else if (action.kind === "onecMark" || action.kind === "onecUnmark") await onecMark(action, seats);
          else if (action.kind === "copy") await copyOrder(action, seats);
          else if (action.kind === "forgedDelete") await forgedDelete(action);
          else if (action.kind === "editProduct") await editProduct(action, seats);
          else if (action.kind === "legacyDeal") await seats.use(() => legacyDeal(action));
          else if (action.kind === "legacyOrder") await legacyOrder(action, seats);
          else if (action.kind === "edit") await edit(action, seats);
        } catch (error) {
          result.failures.push(`${action.kind}: ${(error as Error).message}`);
        }
      });
      await Promise.all(runs);
      for (const [index, c] of companyIds) result.companies.push({ index, ...c });
      for (const [index, ref] of counterpartyRefs) result.counterparties.push({ index, ref, crmChanges: counterpartyChanges.get(index) ?? 0 });
      return result;
    },
  };
}

import { setTimeout as sleep } from "node:timers/promises";
import { COUNTERPARTY_SET, ORDER_SET, PARTNER_SET, PRODUCT_SET, type Clients, type Rec } from "./clients";
import type { Profile } from "./profiles";
import type { Random } from "./prng";

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

interface Row {
  sku: string;
  quantity: number;
  price: number;
}
interface DealSpec {
  title: string;
  company: number;
  stage: string;
  rows: Row[];
  poisoned: boolean;
}
interface OnecOrderSpec {
  comment: string;
  counterparty: number;
  status: string;
  lines: Row[];
}
type CrmChange = { kind: "title"; title: string } | { kind: "stage"; stage: string } | { kind: "rows"; rows: Row[] };
type OnecChange = { kind: "post" } | { kind: "status"; status: string } | { kind: "payment"; state: string } | { kind: "comment"; comment: string };
type Target = { origin: "crm" | "onec"; index: number };
type Action =
  | { at: number; kind: "createDeal"; deal: number }
  | { at: number; kind: "createOnecOrder"; order: number }
  | { at: number; kind: "edit"; target: Target; crm: CrmChange | null; onec: OnecChange | null };

export interface Plan {
  seed: number;
  deals: DealSpec[];
  onecOrders: OnecOrderSpec[];
  companies: number;
  counterparties: number;
  /** Articles of the new 1C products. */
  onecProducts: string[];
  actions: Action[];
}

const priceOf = (sku: string) => 100 * (1 + (Number(sku.slice(-3)) % 9));

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
  const onecProducts = Array.from({ length: profile.onecProducts }, (_, i) => `CH${seed % 100_000}-${i + 1}`);
  const onecSkus = [...SEEDED_SKUS, ...onecProducts];
  const deals: DealSpec[] = Array.from({ length: profile.deals }, (_, i) => ({
    title: `Хаос ${i + 1}`,
    company: random.int(0, profile.companies - 1),
    stage: random.pick(["NEW", "PREPARATION", "EXECUTING"]),
    rows: rowsFrom(SEEDED_SKUS, priceOf),
    poisoned: false,
  }));
  // Poisoned deals are spread over the list, not bunched at the end.
  for (let p = 0; p < Math.min(profile.poisonedDeals, deals.length); p++) {
    const deal = deals[Math.floor(((p + 0.5) * deals.length) / profile.poisonedDeals)];
    if (deal) Object.assign(deal, { poisoned: true, stage: POISON_STAGE, title: `${deal.title} (отравлена)` });
  }
  const onecOrders: OnecOrderSpec[] = Array.from({ length: profile.onecOrders }, (_, i) => ({
    comment: `Заказ из 1С ${i + 1}`,
    counterparty: random.int(0, profile.counterparties - 1),
    status: random.pick(["НеСогласован", "Согласован"]),
    lines: rowsFrom(onecSkus, () => 10 * random.int(10, 90)),
  }));

  const actions: Action[] = [];
  const crmChange = (i: number, n: number): CrmChange => {
    const roll = random.next();
    if (roll < 0.4) return { kind: "title", title: `Хаос ${i + 1} правка ${n}` };
    if (roll < 0.75) return { kind: "stage", stage: random.pick(STAGES) };
    return { kind: "rows", rows: rowsFrom(SEEDED_SKUS, priceOf) };
  };
  const onecChange = (i: number, n: number): OnecChange => {
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
      actions.push({
        at,
        kind: "edit",
        target,
        crm: side === "onec" ? null : crmChange(label, n),
        onec: side === "crm" ? null : onecChange(label, n),
      });
    }
  };
  deals.forEach((deal, i) => {
    const at = random.int(0, createBy);
    actions.push({ at, kind: "createDeal", deal: i });
    if (!deal.poisoned) edits({ origin: "crm", index: i }, at, i);
  });
  onecOrders.forEach((_, i) => {
    const at = random.int(0, createBy);
    actions.push({ at, kind: "createOnecOrder", order: i });
    edits({ origin: "onec", index: i }, at, 1000 + i);
  });
  actions.sort((a, b) => a.at - b.at);
  return { seed, deals, onecOrders, companies: profile.companies, counterparties: profile.counterparties, onecProducts, actions };
}

export interface WorkloadResult {
  /** CRM-born deals that exist, by plan index. */
  deals: Array<{ index: number; id: string; poisoned: boolean }>;
  /** 1C-born orders that exist, with the 1C products the manager put on them. */
  onecOrders: Array<{ index: number; ref: string; productRefs: string[] }>;
  companiesCreated: number;
  counterpartiesCreated: number;
  onecProductsCreated: number;
  crmEdits: number;
  onecEdits: number;
  bothSidesEdits: number;
  /** Edits of a copy that did not exist yet when the user wanted to edit it. */
  editsWithoutCounterpart: number;
  failures: string[];
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

export function createWorkload(plan: Plan, clients: Clients, profile: Profile) {
  const result: WorkloadResult = {
    deals: [],
    onecOrders: [],
    companiesCreated: 0,
    counterpartiesCreated: 0,
    onecProductsCreated: 0,
    crmEdits: 0,
    onecEdits: 0,
    bothSidesEdits: 0,
    editsWithoutCounterpart: 0,
    failures: [],
  };
  const crmProducts = new Map<string, number>();
  const onecProductRefs = new Map<string, string>();
  const dealIds = plan.deals.map(() => deferred<string | null>());
  const orderRefs = plan.onecOrders.map(() => deferred<string | null>());

  const company = memo(async (k) => {
    const id = await clients.b24<number>("crm.company.add", { fields: { TITLE: `ООО Хаос ${plan.seed}-${k + 1}`, EMAIL: [{ VALUE: `buyer${k + 1}@chaos.example`, VALUE_TYPE: "WORK" }] } });
    result.companiesCreated++;
    return id;
  });
  const counterparty = memo(async (c) => {
    const name = `ООО Из 1С ${plan.seed}-${c + 1}`;
    const partner = await clients.onecCreate(PARTNER_SET, { Description: name, Клиент: true, ЮрФизЛицо: "Компания" });
    const inn = String(7700000000 + ((plan.seed * 97 + c) % 99_999_999)).slice(0, 10);
    const cp = await clients.onecCreate(COUNTERPARTY_SET, { Description: name, ИНН: inn, КПП: "770101001", ЮрФизЛицо: "ЮрЛицо", Партнер_Key: partner.Ref_Key });
    result.counterpartiesCreated++;
    return { counterparty: String(cp.Ref_Key), partner: String(partner.Ref_Key) };
  });
  const onecProduct = memo(async (p) => {
    const sku = plan.onecProducts[p] as string;
    const created = await clients.onecCreate(PRODUCT_SET, { Description: `Товар хаоса ${sku}`, Артикул: sku });
    result.onecProductsCreated++;
    onecProductRefs.set(sku, String(created.Ref_Key));
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
  const orderOfDeal = async (dealId: string) => {
    if (!ordersCache || Date.now() - ordersCache.at > Math.max(2_000, ordersCache.size)) {
      const orders = await clients.onecRecords(ORDER_SET);
      ordersCache = { at: Date.now(), size: orders.length, byMarker: new Map(orders.map((o) => [String(o.НомерПоДаннымКлиента), String(o.Ref_Key)])) };
    }
    return ordersCache.byMarker.get(`B24-D-${dealId}`) ?? null;
  };
  // The CRM user finds the deal of a 1C order by its origin.
  const dealOfOrder = async (ref: string) => {
    const found = await clients.b24<Rec[]>("crm.deal.list", { filter: { ORIGINATOR_ID: "1C", ORIGIN_ID: ref }, select: ["ID"] });
    return found[0] ? String(found[0].ID) : null;
  };

  const crmRows = (rows: Row[]) => rows.map((r) => ({ PRODUCT_ID: crmProducts.get(r.sku), PRICE: r.price, QUANTITY: r.quantity }));

  async function createDeal(i: number) {
    const spec = plan.deals[i] as DealSpec;
    try {
      const companyId = await company(spec.company);
      const id = String(await clients.b24<number>("crm.deal.add", { fields: { TITLE: spec.title, COMPANY_ID: companyId, STAGE_ID: spec.stage } }));
      result.deals.push({ index: i, id, poisoned: spec.poisoned });
      dealIds[i]?.resolve(id);
      await clients.b24("crm.deal.productrows.set", { id, rows: crmRows(spec.rows) });
    } finally {
      dealIds[i]?.resolve(null);
    }
  }

  async function createOnecOrder(i: number) {
    const spec = plan.onecOrders[i] as OnecOrderSpec;
    try {
      const cp = await counterparty(spec.counterparty);
      const lines = [];
      for (const [n, line] of spec.lines.entries()) {
        lines.push({ LineNumber: n + 1, Номенклатура_Key: await onecProductRef(line.sku), Количество: line.quantity, Цена: line.price, Сумма: line.quantity * line.price });
      }
      const order = await clients.onecCreate(ORDER_SET, { Контрагент_Key: cp.counterparty, Партнер_Key: cp.partner, Статус: spec.status, Комментарий: spec.comment, Товары: lines });
      result.onecOrders.push({ index: i, ref: String(order.Ref_Key), productRefs: lines.map((l) => String(l.Номенклатура_Key).toLowerCase()) });
      orderRefs[i]?.resolve(String(order.Ref_Key));
    } finally {
      orderRefs[i]?.resolve(null);
    }
  }

  async function applyCrm(dealId: string, change: CrmChange) {
    if (change.kind === "rows") await clients.b24("crm.deal.productrows.set", { id: dealId, rows: crmRows(change.rows) });
    else await clients.b24("crm.deal.update", { id: dealId, fields: change.kind === "title" ? { TITLE: change.title } : { STAGE_ID: change.stage } });
    result.crmEdits++;
  }

  async function applyOnec(ref: string, change: OnecChange) {
    if (change.kind === "post") await clients.onecAction(ORDER_SET, ref, "Post");
    else if (change.kind === "status") await clients.onecPatch(ORDER_SET, ref, { Статус: change.status });
    else if (change.kind === "payment") await clients.onecPatch(ORDER_SET, ref, { СостояниеОплаты: change.state });
    else await clients.onecPatch(ORDER_SET, ref, { Комментарий: change.comment });
    result.onecEdits++;
  }

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
    // Both at once: the two users do not wait for each other.
    const settled = await Promise.allSettled(work);
    for (const s of settled) if (s.status === "rejected") throw s.reason;
  }

  return {
    result,
    /** Before the faults: the CRM catalog (one product per 1C article) and half of the customers. */
    async prepare(): Promise<void> {
      for (const sku of SEEDED_SKUS) crmProducts.set(sku, await clients.b24<number>("crm.product.add", { fields: { NAME: `Товар ${sku}`, XML_ID: sku, PRICE: priceOf(sku) } }));
      for (const p of await clients.onecRecords(PRODUCT_SET)) onecProductRefs.set(String(p.Артикул), String(p.Ref_Key));
      for (let k = 0; k < Math.ceil(plan.companies / 2); k++) await company(k);
      for (let c = 0; c < Math.ceil(plan.counterparties / 2); c++) await counterparty(c);
      for (let p = 0; p < Math.ceil(plan.onecProducts.length / 2); p++) await onecProduct(p);
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
          else await edit(action, seats);
        } catch (error) {
          result.failures.push(`${action.kind}: ${(error as Error).message}`);
        }
      });
      await Promise.all(runs);
      return result;
    },
  };
}

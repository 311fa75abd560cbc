import { vatPercent, type OnecOrderLine } from "@concord/contracts";

/**
 * Owned-only, merged updates. 1C OData replaces a whole tabular part on PATCH and Concord owns
 * only some of its columns, so a part is re-read, the owned columns of matched rows changed,
 * rows added and removed only as the owned data says, and every other row and column sent back
 * as read. Pure: the writer reads, these decide, the writer sends what they return.
 */

export type Row = Record<string, unknown>;

const EMPTY_REF = "00000000-0000-0000-0000-000000000000";
const round2 = (n: number) => Math.round((n + Number.EPSILON) * 100) / 100;
const filled = (v: unknown) => typeof v === "string" && v !== "" && v !== EMPTY_REF;

/** The smallest price in kopecks whose amount for `quantity` is at least `sum` (float noise below 0.0001 kopeck ignored). */
function coveringPrice(sum: number, quantity: number): number {
  return Math.ceil(Math.round((sum / quantity) * 1e6) / 1e4) / 100;
}

/** A row's owned amount columns, as UT 11's posting check recomputes them. */
export interface LineAmounts {
  Количество: number;
  Цена: number;
  ПроцентРучнойСкидки: number;
  СуммаРучнойСкидки: number;
  Сумма: number;
  СуммаНДС: number;
  СуммаСНДС: number;
}

/**
 * A deal row in 1C's terms. Bitrix24 states what the customer pays per unit (PRICE, discount
 * and tax included) and the price before the discount (PRICE_BRUTTO); 1C keeps the list price,
 * the manual discount and VAT apart, with or without VAT in the price (ЦенаВключаетНДС). The
 * line's total — Сумма, plus VAT when prices exclude it — is what the customer pays, so the
 * 1C document total equals the deal's amount.
 */
export function lineAmounts(line: Pick<OnecOrderLine, "price" | "listPrice" | "quantity">, vatRate: unknown, pricesIncludeVat: boolean): LineAmounts {
  const r = vatPercent(vatRate);
  const net = (gross: number) => (pricesIncludeVat ? gross : gross / (1 + r / 100));
  const quantity = line.quantity;
  const paid = Number(line.price);
  const list = Math.max(Number(line.listPrice ?? line.price), paid);
  const sum = round2(net(paid * quantity));
  // Rounded apart, the net list price can fall a kopeck short of the net amount (333.33 × 5 <
  // 1666.67): then it is the smallest price that covers it, and the rest is the discount, so
  // Сумма = Цена × Количество − СуммаРучнойСкидки holds as UT 11 checks it.
  const rounded = round2(net(list));
  const price = quantity > 0 && rounded * quantity < sum ? coveringPrice(sum, quantity) : rounded;
  const discount = Math.max(0, round2(price * quantity - sum));
  const vat = round2(pricesIncludeVat ? (sum * r) / (100 + r) : (sum * r) / 100);
  return {
    Количество: quantity,
    Цена: price,
    ПроцентРучнойСкидки: price * quantity > 0 ? round2((discount / (price * quantity)) * 100) : 0,
    СуммаРучнойСкидки: discount,
    Сумма: sum,
    СуммаНДС: vat,
    СуммаСНДС: pricesIncludeVat ? sum : round2(sum + vat),
  };
}

export interface WantedLine {
  /** Catalog_Номенклатура Ref_Key of the line's article. */
  product: string;
  line: OnecOrderLine;
}

export interface RowDefaults {
  /** СтавкаНДС of a new row whose deal row has no tax rate. */
  vatRate: string | null;
  /** Склад_Key of a new row; only set when the order has no header warehouse. */
  warehouse: string | null;
  pricesIncludeVat: boolean;
}

const OWNED_COLUMNS: ReadonlyArray<keyof LineAmounts | "Номенклатура_Key"> = [
  "Номенклатура_Key",
  "Количество",
  "Цена",
  "ПроцентРучнойСкидки",
  "СуммаРучнойСкидки",
  "Сумма",
  "СуммаНДС",
  "СуммаСНДС",
];

/**
 * The `Товары` part after the deal's lines are applied. Rows are matched by product and
 * occurrence (the n-th row of a product in 1C is the n-th row of that product on the deal),
 * never by LineNumber, which 1C renumbers. A matched row keeps every column Concord does not
 * own (characteristic, warehouse, VAT rate, the cancelled flag) and its VAT is recomputed at its
 * own rate only when its amounts change. Rows follow the deal's order and are renumbered.
 * `changed` is false when no owned value differs: then nothing is sent.
 */
export function mergeOrderRows(current: readonly Row[], wanted: readonly WantedLine[], defaults: RowDefaults): { rows: Row[]; changed: boolean } {
  const byProduct = new Map<string, Row[]>();
  for (const row of [...current].sort((a, b) => Number(a.LineNumber) - Number(b.LineNumber))) {
    const product = String(row.Номенклатура_Key ?? "");
    byProduct.set(product, [...(byProduct.get(product) ?? []), row]);
  }
  const seen = new Map<string, number>();
  const rows: Row[] = wanted.map(({ product, line }, i) => {
    const occurrence = seen.get(product) ?? 0;
    seen.set(product, occurrence + 1);
    const match = byProduct.get(product)?.[occurrence];
    if (match) {
      const amounts = lineAmounts(line, match.СтавкаНДС, defaults.pricesIncludeVat);
      // Without a CRM discount only quantity and amount count: a manager's own split of list
      // price and discount for the same amount stays.
      const compared = line.listPrice === undefined ? (["Количество", "Сумма"] as const) : (["Количество", "Цена", "СуммаРучнойСкидки", "Сумма"] as const);
      const same = compared.every((c) => Math.abs(Number(match[c] ?? 0) - amounts[c]) < 0.005);
      // Unchanged amounts keep the row exactly as read (a manager's VAT sum included).
      return same ? { ...match, LineNumber: i + 1 } : { ...match, ...amounts, LineNumber: i + 1 };
    }
    const vatRate = line.vatRate ?? defaults.vatRate;
    return {
      LineNumber: i + 1,
      Номенклатура_Key: product,
      ...lineAmounts(line, vatRate, defaults.pricesIncludeVat),
      ...(vatRate ? { СтавкаНДС: vatRate } : {}),
      ...(defaults.warehouse ? { Склад_Key: defaults.warehouse } : {}),
    };
  });
  return { rows, changed: !sameOwned(current, rows) };
}

/** Whether the rows hold the same owned values in the same order (LineNumber aside). */
function sameOwned(current: readonly Row[], next: readonly Row[]): boolean {
  if (current.length !== next.length) return false;
  const ordered = [...current].sort((a, b) => Number(a.LineNumber) - Number(b.LineNumber));
  return ordered.every((row, i) => OWNED_COLUMNS.every((c) => JSON.stringify(row[c] ?? null) === JSON.stringify(next[i]?.[c] ?? null)));
}

/** Where a new row's warehouse comes from: none when the order has a header warehouse. */
export function newRowWarehouse(order: Row, fallback: string | null): string | null {
  if (filled(order.Склад_Key)) return null;
  const rows = Array.isArray(order.Товары) ? (order.Товары as Row[]) : [];
  const fromRow = rows.find((r) => filled(r.Склад_Key))?.Склад_Key;
  return typeof fromRow === "string" ? fromRow : fallback;
}

export interface WantedContacts {
  email: string | null;
  phone: string | null;
}

const CONTACT_TYPES = { email: "АдресЭлектроннойПочты", phone: "Телефон" } as const;

/**
 * `КонтактнаяИнформация` with the CRM's e-mail and phone applied: Concord owns the first row
 * of each of these two kinds; addresses and every other row stay as read.
 */
export function mergeContactRows(current: readonly Row[], wanted: WantedContacts): { rows: Row[]; changed: boolean } {
  let rows = [...current].sort((a, b) => Number(a.LineNumber) - Number(b.LineNumber)).map((r) => ({ ...r }));
  let changed = false;
  for (const [key, type] of Object.entries(CONTACT_TYPES) as Array<[keyof WantedContacts, string]>) {
    const value = wanted[key];
    const index = rows.findIndex((r) => r.Тип === type);
    if (value === null) {
      if (index >= 0) {
        rows = rows.filter((_, i) => i !== index);
        changed = true;
      }
      continue;
    }
    if (index < 0) {
      rows.push({ Тип: type, Представление: value, Значение: value });
      changed = true;
    } else if (rows[index]?.Представление !== value) {
      rows[index] = { ...rows[index], Представление: value, Значение: value };
      changed = true;
    }
  }
  return { rows: rows.map((r, i) => ({ ...r, LineNumber: i + 1 })), changed };
}

/** 1C legal forms that a CRM company stands for: a company never resets a sole trader's form. */
const COMPANY_FORMS = new Set(["ЮрЛицо", "ИндивидуальныйПредприниматель", "ЮрЛицоНеРезидент"]);

/** Whether the stored `ЮрФизЛицо` already stands for the CRM kind (company → any legal-entity form). */
export function legalFormAgrees(wanted: string, stored: unknown): boolean {
  return wanted === stored || (wanted === "ЮрЛицо" && COMPANY_FORMS.has(String(stored)));
}

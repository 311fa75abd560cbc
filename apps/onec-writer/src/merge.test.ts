import type { OnecOrderLine } from "@concord/contracts";
import { legalFormAgrees, lineAmounts, mergeContactRows, mergeOrderRows, newRowWarehouse, type Row } from "./merge";

const line = (sku: string, quantity: number, price: string, extra: Partial<OnecOrderLine> = {}): OnecOrderLine => ({
  lineNumber: 1,
  sku,
  name: sku,
  quantity,
  price,
  sum: (Number(price) * quantity).toFixed(2),
  ...extra,
});
const defaults = { vatRate: "НДС20", warehouse: null, pricesIncludeVat: true };

// A manager's order: characteristic, warehouse, VAT 10% and a cancelled row on lines Concord does not own.
const managerRows: Row[] = [
  { LineNumber: 1, Номенклатура_Key: "p1", Характеристика_Key: "size-L", Склад_Key: "w2", Количество: 2, Цена: 100, СуммаРучнойСкидки: 0, Сумма: 200, СтавкаНДС: "НДС10", СуммаНДС: 18.18, СуммаСНДС: 200, Отменено: false },
  { LineNumber: 2, Номенклатура_Key: "p2", Характеристика_Key: "blue", Склад_Key: "w2", Количество: 1, Цена: 50, СуммаРучнойСкидки: 0, Сумма: 50, СтавкаНДС: "НДС20", СуммаНДС: 8.33, СуммаСНДС: 50, Отменено: true },
  { LineNumber: 3, Номенклатура_Key: "p1", Характеристика_Key: "size-M", Склад_Key: "w3", Количество: 1, Цена: 100, СуммаРучнойСкидки: 0, Сумма: 100, СтавкаНДС: "НДС10", СуммаНДС: 9.09, СуммаСНДС: 100, Отменено: false },
];

describe("mergeOrderRows", () => {
  it("changes nothing when the deal's lines are what 1C holds, so nothing is sent", () => {
    const wanted = [{ product: "p1", line: line("A", 2, "100.00") }, { product: "p2", line: line("B", 1, "50.00") }, { product: "p1", line: line("A", 1, "100.00") }];
    const merged = mergeOrderRows(managerRows, wanted, defaults);
    expect(merged.changed).toBe(false);
    expect(merged.rows).toEqual(managerRows);
  });

  it("matches rows by product and occurrence, changing only owned columns and keeping the manager's", () => {
    const wanted = [{ product: "p1", line: line("A", 2, "100.00") }, { product: "p2", line: line("B", 1, "50.00") }, { product: "p1", line: line("A", 4, "100.00") }];
    const merged = mergeOrderRows(managerRows, wanted, defaults);
    expect(merged.changed).toBe(true);
    expect(merged.rows[0]).toEqual(managerRows[0]);
    expect(merged.rows[1]).toEqual(managerRows[1]);
    // The second p1 row (size M) got the new quantity; its characteristic, warehouse and 10% rate stay, VAT follows the sum at that rate.
    expect(merged.rows[2]).toEqual({ ...managerRows[2], Количество: 4, Сумма: 400, Цена: 100, ПроцентРучнойСкидки: 0, СуммаРучнойСкидки: 0, СуммаНДС: 36.36, СуммаСНДС: 400 });
  });

  it("adds a row with the default rate and removes only the rows the deal no longer has", () => {
    const wanted = [{ product: "p1", line: line("A", 2, "100.00") }, { product: "p9", line: line("Z", 3, "10.00", { vatRate: "НДС10" }) }];
    const merged = mergeOrderRows(managerRows, wanted, { ...defaults, warehouse: "w2" });
    expect(merged.rows.map((r) => [r.LineNumber, r.Номенклатура_Key, r.Характеристика_Key])).toEqual([[1, "p1", "size-L"], [2, "p9", undefined]]);
    expect(merged.rows[1]).toMatchObject({ СтавкаНДС: "НДС10", Склад_Key: "w2", Сумма: 30, СуммаНДС: 2.73 });
  });

  it("keeps a manager's list price and discount when the deal states the same amount without a discount", () => {
    const discounted: Row[] = [{ LineNumber: 1, Номенклатура_Key: "p1", Количество: 2, Цена: 100, ПроцентРучнойСкидки: 10, СуммаРучнойСкидки: 20, Сумма: 180, СтавкаНДС: "НДС20", СуммаНДС: 30, СуммаСНДС: 180 }];
    expect(mergeOrderRows(discounted, [{ product: "p1", line: line("A", 2, "90.00") }], defaults)).toEqual({ rows: discounted, changed: false });
    expect(mergeOrderRows(discounted, [{ product: "p1", line: line("A", 2, "90.00", { listPrice: "120.00" }) }], defaults).rows[0]).toMatchObject({ Цена: 120, СуммаРучнойСкидки: 60, Сумма: 180 });
  });

  it("never matches by LineNumber: 1C renumbering its rows changes nothing", () => {
    const renumbered = managerRows.map((r, i) => ({ ...r, LineNumber: 10 - i })).reverse();
    const wanted = [{ product: "p1", line: line("A", 1, "100.00") }, { product: "p2", line: line("B", 1, "50.00") }, { product: "p1", line: line("A", 2, "100.00") }];
    // Sorted by LineNumber the first p1 row is size-M (LineNumber 8) and the second size-L (10).
    const merged = mergeOrderRows(renumbered, wanted, defaults);
    expect(merged.rows.map((r) => r.Характеристика_Key)).toEqual(["size-M", "blue", "size-L"]);
  });
});

describe("lineAmounts", () => {
  it("keeps list price, manual discount and VAT apart with prices including VAT", () => {
    expect(lineAmounts({ price: "90.00", listPrice: "100.00", quantity: 3 }, "НДС20", true)).toEqual({
      Количество: 3, Цена: 100, ПроцентРучнойСкидки: 10, СуммаРучнойСкидки: 30, Сумма: 270, СуммаНДС: 45, СуммаСНДС: 270,
    });
  });

  it("takes VAT out of the price when 1C prices exclude it, so Сумма + VAT is what the customer pays", () => {
    const a = lineAmounts({ price: "120.00", listPrice: "120.00", quantity: 5 }, "НДС20", false);
    expect(a).toMatchObject({ Цена: 100, Сумма: 500, СуммаНДС: 100, СуммаСНДС: 600, СуммаРучнойСкидки: 0 });
  });

  it("is consistent the way UT 11's posting check recomputes it, for awkward numbers", () => {
    // 400 × 5 with VAT on top: net 1666.67, and a net price of 333.33 would fall 2 kopecks short.
    expect(lineAmounts({ price: "400.00", quantity: 5 }, "НДС20", false)).toMatchObject({ Цена: 333.34, СуммаРучнойСкидки: 0.03, Сумма: 1666.67, СуммаНДС: 333.33 });
    for (const [price, list, qty, rate, incl] of [["33.33", "41.67", 3, "НДС20", true], ["99.99", "99.99", 7, "НДС10", false], ["0.01", "0.02", 1, "БезНДС", true], ["400.00", "400.00", 5, "НДС20", false], ["123.45", "123.45", 7, "НДС20", false]] as const) {
      const a = lineAmounts({ price, listPrice: list, quantity: qty }, rate, incl);
      expect(Math.abs(a.Сумма - Math.round((a.Цена * qty - a.СуммаРучнойСкидки) * 100) / 100)).toBeLessThan(0.011);
      expect(a.СуммаРучнойСкидки).toBeGreaterThanOrEqual(0);
    }
  });
});

describe("mergeContactRows", () => {
  const rows: Row[] = [
    { LineNumber: 1, Тип: "Адрес", Представление: "Москва, ул. Ленина, 1", Значение: "{}" },
    { LineNumber: 2, Тип: "АдресЭлектроннойПочты", Представление: "old@ip.ru", Значение: "old@ip.ru" },
    { LineNumber: 3, Тип: "Телефон", Представление: "+7 495 000-00-00", Значение: "+74950000000" },
  ];

  it("changes the e-mail row only and keeps the address", () => {
    const merged = mergeContactRows(rows, { email: "new@ip.ru", phone: "+7 495 000-00-00" });
    expect(merged.changed).toBe(true);
    expect(merged.rows[0]).toEqual(rows[0]);
    expect(merged.rows[1]).toMatchObject({ Представление: "new@ip.ru", Значение: "new@ip.ru" });
    expect(merged.rows[2]).toEqual(rows[2]);
  });

  it("is unchanged when the CRM holds what 1C shows", () => {
    expect(mergeContactRows(rows, { email: "old@ip.ru", phone: "+7 495 000-00-00" }).changed).toBe(false);
  });

  it("adds a missing phone and removes an e-mail the CRM cleared, keeping the address", () => {
    const merged = mergeContactRows(rows.slice(0, 2), { email: null, phone: "+7 900 1" });
    expect(merged.rows.map((r) => [r.LineNumber, r.Тип])).toEqual([[1, "Адрес"], [2, "Телефон"]]);
  });
});

it("lets a CRM company stand for any legal-entity form, a sole trader's included", () => {
  expect(legalFormAgrees("ЮрЛицо", "ИндивидуальныйПредприниматель")).toBe(true);
  expect(legalFormAgrees("ФизЛицо", "ЮрЛицо")).toBe(false);
});

it("gives a new row a warehouse only when the order has none on its header", () => {
  expect(newRowWarehouse({ Склад_Key: "w1", Товары: [] }, "w0")).toBeNull();
  expect(newRowWarehouse({ Склад_Key: "00000000-0000-0000-0000-000000000000", Товары: [{ Склад_Key: "w2" }] }, "w0")).toBe("w2");
});

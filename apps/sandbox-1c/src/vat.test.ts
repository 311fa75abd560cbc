import { VAT_RATES } from "./metadata";
import { documentTotal, expectedRowSum, round2, rowAmountError, sumWithVat, vatAmount, vatPercent } from "./vat";

describe("VAT rates and row arithmetic", () => {
  test("every enum value but the empty one has a percent", () => {
    expect(VAT_RATES.map((r) => [r, vatPercent(r)])).toEqual([
      ["БезНДС", 0], ["НДС0", 0], ["НДС5", 5], ["НДС7", 7], ["НДС10", 10], ["НДС18", 18], ["НДС20", 20], ["НДС22", 22],
      ["НДС5_105", 5], ["НДС7_107", 7], ["НДС10_110", 10], ["НДС18_118", 18], ["НДС20_120", 20], ["НДС22_122", 22],
    ]);
    expect(vatPercent("")).toBeUndefined();
    expect(vatPercent("toString")).toBeUndefined();
  });

  test("round2 rounds half away from zero to kopecks", () => {
    expect([round2(1.005), round2(2.675), round2(-1.005), round2(10)]).toEqual([1.01, 2.68, -1.01, 10]);
  });

  test("row sum is price × quantity less the manual discount", () => {
    expect(expectedRowSum({ Цена: 333.33, Количество: 3, СуммаРучнойСкидки: 50 })).toBe(949.99);
    expect(expectedRowSum({ Цена: 100, Количество: 2 })).toBe(200);
  });

  test("VAT on top or carved out of the sum", () => {
    expect(vatAmount(1000, 20, false)).toBe(200);
    expect(vatAmount(1200, 20, true)).toBe(200);
    expect(vatAmount(100, 10, true)).toBe(9.09);
    expect(sumWithVat(1000, 200, false)).toBe(1200);
    expect(sumWithVat(1200, 200, true)).toBe(1200);
  });

  test("document total: with VAT, cancelled rows left out", () => {
    const rows = [
      { Сумма: 1000, СуммаНДС: 200 },
      { Сумма: 500, СуммаНДС: 100, Отменено: true },
      { Сумма: 0.1, СуммаНДС: 0.02 },
    ];
    expect(documentTotal(rows, false)).toBe(1200.12);
    expect(documentTotal(rows, true)).toBe(1000.1);
  });

  test("amount errors within one kopeck pass; the sum is checked before the VAT", () => {
    const row = { Цена: 100, Количество: 3, СуммаРучнойСкидки: 10, Сумма: 290, СтавкаНДС: "НДС20", СуммаНДС: 58 };
    expect(rowAmountError(row, false)).toBeNull();
    expect(rowAmountError({ ...row, Сумма: 290.01, СуммаНДС: 58 }, false)).toBeNull();
    expect(rowAmountError({ ...row, Сумма: 300 }, false)).toBe("sum");
    expect(rowAmountError({ ...row, СуммаНДС: 48.33 }, false)).toBe("vat");
    expect(rowAmountError({ ...row, СуммаНДС: 48.33 }, true)).toBeNull();
    expect(rowAmountError({ ...row, СтавкаНДС: "БезНДС", СуммаНДС: 0 }, false)).toBeNull();
  });
});

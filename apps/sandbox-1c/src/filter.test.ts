import { buildFilter, parseFilter, type FilterSchema } from "./filter";
import { ENTITY_SETS } from "./metadata";
import { ODataError } from "./odata-error";

const spec = ENTITY_SETS.get("Document_ЗаказКлиента")!;
const schema: FilterSchema = { fields: spec.fields, collections: new Map(spec.tabular.map((p) => [p.name, p.fields])) };

const P1 = "0b8ba4cd-3c39-4b8e-9d6a-1f9c1c0b0001";
const P2 = "0b8ba4cd-3c39-4b8e-9d6a-1f9c1c0b0002";

const orders: Record<string, unknown>[] = [
  {
    Ref_Key: "aaaaaaaa-0000-4000-8000-000000000001",
    Number: "ТД00-000001",
    Date: "2024-01-01T10:00:00",
    Posted: true,
    DeletionMark: false,
    Комментарий: "Срочно, O'Brien",
    НомерПоДаннымКлиента: "B24-100",
    СуммаДокумента: 5000,
    Контрагент_Key: P1,
    Товары: [
      { LineNumber: 1, Номенклатура_Key: P1, Цена: 1000, Сумма: 1000, Отменено: false },
      { LineNumber: 2, Номенклатура_Key: P2, Цена: 4000, Сумма: 4000, Отменено: false },
    ],
  },
  {
    Ref_Key: "aaaaaaaa-0000-4000-8000-000000000002",
    Number: "ТД00-000002",
    Date: "2024-02-15T00:00:00",
    Posted: false,
    DeletionMark: true,
    Комментарий: "",
    НомерПоДаннымКлиента: "B24-200",
    СуммаДокумента: 100,
    Контрагент_Key: P2,
    Товары: [],
  },
];

function numbers(filter: string): string[] {
  const predicate = buildFilter(filter, schema);
  return orders.filter(predicate).map((o) => o.Number as string);
}

function errorOf(filter: string): ODataError {
  try {
    buildFilter(filter, schema);
  } catch (err) {
    if (err instanceof ODataError) return err;
    throw err;
  }
  throw new Error(`expected ${filter} to fail`);
}

describe("$filter parser and evaluator", () => {
  test.each([
    ["НомерПоДаннымКлиента eq 'B24-100'", ["ТД00-000001"]],
    ["НомерПоДаннымКлиента ne 'B24-100'", ["ТД00-000002"]],
    [`Контрагент_Key eq guid'${P2.toUpperCase()}'`, ["ТД00-000002"]],
    ["Date ge datetime'2024-02-01T00:00:00'", ["ТД00-000002"]],
    ["Date lt datetime'2024-02-01T00:00'", ["ТД00-000001"]],
    ["СуммаДокумента gt 1000 and Posted eq true", ["ТД00-000001"]],
    ["СуммаДокумента le 100 or Posted", ["ТД00-000001", "ТД00-000002"]],
    ["not DeletionMark", ["ТД00-000001"]],
    ["not (Posted eq true) and DeletionMark eq true", ["ТД00-000002"]],
    ["(Posted eq true or DeletionMark eq true) and СуммаДокумента lt 200", ["ТД00-000002"]],
    ["Комментарий eq 'Срочно, O''Brien'", ["ТД00-000001"]],
    ["substringof('срочно', Комментарий)", ["ТД00-000001"]],
    ["startswith(НомерПоДаннымКлиента,'B24-2')", ["ТД00-000002"]],
    ["endswith(Number,'0001')", ["ТД00-000001"]],
    ["НомерПоДаннымКлиента eq 'b24-200'", ["ТД00-000002"]],
    [`Товары/any(d: d/Номенклатура_Key eq guid'${P2}')`, ["ТД00-000001"]],
    ["Товары/any(d: d/Цена gt 3000)", ["ТД00-000001"]],
    ["Товары/any()", ["ТД00-000001"]],
    ["Товары/all(d: d/Отменено eq false)", ["ТД00-000001", "ТД00-000002"]],
    ["Комментарий eq null", []],
    ["СуммаДокумента add 100 eq 200", ["ТД00-000002"]],
    ["year(Date) eq 2024 and month(Date) eq 2", ["ТД00-000002"]],
    ["СуммаДокумента eq 5000.0M", ["ТД00-000001"]],
  ])("%s", (filter, expected) => {
    expect(numbers(filter)).toEqual(expected);
  });

  test("a + is not a space: Posted+eq+true is a parse error (code 14)", () => {
    const err = errorOf("Posted+eq+true");
    expect(err.status).toBe(400);
    expect(err.code).toBe("14");
  });

  test.each(["Posted eq", "(Posted eq true", "Комментарий eq 'open", "Posted eq true extra", "guid'nope' eq Ref_Key", "Товары/any(d d/Цена gt 1)", "unknownfn(Number)"])(
    "syntax error %s → 400 code 14",
    (filter) => {
      const err = errorOf(filter);
      expect([err.status, err.code]).toEqual([400, "14"]);
    },
  );

  test("unknown field → 400 code 6, not echoed", () => {
    const err = errorOf("Nope eq 'ZZMARKER'");
    expect([err.status, err.code]).toEqual([400, "6"]);
    expect(err.message).not.toContain("ZZMARKER");
  });

  test("a bare number against a string field is rejected and echoed", () => {
    const err = errorOf("НомерПоДаннымКлиента eq 987654");
    expect([err.status, err.code]).toEqual([400, "14"]);
    expect(err.message).toContain("987654");
  });

  test("a string function over a guid field is an internal error (500 code -1)", () => {
    const err = errorOf("substringof('x', Контрагент_Key)");
    expect([err.status, err.code]).toEqual([500, "-1"]);
  });

  test("a string literal is not accepted for a guid field", () => {
    expect(errorOf(`Контрагент_Key eq '${P1}'`).code).toBe("14");
  });

  test("precedence: and binds tighter than or", () => {
    const ast = parseFilter("Posted or DeletionMark and Posted");
    expect(ast).toMatchObject({ kind: "binary", op: "or", right: { kind: "binary", op: "and" } });
  });

  test("literals", () => {
    expect(parseFilter("Date eq datetime'2024-01-01T00:00:00'")).toMatchObject({ right: { type: "datetime", value: "2024-01-01T00:00:00" } });
    expect(parseFilter("СуммаДокумента eq -1.5")).toMatchObject({ right: { type: "number", value: -1.5 } });
    expect(parseFilter("Комментарий eq 'it''s'")).toMatchObject({ right: { type: "string", value: "it's" } });
    expect(parseFilter("Posted eq false")).toMatchObject({ right: { type: "boolean", value: false } });
  });
});

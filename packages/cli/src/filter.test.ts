import { parseFilter, parseTime, toFilter } from "./filter";

const now = new Date("2026-05-01T12:00:00.000Z");

describe("parseFilter", () => {
  it.each([
    ["code=PRODUCT_NOT_FOUND,system=onec", { code: "PRODUCT_NOT_FOUND", system: "onec" }],
    [" code = ONEC_REJECTED , flow=bitrix24.deal->onec.order ", { code: "ONEC_REJECTED", flow: "bitrix24.deal→onec.order" }],
    ["flow=bitrix24.deal→onec.order", { flow: "bitrix24.deal→onec.order" }],
    ["since=2h,until=2026-05-01", { from: "2026-05-01T10:00:00.000Z", to: "2026-05-01T00:00:00.000Z" }],
    ["from=2026-04-30T08:00:00Z,system=bitrix24", { from: "2026-04-30T08:00:00.000Z", system: "bitrix24" }],
    ["status=open", { status: "open" }],
    ["code=A,", { code: "A" }],
  ])("%s", (text, expected) => {
    expect(parseFilter(text, now)).toEqual(expected);
  });

  it.each([
    ["", /empty filter/],
    ["code", /not key=value/],
    ["=x", /not key=value/],
    ["colour=red", /unknown filter key "colour"/],
    ["code=", /has no value/],
    ["code=A,code=B", /given twice/],
    ["since=2h,from=3h", /given twice/],
    ["system=sap", /bad filter system/],
    ["status=lost", /bad filter status/],
    ["since=yesterday", /not a time/],
  ])("refuses %j", (text, message) => {
    expect(() => parseFilter(text, now)).toThrow(message);
  });
});

describe("parseTime and toFilter", () => {
  it("reads ages and ISO times", () => {
    expect(parseTime("30m", now)).toBe("2026-05-01T11:30:00.000Z");
    expect(parseTime("7d", now)).toBe("2026-04-24T12:00:00.000Z");
    expect(parseTime("2026-05-01T10:00:00+03:00", now)).toBe("2026-05-01T07:00:00.000Z");
  });
  it("maps list options to the console's filter, leaving out what is unset", () => {
    expect(toFilter({ system: "onec", since: "1h" }, now)).toEqual({ system: "onec", from: "2026-05-01T11:00:00.000Z" });
    expect(toFilter({}, now)).toEqual({});
  });
});

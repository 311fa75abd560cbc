import { formatDateTime, parseDateTime, truncateToPortalDay } from "./time";

describe("portal time", () => {
  it("formats ISO with +03:00 and second precision", () => {
    expect(formatDateTime(Date.UTC(2024, 7, 30, 11, 29, 0, 987))).toBe("2024-08-30T14:29:00+03:00");
  });

  it("parses ISO with/without offset, Z, bare dates and dd.mm.yyyy", () => {
    const t = Date.UTC(2024, 7, 30, 11, 29, 0);
    expect(parseDateTime("2024-08-30T14:29:00+03:00")).toBe(t);
    expect(parseDateTime("2024-08-30T13:29:00+0200")).toBe(t);
    expect(parseDateTime("2024-08-30T11:29:00Z")).toBe(t);
    expect(parseDateTime("2024-08-30T14:29:00")).toBe(t);
    expect(parseDateTime("2024-08-30 14:29")).toBe(t);
    expect(parseDateTime("30.08.2024 14:29:00")).toBe(t);
    expect(parseDateTime("2024-08-30")).toBe(Date.UTC(2024, 7, 29, 21, 0, 0));
    expect(parseDateTime("not a date")).toBeNull();
    expect(parseDateTime("")).toBeNull();
  });

  it("truncates to the portal's midnight", () => {
    expect(formatDateTime(truncateToPortalDay(Date.UTC(2024, 7, 30, 22, 30)))).toBe("2024-08-31T00:00:00+03:00");
  });
});

import { parseTimeInput, toTimeInput } from "./time-input";

describe("a filter form's times", () => {
  it("reads a wall-clock time in the console's zone, and an instant as it is", () => {
    expect(parseTimeInput("2026-05-01T14:30", "Europe/Moscow")).toBe("2026-05-01T11:30:00.000Z");
    expect(parseTimeInput("2026-05-01 14:30:15", "UTC")).toBe("2026-05-01T14:30:15.000Z");
    expect(parseTimeInput("2026-05-01T14:30:00+03:00", "UTC")).toBe("2026-05-01T11:30:00.000Z");
    expect(parseTimeInput("2026-05-01T14:30:00Z", "Europe/Moscow")).toBe("2026-05-01T14:30:00.000Z");
  });

  it("takes a date as the start of the day, or its end for a 'to'", () => {
    expect(parseTimeInput("2026-05-01", "Europe/Moscow")).toBe("2026-04-30T21:00:00.000Z");
    expect(parseTimeInput("2026-05-01", "Europe/Moscow", true)).toBe("2026-05-01T20:59:59.999Z");
  });

  it("follows a change of offset (daylight saving time)", () => {
    expect(parseTimeInput("2026-01-15T12:00", "Europe/Berlin")).toBe("2026-01-15T11:00:00.000Z");
    expect(parseTimeInput("2026-07-15T12:00", "Europe/Berlin")).toBe("2026-07-15T10:00:00.000Z");
  });

  it("says empty apart from wrong", () => {
    expect(parseTimeInput("", "UTC")).toBeUndefined();
    expect(parseTimeInput("  ", "UTC")).toBeUndefined();
    expect(parseTimeInput(undefined, "UTC")).toBeUndefined();
    for (const bad of ["yesterday", "2026-02-30", "2026-13-01", "2026-05-01T25:00", "1 May 2026"]) expect(parseTimeInput(bad, "UTC")).toBeNull();
  });

  it("shows an instant back as the form's wall-clock value", () => {
    expect(toTimeInput("2026-05-01T11:30:00.000Z", "Europe/Moscow")).toBe("2026-05-01T14:30:00");
    expect(toTimeInput(parseTimeInput("2026-07-15T12:00", "Europe/Berlin") ?? "", "Europe/Berlin")).toBe("2026-07-15T12:00:00");
    expect(toTimeInput(undefined, "UTC")).toBe("");
  });
});

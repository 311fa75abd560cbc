import { isValidTimeZone, localDateTime } from "./local-time";

describe("local time of the base", () => {
  test("wall time in the configured zone, not the host's", () => {
    const justBeforeMidnightUtc = new Date("2026-03-31T22:30:05Z");
    expect(localDateTime(justBeforeMidnightUtc, "Europe/Moscow")).toBe("2026-04-01T01:30:05");
    expect(localDateTime(justBeforeMidnightUtc, "UTC")).toBe("2026-03-31T22:30:05");
    expect(localDateTime(justBeforeMidnightUtc, "Asia/Vladivostok")).toBe("2026-04-01T08:30:05");
    expect(localDateTime(new Date("2026-01-01T00:00:00Z"), "America/New_York")).toBe("2025-12-31T19:00:00");
  });

  test("IANA names are validated", () => {
    expect(isValidTimeZone("Europe/Moscow")).toBe(true);
    expect(isValidTimeZone("Mars/Olympus")).toBe(false);
  });
});

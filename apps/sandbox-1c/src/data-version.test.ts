import { decodeDataVersion, encodeDataVersion } from "./data-version";

describe("DataVersion", () => {
  test("8-byte big-endian counter in base64, as the platform shows it", () => {
    expect(encodeDataVersion(0)).toBe("AAAAAAAAAAA=");
    expect(encodeDataVersion(1)).toBe("AAAAAAAAAAE=");
    expect(encodeDataVersion(256)).toBe("AAAAAAAAAQA=");
    expect(encodeDataVersion(0xffffffffffffffffn)).toBe("//////////8=");
  });

  test("round-trips and rejects other shapes", () => {
    for (const n of [0n, 1n, 41n, 2n ** 40n]) expect(decodeDataVersion(encodeDataVersion(n))).toBe(n);
    expect(decodeDataVersion("AAAAAQ==")).toBeNull();
    expect(decodeDataVersion("not base64!")).toBeNull();
  });

  test("out of range", () => {
    expect(() => encodeDataVersion(-1)).toThrow(RangeError);
  });
});

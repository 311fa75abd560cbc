import { tokensEqual } from "./token";

describe("tokensEqual", () => {
  const expected = "b24-app-token-0123456789";

  it("matches only the exact token", () => {
    expect(tokensEqual(expected, expected)).toBe(true);
    expect(tokensEqual(`${expected} `, expected)).toBe(false);
    expect(tokensEqual(expected.slice(0, -1), expected)).toBe(false);
    expect(tokensEqual(expected.toUpperCase(), expected)).toBe(false);
    expect(tokensEqual("x", expected)).toBe(false);
  });

  it("never matches missing or non-string values (form nesting can produce arrays and objects)", () => {
    for (const value of [undefined, null, "", 0, [expected], { 0: expected }, [expected, expected]]) {
      expect(tokensEqual(value, expected)).toBe(false);
    }
    expect(tokensEqual("", "")).toBe(false);
  });
});

import { createHmac, randomBytes } from "node:crypto";
import { signingKey, signStandardWebhook, verifyStandardWebhook } from "./signature";

const SECRET = `whsec_${Buffer.from("ingress-test-signing-key-32bytes").toString("base64")}`;
const NOW = 1_736_405_807;
const body = Buffer.from(JSON.stringify({ v: 1, type: "onec.change", ref: "Заказ №1" }), "utf8");
const id = "msg_2b1c";

const request = (overrides: Partial<Parameters<typeof verifyStandardWebhook>[1]> = {}) => ({
  id,
  timestamp: String(NOW),
  signature: signStandardWebhook(SECRET, id, NOW, body),
  body,
  ...overrides,
});
const at = (nowS: number) => ({ toleranceS: 300, nowS });

describe("verifyStandardWebhook", () => {
  it("accepts a valid signature and returns the id and timestamp", () => {
    expect(verifyStandardWebhook(SECRET, request(), at(NOW))).toEqual({ ok: true, id, timestamp: NOW });
  });

  it("signs exactly as the spec says: base64 HMAC-SHA256(base64-decoded key, id.timestamp.body)", () => {
    const key = Buffer.from(SECRET.slice("whsec_".length), "base64");
    const expected = createHmac("sha256", key).update(`${id}.${NOW}.${body.toString("utf8")}`).digest("base64");
    expect(signStandardWebhook(SECRET, id, NOW, body)).toBe(`v1,${expected}`);
  });

  it("rejects a tampered body, id or timestamp", () => {
    const tampered = Buffer.from(body);
    const last = tampered.length - 2;
    tampered.writeUInt8(tampered.readUInt8(last) ^ 1, last);
    expect(verifyStandardWebhook(SECRET, request({ body: tampered }), at(NOW))).toEqual({ ok: false, error: "invalid-signature" });
    expect(verifyStandardWebhook(SECRET, request({ id: "msg_other" }), at(NOW))).toEqual({ ok: false, error: "invalid-signature" });
    expect(verifyStandardWebhook(SECRET, request({ timestamp: String(NOW + 1) }), at(NOW))).toEqual({
      ok: false,
      error: "invalid-signature",
    });
  });

  it("rejects a signature made with another secret", () => {
    const other = `whsec_${randomBytes(32).toString("base64")}`;
    const signature = signStandardWebhook(other, id, NOW, body);
    expect(verifyStandardWebhook(SECRET, request({ signature }), at(NOW)).ok).toBe(false);
  });

  it("accepts any one matching signature of several (secret rotation)", () => {
    const old = signStandardWebhook(`whsec_${randomBytes(32).toString("base64")}`, id, NOW, body);
    const current = signStandardWebhook(SECRET, id, NOW, body);
    expect(verifyStandardWebhook(SECRET, request({ signature: `${old} ${current}` }), at(NOW)).ok).toBe(true);
    expect(verifyStandardWebhook(SECRET, request({ signature: `v1a,xyz ${current} ${old}` }), at(NOW)).ok).toBe(true);
    // Two header lines joined by Node with ", ".
    expect(verifyStandardWebhook(SECRET, request({ signature: `${old}, ${current}` }), at(NOW)).ok).toBe(true);
    expect(verifyStandardWebhook(SECRET, request({ signature: `${old} v2,${current.slice(3)}` }), at(NOW)).ok).toBe(false);
  });

  it("rejects missing or malformed headers as an invalid signature", () => {
    for (const overrides of [
      { id: undefined },
      { id: "" },
      { timestamp: undefined },
      { timestamp: "soon" },
      { timestamp: "1.5" },
      { signature: undefined },
      { signature: "" },
      { signature: "v1," },
      { signature: "v1,not-base64-of-32-bytes" },
    ]) {
      expect(verifyStandardWebhook(SECRET, request(overrides), at(NOW))).toEqual({ ok: false, error: "invalid-signature" });
    }
  });

  it.each([
    [-301, false],
    [-300, true],
    [-299, true],
    [0, true],
    [299, true],
    [300, true],
    [301, false],
  ])("bounds the timestamp: sent %i s from now → accepted %s", (offset, accepted) => {
    const sentAt = NOW + offset;
    const signed = request({ timestamp: String(sentAt), signature: signStandardWebhook(SECRET, id, sentAt, body) });
    const result = verifyStandardWebhook(SECRET, signed, at(NOW));
    expect(result.ok).toBe(accepted);
    if (!accepted) expect(result).toEqual({ ok: false, error: "timestamp-outside-window" });
  });

  it("uses the UTF-8 bytes of a secret without the whsec_ prefix", () => {
    expect(signingKey("plain-passphrase")).toEqual(Buffer.from("plain-passphrase", "utf8"));
    const signature = signStandardWebhook("plain-passphrase", id, NOW, body);
    expect(verifyStandardWebhook("plain-passphrase", request({ signature }), at(NOW)).ok).toBe(true);
    expect(verifyStandardWebhook(SECRET, request({ signature }), at(NOW)).ok).toBe(false);
  });
});

import { createHash, createHmac } from "node:crypto";
import { decodeWebhookSecret, notificationId, signWebhook, verifyWebhook } from "./signature";

describe("Standard Webhooks signature", () => {
  test("matches the Standard Webhooks reference vector", () => {
    // Test vector published with the Standard Webhooks reference libraries.
    const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const sig = signWebhook(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, '{"test": 2432232314}');
    expect(sig).toBe("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
  });

  test("key is the base64-decoded secret after whsec_, signed content is id.timestamp.body", () => {
    const secret = "whsec_c2FuZGJveC0xYy1ub3RpZnktc2VjcmV0LTMyYnl0ZXMhIQ==";
    const key = Buffer.from("c2FuZGJveC0xYy1ub3RpZnktc2VjcmV0LTMyYnl0ZXMhIQ==", "base64");
    expect(decodeWebhookSecret(secret).equals(key)).toBe(true);
    const body = '{"ref":"Заказ"}';
    const expected = createHmac("sha256", key).update(`abc.1700000000.${body}`).digest("base64");
    expect(signWebhook(secret, "abc", 1700000000, body)).toBe(`v1,${expected}`);
  });

  test("verify accepts the right signature among several and rejects tampering", () => {
    const secret = "whsec_c2FuZGJveC0xYy1ub3RpZnktc2VjcmV0LTMyYnl0ZXMhIQ==";
    const sig = signWebhook(secret, "id1", 1700000000, "{}");
    expect(verifyWebhook(secret, "id1", 1700000000, "{}", `v1,AAAA ${sig}`)).toBe(true);
    expect(verifyWebhook(secret, "id1", 1700000001, "{}", sig)).toBe(false);
    expect(verifyWebhook(secret, "id2", 1700000000, "{}", sig)).toBe(false);
    expect(verifyWebhook(secret, "id1", 1700000000, "{ }", sig)).toBe(false);
  });

  test("rejects a secret without the whsec_ prefix", () => {
    expect(() => decodeWebhookSecret("c2VjcmV0")).toThrow(/whsec_/);
  });

  test("webhook-id: first 32 hex chars of sha256(object|ref|dataVersion or deleted)", () => {
    const ref = "fe21b729-6977-5b4b-9cb9-8afa9bb0314a";
    const expected = createHash("sha256").update(`Document_ЗаказКлиента|${ref}|AAAAAAAAAAE=`, "utf8").digest("hex").slice(0, 32);
    expect(notificationId("Document_ЗаказКлиента", ref, "AAAAAAAAAAE=")).toBe(expected);
    expect(notificationId("Document_ЗаказКлиента", ref, null)).toBe(
      createHash("sha256").update(`Document_ЗаказКлиента|${ref}|deleted`, "utf8").digest("hex").slice(0, 32),
    );
    expect(notificationId("Document_ЗаказКлиента", ref, "AAAAAAAAAAE=")).not.toBe(notificationId("Document_ЗаказКлиента", ref, "AAAAAAAAAAI="));
  });
});

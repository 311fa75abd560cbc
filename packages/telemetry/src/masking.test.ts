import { createMasker } from "./masking";

describe("masker", () => {
  const m = createMasker(["s3cr3t-token-value", "пароль-1С"]);

  it("masks known secrets and their encoded forms", () => {
    expect(m.text("token=s3cr3t-token-value")).toBe("token=***");
    expect(m.text(`p=${encodeURIComponent("пароль-1С")}`)).toBe("p=***");
    expect(m.text(Buffer.from("s3cr3t-token-value").toString("base64"))).toBe("***");
  });

  it("masks secrets by shape even when unknown", () => {
    expect(m.text("POST https://x.bitrix24.ru/rest/1/abc123xyz/crm.deal.get.json")).toBe(
      "POST https://x.bitrix24.ru/rest/1/***/crm.deal.get.json",
    );
    expect(m.text("event=ONCRMDEALADD&auth[application_token]=qwerty&ts=1")).toBe(
      "event=ONCRMDEALADD&auth[application_token]=***&ts=1",
    );
    expect(m.text("auth%5Bapplication_token%5D=qwerty&x=1")).toBe("auth%5Bapplication_token%5D=***&x=1");
    expect(m.text("Authorization: Basic Y29uY29yZDpwYXNz")).toBe("Authorization: Basic ***");
    expect(m.text("postgres://user:hunter2@127.0.0.1/db")).toBe("postgres://user:***@127.0.0.1/db");
    expect(m.text("secret whsec_AAAABBBBCCCC")).toBe("secret whsec_***");
    expect(m.text("login failed: password=hunter2; retry")).toBe("login failed: password=***; retry");
    expect(m.text('{"token": "abc123"}')).toBe('{"token": "***"}');
  });

  it("masks secret-named keys in nested objects without touching others", () => {
    expect(m.value({ a: 1, auth: { application_token: "x1", domain: "d" }, list: [{ password: "p" }] })).toEqual({
      a: 1,
      auth: { application_token: "***", domain: "d" },
      list: [{ password: "***" }],
    });
  });

  it("accepts secrets added later", () => {
    const late = createMasker();
    late.addSecrets(["later-secret"]);
    expect(late.text("x later-secret y")).toBe("x *** y");
  });
});

import { createMasker } from "./masking";

describe("masker", () => {
  const m = createMasker(["s3cr3t-token-value", "пароль-1С-длинный", "1234"]);

  it("masks known secrets of at least 8 characters and their encoded forms", () => {
    expect(m.text("token=s3cr3t-token-value")).toBe("token=***");
    expect(m.text(`p=${encodeURIComponent("пароль-1С-длинный")}`)).toBe("p=***");
    expect(m.text(Buffer.from("s3cr3t-token-value").toString("base64"))).toBe("***");
  });

  it("never lets a short secret rewrite numbers (1C password 1234)", () => {
    const json = JSON.stringify({ total: 12345, lines: [{ qty: 1234, price: "81234.00" }] });
    expect(m.text(json)).toBe(json);
    expect(JSON.parse(m.text(json))).toEqual(JSON.parse(json));
  });

  it("leaves business text that only mentions secrets alone", () => {
    for (const text of [
      "Password: reset requested by the customer",
      "password=see the note; token of gratitude",
      "Bearer of the goods: ООО Ромашка",
      "Basic configuration, Bearer bonds 1234567",
      "see /rest/1/x/ in the manual",
      '{"comment": "secret: the usual discount"}',
    ]) {
      expect(m.text(text)).toBe(text);
    }
  });

  it("masks credentials in URLs and headers, in any case and escaping", () => {
    expect(m.text("POST https://x.bitrix24.ru/rest/1/abc123xyz/crm.deal.get.json")).toBe("POST https://x.bitrix24.ru/rest/1/***/crm.deal.get.json");
    expect(m.text(JSON.stringify({ url: "https://x.bitrix24.ru/rest/1/abc123xyz/" }))).toBe(String.raw`{"url":"https:\/\/x.bitrix24.ru\/rest\/1\/***\/"}`.replace(/\\\//g, "/"));
    expect(m.text(String.raw`{"url":"https:\/\/x.bitrix24.ru\/rest\/1\/abc123xyz\/crm.deal.get"}`)).toBe(String.raw`{"url":"https:\/\/x.bitrix24.ru\/rest\/1\/***\/crm.deal.get"}`);
    expect(m.text("https%3A%2F%2Fx.bitrix24.ru%2Frest%2F1%2Fabc123xyz%2Fcrm.deal.get")).toBe("https%3A%2F%2Fx.bitrix24.ru%2Frest%2F1%2F***%2Fcrm.deal.get");
    expect(m.text("event=ONCRMDEALADD&auth[application_token]=qwerty&ts=1")).toBe("event=ONCRMDEALADD&auth[application_token]=***&ts=1");
    expect(m.text("auth%5Bapplication_token%5D=qwerty&x=1")).toBe("auth%5Bapplication_token%5D=***&x=1");
    expect(m.text("Authorization: Basic Y29uY29yZDpwYXNz")).toBe("Authorization: Basic ***");
    expect(m.text("authorization: bearer abcdef123456")).toBe("authorization: bearer ***");
    expect(m.text('{"authorization":"Bearer abc.def.ghi"}')).toBe('{"authorization":"Bearer ***"}');
    expect(m.text("postgres://user:hunter2@127.0.0.1/db")).toBe("postgres://user:***@127.0.0.1/db");
    expect(m.text("nats://svc:p%40ss@127.0.0.1:4222")).toBe("nats://svc:***@127.0.0.1:4222");
    expect(m.text("nats%3A%2F%2Fsvc%3Ahunter2%40127.0.0.1")).toBe("nats%3A%2F%2Fsvc%3A***%40127.0.0.1");
    expect(m.text("secret whsec_AAAABBBBCCCC")).toBe("secret whsec_***");
  });

  it("masks secret-named keys in nested objects (not Ref_Key) and errors inside objects", () => {
    expect(m.value({ a: 1, Ref_Key: "k", auth: { application_token: "x1", domain: "d" }, list: [{ password: "p" }], ONEC_PASSWORD: "1" })).toEqual({
      a: 1,
      Ref_Key: "k",
      auth: { application_token: "***", domain: "d" },
      list: [{ password: "***" }],
      ONEC_PASSWORD: "***",
    });
    const nested = m.value({ failure: { error: new Error("GET https://p.bitrix24.ru/rest/1/tok3n-value/x failed") } }) as { failure: { error: { message: string; stack: string } } };
    expect(nested.failure.error.message).toBe("GET https://p.bitrix24.ru/rest/1/***/x failed");
    expect(nested.failure.error.stack).not.toContain("tok3n-value");
  });

  it("never returns a deep value unmasked", () => {
    let deep: Record<string, unknown> = { leak: "s3cr3t-token-value" };
    for (let i = 0; i < 40; i++) deep = { next: deep };
    expect(JSON.stringify(m.value(deep))).not.toContain("s3cr3t-token-value");
  });

  it("accepts secrets added later", () => {
    const late = createMasker();
    late.addSecrets(["later-secret"]);
    expect(late.text("x later-secret y")).toBe("x *** y");
  });
});

import { bitrix24Url, guidOfLinkRef, onecLinkRef, onecUrl, parseRecordQuery, recordUrl, traceUrl } from "./record-links";

const links = { bitrix24: "https://example.bitrix24.ru/", onec: "https://1c.example.ru/ut11", trace: "http://jaeger:16686/trace/{traceId}" };

describe("links to both systems' records and to a trace", () => {
  it("opens Bitrix24 deals, companies and contacts at their details page; products and bad ids get none", () => {
    expect(bitrix24Url(links, "deal", "42")).toBe("https://example.bitrix24.ru/crm/deal/details/42/");
    expect(bitrix24Url(links, "company", "7")).toBe("https://example.bitrix24.ru/crm/company/details/7/");
    expect(bitrix24Url(links, "contact", "7")).toBe("https://example.bitrix24.ru/crm/contact/details/7/");
    expect(bitrix24Url(links, "product", "7")).toBeNull();
    expect(bitrix24Url(links, "deal", "42/../../x")).toBeNull();
    expect(bitrix24Url({}, "deal", "42")).toBeNull();
  });

  it("writes a Ref_Key in 1C's navigation-link order (the platform's documented example) and reads it back", () => {
    expect(onecLinkRef("bc5d1f86-6ae5-11e3-80c4-000c29b8f1f8")).toBe("80c4000c29b8f1f811e36ae5bc5d1f86");
    expect(guidOfLinkRef("80c4000c29b8f1f811e36ae5bc5d1f86")).toBe("bc5d1f86-6ae5-11e3-80c4-000c29b8f1f8");
  });

  it("opens a 1C record in the web client by its metadata object", () => {
    expect(onecUrl(links, "order", "BC5D1F86-6AE5-11E3-80C4-000C29B8F1F8")).toBe("https://1c.example.ru/ut11/#e1cib/data/Документ.ЗаказКлиента?ref=80c4000c29b8f1f811e36ae5bc5d1f86");
    expect(onecUrl(links, "counterparty", "bc5d1f86-6ae5-11e3-80c4-000c29b8f1f8")).toContain("#e1cib/data/Справочник.Контрагенты?ref=");
    expect(onecUrl(links, "order", "not-a-guid")).toBeNull();
    expect(onecUrl({ bitrix24: links.bitrix24 }, "order", "bc5d1f86-6ae5-11e3-80c4-000c29b8f1f8")).toBeNull();
    expect(recordUrl(links, "onec", "partner", "bc5d1f86-6ae5-11e3-80c4-000c29b8f1f8")).toContain("Справочник.Партнеры");
  });

  it("fills the trace viewer's template with a trace id, and only with one", () => {
    expect(traceUrl(links, "4bf92f3577b34da6a3ce929d0e0e4736")).toBe("http://jaeger:16686/trace/4bf92f3577b34da6a3ce929d0e0e4736");
    expect(traceUrl(links, "x\"><b>")).toBeNull();
    expect(traceUrl({}, "4bf92f3577b34da6a3ce929d0e0e4736")).toBeNull();
  });
});

describe("parseRecordQuery", () => {
  it.each([
    ["", { kind: "empty" }],
    ["  4BF92F3577B34DA6A3CE929D0E0E4736 ", { kind: "trace", traceId: "4bf92f3577b34da6a3ce929d0e0e4736" }],
    ["BC5D1F86-6AE5-11E3-80C4-000C29B8F1F8", { kind: "ref", id: "bc5d1f86-6ae5-11e3-80c4-000c29b8f1f8" }],
    ["B24-D-42", { kind: "record", system: "bitrix24", entity: "deal", id: "42", via: "marker" }],
    ["https://example.bitrix24.ru/crm/company/details/7/", { kind: "record", system: "bitrix24", entity: "company", id: "7", via: "link" }],
    [
      "https://1c.example.ru/ut11/#e1cib/data/Документ.ЗаказКлиента?ref=80c4000c29b8f1f811e36ae5bc5d1f86",
      { kind: "record", system: "onec", entity: "order", id: "bc5d1f86-6ae5-11e3-80c4-000c29b8f1f8", via: "link" },
    ],
    ["42", { kind: "text", text: "42", bitrix24Id: "42", inn: null }],
    ["7701234567", { kind: "text", text: "7701234567", bitrix24Id: "7701234567", inn: "7701234567" }],
    ["ТД00-000001", { kind: "text", text: "ТД00-000001", bitrix24Id: null, inn: null }],
    ["042", { kind: "text", text: "042", bitrix24Id: null, inn: null }],
  ])("%j", (input, expected) => expect(parseRecordQuery(input)).toEqual(expected));

  it("takes only text, and at most 200 characters of it", () => {
    expect(parseRecordQuery(["42"])).toEqual({ kind: "empty" });
    expect((parseRecordQuery("x".repeat(5000)) as { text: string }).text).toHaveLength(200);
  });
});

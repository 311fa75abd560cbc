import { bitrix24Fields, postForm, postOnec, startIngress, type RunningIngress } from "./testing";

const guid = "0f8fad5b-d9cb-469f-a165-70867728950e";
const onecBody = (n: number) =>
  JSON.stringify({ v: 1, type: "onec.change", object: "Document_ЗаказКлиента", ref: guid, dataVersion: `AAAA${n}`, deleted: false, occurredAt: "2026-05-01T12:00:00Z" });

describe("per-source rate limit at ingress (issue 12, finding 9)", () => {
  let ingress: RunningIngress;
  beforeAll(async () => {
    ingress = await startIngress({ INGRESS_RATE_PER_SEC: "0.5", INGRESS_RATE_BURST: "3" });
  });
  afterAll(() => ingress?.stop());

  it("answers 429 with Retry-After beyond the rate, stores none of the refused, and strangers spend no budget", async () => {
    for (let i = 0; i < 5; i++) expect((await postForm(ingress.origin, bitrix24Fields({ "auth[application_token]": "forged-token-xyz", "data[FIELDS][ID]": String(100 + i) }))).status).toBe(401);
    const answers = [];
    for (let i = 0; i < 5; i++) answers.push(await postForm(ingress.origin, bitrix24Fields({ "data[FIELDS][ID]": String(1 + i), ts: String(1736405807 + i) })));
    expect(answers.map((a) => a.status)).toEqual([202, 202, 202, 429, 429]);
    expect(Number(answers[3]?.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(answers[3]?.json).toMatchObject({ error: "too many events" });
    // A forged domain does not open a new bucket: the application token is the source.
    expect((await postForm(ingress.origin, bitrix24Fields({ "data[FIELDS][ID]": "9", "auth[domain]": "other.bitrix24.ru" }))).status).toBe(429);
    // 1C is another source, with its own budget.
    const onec = [];
    for (let i = 0; i < 4; i++) onec.push((await postOnec(ingress.origin, onecBody(i))).status);
    expect(onec).toEqual([202, 202, 202, 429]);
    const stored = await ingress.storedEvents();
    expect(stored.filter((s) => s.event.system === "bitrix24").map((s) => s.event.sourceId).sort()).toEqual(["1", "2", "3"]);
    expect(stored.filter((s) => s.event.system === "onec")).toHaveLength(3);
  });
});

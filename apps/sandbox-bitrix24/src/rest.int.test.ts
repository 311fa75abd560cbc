import { startTestSandbox, sleep, type TestSandbox } from "./testing";

const ISO_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+03:00$/;

let t: TestSandbox;

beforeAll(async () => {
  t = await startTestSandbox();
});
afterAll(async () => {
  await t.stop();
});
beforeEach(async () => {
  await t.admin("POST", "/reset");
});

/** Creates `n` deals through batches of 50 (so rate limits would not matter either). */
async function addDeals(n: number, fields: (i: number) => Record<string, string> = (i) => ({ TITLE: `Deal ${i}` })): Promise<number[]> {
  const ids: number[] = [];
  for (let offset = 0; offset < n; offset += 50) {
    const cmd: Record<string, string> = {};
    for (let i = offset; i < Math.min(n, offset + 50); i++) {
      cmd[`d${i}`] = `crm.deal.add?${new URLSearchParams(Object.entries(fields(i)).map(([k, v]): [string, string] => [`fields[${k}]`, v])).toString()}`;
    }
    const r = await t.call("batch", { halt: 1, cmd });
    expect(r.body.result).toBeDefined();
    const results = (r.body.result as { result: Record<string, number> }).result;
    ids.push(...Object.values(results));
  }
  return ids;
}

describe("envelopes and typing", () => {
  it("add returns an int id; get returns ids and money as strings, flags Y/N, nulls, ISO+03:00", async () => {
    const add = await t.call("crm.deal.add", {
      fields: { TITLE: "Order 1", OPPORTUNITY: 1000000, COMPANY_ID: 9, ORIGIN_ID: "1c-ref", UF_CRM_1C_REF: "abc" },
    });
    expect(add.status).toBe(200);
    expect(typeof add.body.result).toBe("number");
    expect(Object.keys(add.body.time as object)).toEqual([
      "start", "finish", "duration", "processing", "date_start", "date_finish", "operating_reset_at", "operating",
    ]);

    const get = await t.call("crm.deal.get", { id: add.body.result });
    const deal = get.body.result as Record<string, unknown>;
    expect(deal).toMatchObject({
      ID: String(add.body.result),
      TITLE: "Order 1",
      OPPORTUNITY: "1000000.00",
      COMPANY_ID: "9",
      CONTACT_ID: null,
      CATEGORY_ID: "0",
      STAGE_ID: "NEW",
      STAGE_SEMANTIC_ID: "P",
      CURRENCY_ID: "RUB",
      CLOSED: "N",
      OPENED: "Y",
      IS_MANUAL_OPPORTUNITY: "N",
      TAX_VALUE: "0.00",
      ORIGIN_ID: "1c-ref",
      UF_CRM_1C_REF: "abc",
      LEAD_ID: null,
    });
    expect(deal.DATE_CREATE).toMatch(ISO_OFFSET);
    expect(deal.DATE_MODIFY).toMatch(ISO_OFFSET);
    expect(deal).not.toHaveProperty("CONTACT_IDS");
  });

  it("derives stage semantics and prefixes pipeline stages", async () => {
    const won = await t.call("crm.deal.add", { fields: { STAGE_ID: "WON" } });
    const c2 = await t.call("crm.deal.add", { fields: { CATEGORY_ID: 2 } });
    const lost = await t.call("crm.deal.add", { fields: { STAGE_ID: "APOLOGY" } });
    const get = async (id: unknown) => (await t.call("crm.deal.get", { id })).body.result as Record<string, unknown>;
    expect(await get(won.body.result)).toMatchObject({ STAGE_SEMANTIC_ID: "S", CLOSED: "Y" });
    expect(await get(c2.body.result)).toMatchObject({ STAGE_ID: "C2:NEW", CATEGORY_ID: "2", STAGE_SEMANTIC_ID: "P" });
    expect(await get(lost.body.result)).toMatchObject({ STAGE_SEMANTIC_ID: "F", CLOSED: "Y" });
  });

  it("update returns true, ignores unknown and read-only fields, and moves DATE_MODIFY", async () => {
    const id = (await t.call("crm.deal.add", { fields: { TITLE: "before" } })).body.result;
    const before = (await t.call("crm.deal.get", { id })).body.result as Record<string, string>;
    await sleep(1100);
    const upd = await t.call("crm.deal.update", {
      id,
      fields: { TITLE: "after", NOT_A_FIELD: "x", DATE_CREATE: "2000-01-01T00:00:00+03:00", ID: 999, CATEGORY_ID: 5 },
    });
    expect(upd).toEqual({ status: 200, body: expect.objectContaining({ result: true }) });
    const after = (await t.call("crm.deal.get", { id })).body.result as Record<string, string>;
    expect(after.TITLE).toBe("after");
    expect(after).not.toHaveProperty("NOT_A_FIELD");
    expect(after.ID).toBe(before.ID);
    expect(after.DATE_CREATE).toBe(before.DATE_CREATE);
    expect(after.CATEGORY_ID).toBe("0");
    expect(Date.parse(after.DATE_MODIFY as string)).toBeGreaterThan(Date.parse(before.DATE_MODIFY as string));
  });

  it("accepts form-encoded bodies, GET queries and any case of top-level names", async () => {
    const add = await t.callForm("crm.deal.add.json", "FIELDS[TITLE]=From+form&Fields[IGNORED]=1&FIELDS[UF_CRM_NUM]=7");
    expect(add.status).toBe(200);
    const get = await t.callGet("crm.deal.get.json", `ID=${String(add.body.result)}`);
    expect(get.body.result).toMatchObject({ TITLE: "From form", UF_CRM_NUM: "7" });
  });

  it("deletes return true and the record is gone", async () => {
    const id = (await t.call("crm.company.add", { fields: { TITLE: "Co" } })).body.result;
    expect((await t.call("crm.company.delete", { id })).body.result).toBe(true);
    expect((await t.call("crm.company.get", { id })).status).toBe(400);
  });
});

describe("errors", () => {
  it("not found is HTTP 400 with an EMPTY error code, for get, update and delete", async () => {
    const expected = { status: 400, body: { error: "", error_description: "Not found" } };
    expect(await t.call("crm.deal.get", { id: 424242 })).toEqual(expected);
    expect(await t.call("crm.deal.update", { id: 424242, fields: { TITLE: "x" } })).toEqual(expected);
    expect(await t.call("crm.contact.delete", { id: 424242 })).toEqual(expected);
  });

  it("a missing or invalid id and non-object fields have their own texts", async () => {
    expect(await t.call("crm.deal.get", {})).toEqual({ status: 400, body: { error: "", error_description: "ID is not defined or invalid" } });
    expect((await t.call("crm.deal.get", { id: "abc" })).body.error_description).toBe("ID is not defined or invalid");
    expect((await t.call("crm.deal.get", { id: -3 })).body.error_description).toBe("ID is not defined or invalid");
    expect(await t.call("crm.deal.add", { fields: "TITLE=x" })).toEqual({
      status: 400,
      body: { error: "", error_description: "Parameter 'fields' must be array." },
    });
  });

  it("a bad token or user is 401 NO_AUTH_FOUND", async () => {
    const bad = await fetch(`${t.sandbox.baseUrl()}/rest/1/wrong-token/crm.deal.get?id=1`);
    expect(bad.status).toBe(401);
    expect(await bad.json()).toEqual({ error: "NO_AUTH_FOUND", error_description: "Wrong authorization data" });
    const wrongUser = await fetch(`${t.sandbox.baseUrl()}/rest/2/sandbox-webhook-token/crm.deal.get?id=1`);
    expect(wrongUser.status).toBe(401);
  });

  it("an unknown method is 404 ERROR_METHOD_NOT_FOUND", async () => {
    expect(await t.call("crm.deal.frobnicate", {})).toEqual({
      status: 404,
      body: { error: "ERROR_METHOD_NOT_FOUND", error_description: "Method not found!" },
    });
  });
});

describe("list", () => {
  it("pages by 50 with total and next; next is absent on the last page; start=-1 skips counting", async () => {
    await addDeals(120);
    const first = await t.call("crm.deal.list", { order: { ID: "ASC" }, select: ["ID"] });
    expect((first.body.result as unknown[]).length).toBe(50);
    expect(first.body.total).toBe(120);
    expect(first.body.next).toBe(50);

    const last = await t.call("crm.deal.list", { order: { ID: "ASC" }, select: ["ID"], start: 100 });
    expect((last.body.result as unknown[]).length).toBe(20);
    expect(last.body.total).toBe(120);
    expect(last.body).not.toHaveProperty("next");

    const noCount = await t.call("crm.deal.list", { start: -1 });
    expect((noCount.body.result as unknown[]).length).toBe(50);
    expect(noCount.body.total).toBe(0);
    expect(noCount.body).not.toHaveProperty("next");
  });

  it("supports the documented keyset loop (order ID ASC, filter >ID, start=-1) over 120 deals", async () => {
    const created = await addDeals(120);
    const seen: number[] = [];
    let last = 0;
    let pages = 0;
    for (;;) {
      const page = await t.callForm(
        "crm.deal.list",
        `order[ID]=ASC&filter[>ID]=${last}&select[]=ID&select[]=TITLE&start=-1`,
      );
      const rows = page.body.result as Array<{ ID: string }>;
      pages++;
      seen.push(...rows.map((r) => Number(r.ID)));
      if (rows.length < 50) break;
      last = Number(rows[rows.length - 1]?.ID);
    }
    expect(pages).toBe(3);
    expect(seen).toEqual([...created].sort((a, b) => a - b));
  });

  it("select narrows the fields, in the order asked; multi-fields only when named", async () => {
    const id = (await t.call("crm.contact.add", { fields: { NAME: "Ann", PHONE: [{ VALUE: "+7999", VALUE_TYPE: "WORK" }] } })).body.result;
    const all = await t.call("crm.contact.list", {});
    expect((all.body.result as Array<Record<string, unknown>>)[0]).not.toHaveProperty("PHONE");
    const some = await t.call("crm.contact.list", { select: ["NAME", "ID", "PHONE"] });
    const row = (some.body.result as Array<Record<string, unknown>>)[0] as Record<string, unknown>;
    expect(Object.keys(row)).toEqual(["NAME", "ID", "PHONE"]);
    expect(row.PHONE).toEqual([{ ID: expect.any(String), VALUE_TYPE: "WORK", VALUE: "+7999", TYPE_ID: "PHONE" }]);
    expect(row.ID).toBe(String(id));
  });

  it("filters by ORIGIN_ID, @ID and >DATE_MODIFY", async () => {
    const [a, b, c] = await addDeals(3, (i) => ({ TITLE: `D${i}`, ORIGIN_ID: `ref-${i}` }));
    const byOrigin = await t.callGet("crm.deal.list", "filter[ORIGIN_ID]=ref-1&select[]=ID");
    expect(byOrigin.body.result).toEqual([{ ID: String(b) }]);

    const byIds = await t.call("crm.deal.list", { filter: { "@ID": [a, c] }, select: ["ID"] });
    expect(byIds.body.result).toEqual([{ ID: String(a) }, { ID: String(c) }]);

    const stamp = ((await t.call("crm.deal.get", { id: c })).body.result as { DATE_MODIFY: string }).DATE_MODIFY;
    await sleep(1100);
    await t.call("crm.deal.update", { id: a, fields: { COMMENTS: "touched" } });
    const changed = await t.callForm("crm.deal.list", `filter[>DATE_MODIFY]=${encodeURIComponent(stamp)}&select[]=ID`);
    expect(changed.body.result).toEqual([{ ID: String(a) }]);
    // Same instant without an offset (portal time) and in UTC.
    const local = stamp.replace("+03:00", "");
    const noOffset = await t.call("crm.deal.list", { filter: { ">DATE_MODIFY": local }, select: ["ID"] });
    expect(noOffset.body.result).toEqual([{ ID: String(a) }]);
  });
});

describe("product rows", () => {
  it("set replaces all rows and recalculates OPPORTUNITY (IS_MANUAL_OPPORTUNITY=N)", async () => {
    const product = (await t.call("crm.product.add", { fields: { NAME: "Widget", PRICE: 10 } })).body.result as number;
    const id = (await t.call("crm.deal.add", { fields: { TITLE: "With rows", OPPORTUNITY: 5 } })).body.result;
    const set1 = await t.call("crm.deal.productrows.set", {
      id,
      rows: [
        { PRODUCT_ID: product, PRICE: 10.5, QUANTITY: 3 },
        { PRODUCT_NAME: "Free row", PRICE: 100, QUANTITY: 2 },
      ],
    });
    expect(set1.body.result).toBe(true);
    let deal = (await t.call("crm.deal.get", { id })).body.result as Record<string, string>;
    expect(deal.OPPORTUNITY).toBe("231.50");

    await t.callForm("crm.deal.productrows.set", `id=${String(id)}&rows[0][PRODUCT_NAME]=Only&rows[0][PRICE]=7.25&rows[0][QUANTITY]=4`);
    const rows = (await t.call("crm.deal.productrows.get", { id })).body.result as Array<Record<string, unknown>>;
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      ID: expect.any(String),
      OWNER_ID: String(id),
      OWNER_TYPE: "D",
      PRODUCT_ID: 0,
      PRODUCT_NAME: "Only",
      PRICE: 7.25,
      QUANTITY: 4,
      DISCOUNT_TYPE_ID: 2,
      TAX_INCLUDED: "N",
      MEASURE_CODE: 796,
      MEASURE_NAME: "шт",
      SORT: 10,
    });
    deal = (await t.call("crm.deal.get", { id })).body.result as Record<string, string>;
    expect(deal.OPPORTUNITY).toBe("29.00");
    const stats = (await t.admin("GET", "/stats")).body;
    expect(stats.writes.deal.productRowsSet).toBe(2);
  });

  it("a manual OPPORTUNITY is kept; the product name is taken from the catalogue", async () => {
    const product = (await t.call("crm.product.add", { fields: { NAME: "Catalogue name", PRICE: 1 } })).body.result as number;
    const id = (await t.call("crm.deal.add", { fields: { OPPORTUNITY: 999, IS_MANUAL_OPPORTUNITY: "Y" } })).body.result;
    await t.call("crm.deal.productrows.set", { id, rows: [{ PRODUCT_ID: product, PRICE: 1, QUANTITY: 1 }] });
    expect(((await t.call("crm.deal.get", { id })).body.result as Record<string, string>).OPPORTUNITY).toBe("999.00");
    const rows = (await t.call("crm.deal.productrows.get", { id })).body.result as Array<Record<string, unknown>>;
    expect(rows[0]?.PRODUCT_NAME).toBe("Catalogue name");
  });

  it("errors use ERROR_CORE", async () => {
    const missing = await t.call("crm.deal.productrows.set", { id: 777777, rows: [] });
    expect(missing.status).toBe(400);
    expect(missing.body.error).toBe("ERROR_CORE");
    expect((await t.call("crm.deal.productrows.get", {})).body.error).toBe("ERROR_CORE");
  });
});

describe("multi-fields", () => {
  it("an item without ID is appended on update; {ID, DELETE:Y} removes; {ID, VALUE} edits", async () => {
    const id = (await t.call("crm.contact.add", { fields: { NAME: "Ivan", PHONE: [{ VALUE: "+7111", VALUE_TYPE: "WORK" }] } })).body.result;
    await t.call("crm.contact.update", { id, fields: { PHONE: [{ VALUE: "+7222", VALUE_TYPE: "MOBILE" }] } });
    let contact = (await t.call("crm.contact.get", { id })).body.result as { PHONE: Array<{ ID: string; VALUE: string; TYPE_ID: string }> ; HAS_PHONE: string };
    expect(contact.PHONE.map((p) => p.VALUE)).toEqual(["+7111", "+7222"]);
    expect(contact.PHONE.every((p) => typeof p.ID === "string" && p.TYPE_ID === "PHONE")).toBe(true);
    expect(contact.HAS_PHONE).toBe("Y");

    const [first, second] = contact.PHONE;
    await t.call("crm.contact.update", {
      id,
      fields: { PHONE: [{ ID: first?.ID, DELETE: "Y" }, { ID: second?.ID, VALUE: "+7333" }] },
    });
    contact = (await t.call("crm.contact.get", { id })).body.result as typeof contact;
    expect(contact.PHONE).toEqual([{ ID: second?.ID, VALUE_TYPE: "MOBILE", VALUE: "+7333", TYPE_ID: "PHONE" }]);
  });
});

describe("batch", () => {
  it("substitutes $result references and reports per-command errors with HTTP 200", async () => {
    const r = await t.call("batch", {
      halt: 0,
      cmd: {
        add: "crm.deal.add?fields[TITLE]=Batch deal&fields[ORIGIN_ID]=b-1",
        get: "crm.deal.get?id=$result[add]",
        copy: "crm.deal.add?fields[TITLE]=Copy of $result[get][TITLE]",
        missing: "crm.deal.get?id=987654",
        list: "crm.deal.list?filter[ORIGIN_ID]=b-1&select[]=ID",
      },
    });
    expect(r.status).toBe(200);
    const body = r.body.result as Record<string, Record<string, unknown>>;
    const id = body.result?.add as number;
    expect(typeof id).toBe("number");
    expect(body.result?.get).toMatchObject({ ID: String(id), TITLE: "Batch deal" });
    const copy = await t.call("crm.deal.get", { id: body.result?.copy });
    expect((copy.body.result as Record<string, string>).TITLE).toBe("Copy of Batch deal");
    expect(body.result_error).toEqual({ missing: { error: "", error_description: "Not found" } });
    expect(body.result_total).toEqual({ list: 1 });
    expect(body.result_next).toEqual([]);
    expect(Object.keys(body.result_time as object)).toEqual(["add", "get", "copy", "list"]);
    expect(r.body.time).toBeDefined();
  });

  it("halt=1 stops at the first error; empty sections come back as []", async () => {
    const r = await t.call("batch", { halt: 1, cmd: { a: "crm.deal.get?id=0", b: "crm.deal.add?fields[TITLE]=never" } });
    const body = r.body.result as Record<string, unknown>;
    expect(body.result).toEqual([]);
    expect(body.result_error).toEqual({ a: { error: "", error_description: "ID is not defined or invalid" } });
    expect((await t.admin("GET", "/records/deal")).body).toEqual([]);
  });

  it("refuses more than 50 commands", async () => {
    const cmd = Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`c${i}`, "crm.deal.list"]));
    const r = await t.call("batch", { cmd });
    expect(r.status).toBe(400);
    expect(r.body.error).toBe("ERROR_BATCH_LENGTH_EXCEEDED");
  });
});

describe("other methods and admin", () => {
  it("crm.status.list lists the default pipeline stages", async () => {
    const r = await t.call("crm.status.list", { filter: { ENTITY_ID: "DEAL_STAGE" } });
    expect((r.body.result as Array<{ STATUS_ID: string }>).map((s) => s.STATUS_ID)).toEqual([
      "NEW", "PREPARATION", "PREPAYMENT_INVOICE", "EXECUTING", "FINAL_INVOICE", "WON", "LOSE", "APOLOGY",
    ]);
  });

  it("crm.timeline.comment.add stores comments visible on the admin API", async () => {
    const id = (await t.call("crm.deal.add", { fields: { TITLE: "x" } })).body.result;
    const c = await t.call("crm.timeline.comment.add", { fields: { ENTITY_TYPE: "deal", ENTITY_ID: id, COMMENT: "Synced to 1C" } });
    expect(typeof c.body.result).toBe("number");
    const timeline = (await t.admin("GET", "/records/timeline")).body as Array<Record<string, string>>;
    expect(timeline).toEqual([expect.objectContaining({ ENTITY_TYPE: "deal", ENTITY_ID: String(id), COMMENT: "Synced to 1C" })]);
    const missing = await t.call("crm.timeline.comment.add", { fields: { ENTITY_TYPE: "deal", ENTITY_ID: 99999, COMMENT: "x" } });
    expect(missing.status).toBe(400);
  });

  it("crm.timeline.comment.add answers as the vendor spec shows and takes only the lower-case fields key", async () => {
    const id = (await t.call("crm.deal.add", { fields: { TITLE: "x" } })).body.result;
    const c = await t.call("crm.timeline.comment.add", { fields: { ENTITY_TYPE: "deal", ENTITY_ID: id, COMMENT: "Concord: 1C refused the order" } });
    expect(c.status).toBe(200);
    expect(Number.isInteger(c.body.result)).toBe(true);
    expect(c.body.time).toEqual(expect.objectContaining({ start: expect.any(Number), finish: expect.any(Number), duration: expect.any(Number) }));
    // Since crm 23.100.0 FIELDS / arFields are not accepted for this method.
    const upper = await t.call("crm.timeline.comment.add", { FIELDS: { ENTITY_TYPE: "deal", ENTITY_ID: id, COMMENT: "y" } });
    expect(upper.status).toBe(400);
    const timeline = (await t.admin("GET", "/records/timeline")).body as Array<Record<string, string>>;
    expect(timeline.filter((r) => r.ENTITY_ID === String(id)).map((r) => r.COMMENT)).toEqual(["Concord: 1C refused the order"]);
  });

  it("a deal user field defined with crm.deal.userfield.add round-trips through update, get and list", async () => {
    expect((await t.call("crm.deal.userfield.add", { fields: { FIELD_NAME: "CONCORD_SYNC", USER_TYPE_ID: "string", LABEL: "1C" } })).status).toBe(200);
    const id = (await t.call("crm.deal.add", { fields: { TITLE: "x" } })).body.result as number;
    expect((await t.call("crm.deal.get", { id })).body.result).toMatchObject({ UF_CRM_CONCORD_SYNC: null });
    expect((await t.call("crm.deal.update", { id, fields: { UF_CRM_CONCORD_SYNC: "1C: order 0000-000123" } })).body.result).toBe(true);
    expect((await t.call("crm.deal.get", { id })).body.result).toMatchObject({ UF_CRM_CONCORD_SYNC: "1C: order 0000-000123" });
    const listed = await t.call("crm.deal.list", { filter: { ID: id }, select: ["ID", "UF_CRM_CONCORD_SYNC"] });
    expect(listed.body.result).toEqual([{ ID: String(id), UF_CRM_CONCORD_SYNC: "1C: order 0000-000123" }]);
  });

  it("admin records include deal product rows; stats count calls and writes", async () => {
    const id = (await t.call("crm.deal.add", { fields: { TITLE: "x" } })).body.result as number;
    await t.call("crm.deal.productrows.set", { id, rows: [{ PRODUCT_NAME: "r", PRICE: 1, QUANTITY: 1 }] });
    await t.call("crm.deal.get", { id });
    const rec = (await t.admin("GET", `/records/deal/${id}`)).body;
    expect(rec.PRODUCT_ROWS).toHaveLength(1);
    expect((await t.admin("GET", "/records/deal/999")).status).toBe(404);
    const stats = (await t.admin("GET", "/stats")).body;
    expect(stats.methods["crm.deal.add"]).toEqual({ calls: 1, ok: 1, errors: 0 });
    expect(stats.methods["crm.deal.get"].calls).toBe(1);
    expect(stats.writes.deal).toEqual({ adds: 1, updates: 0, deletes: 0, productRowsSet: 1 });
  });

  it("the request log keeps traceparent and never the token", async () => {
    const traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    await t.call("crm.deal.list", {}, { traceparent });
    const log = (await t.admin("GET", "/requests?limit=5")).body as Array<Record<string, unknown>>;
    expect(log.at(-1)).toMatchObject({ method: "crm.deal.list", status: 200, traceparent });
    expect(JSON.stringify(log)).not.toContain("sandbox-webhook-token");
  });

  it("health endpoints answer ok", async () => {
    for (const path of ["/healthz", "/readyz"]) {
      const res = await fetch(`${t.sandbox.baseUrl()}${path}`);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ status: "ok" });
    }
  });
});

import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { isSyncError } from "@concord/contracts";
import { createBitrix24Client } from "./client";

describe("the Bitrix24 client refuses an id that is not a positive integer", () => {
  let server: Server;
  const calls: string[] = [];
  let base = "";
  beforeAll(async () => {
    server = createServer((req, res) => {
      calls.push(req.url ?? "");
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ result: { ID: "7" } }));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/rest/1/webhook-token-123/`;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  it.each(["0", "-1", "7 OR 1", "../profile", "1e3", ""])("getDeal(%j) sends nothing", async (id) => {
    const client = createBitrix24Client({ webhookBase: base });
    calls.length = 0;
    const error: unknown = await client.getDeal(id).then(() => null, (e: unknown) => e);
    expect(isSyncError(error) && error.code === "INVALID_RECORD_ID").toBe(true);
    await expect(client.updateDeal(id, {})).rejects.toThrow(/not a Bitrix24 id/);
    expect(calls).toEqual([]);
  });

  it("a positive integer goes through", async () => {
    const client = createBitrix24Client({ webhookBase: base });
    await expect(client.getDeal("7")).resolves.toEqual({ ID: "7" });
  });
});

import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { isSyncError } from "@concord/contracts";
import { createOnecClient, odataGuid } from "./client";

const guid = "0f8fad5b-d9cb-469f-a165-70867728950e";
const crafted = `${guid}')/../../Catalog_Пользователи(guid'${guid}`;

describe("the 1C client refuses to build a URL from an unvalidated key", () => {
  let server: Server;
  const paths: string[] = [];
  let root = "";
  beforeAll(async () => {
    server = createServer((req, res) => {
      paths.push(req.url ?? "");
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ Ref_Key: guid }));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    root = `http://127.0.0.1:${(server.address() as AddressInfo).port}/trade/odata/standard.odata/`;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  it.each(["get", "patch", "post", "unpost"] as const)("%s with a crafted id sends nothing", async (method) => {
    const client = createOnecClient({ serviceRoot: root, user: "concord", password: "secret-password" });
    paths.length = 0;
    const call = method === "patch" ? client.patch("Document_ЗаказКлиента", crafted, {}) : client[method]("Document_ЗаказКлиента", crafted);
    const error: unknown = await call.then(() => null, (e: unknown) => e);
    expect(isSyncError(error) && error.code === "INVALID_RECORD_ID" && error.kind === "permanent").toBe(true);
    expect(paths).toEqual([]);
  });

  it("a valid id is requested as guid'…'", async () => {
    const client = createOnecClient({ serviceRoot: root, user: "concord", password: "secret-password" });
    paths.length = 0;
    await client.get("Document_ЗаказКлиента", guid);
    expect(decodeURIComponent(paths[0] ?? "")).toBe(`/trade/odata/standard.odata/Document_ЗаказКлиента(guid'${guid}')?$format=json`);
    expect(() => odataGuid("x' or 1 eq 1 or guid'")).toThrow(/not a 1C Ref_Key/);
  });
});

import { onecCallName } from "./client";

describe("onecCallName", () => {
  it("names the verb and the set, never the record's key", () => {
    const order = encodeURIComponent("Document_ЗаказКлиента");
    const ref = "0f8fad5b-d9cb-469f-a165-70867728950e";
    expect(onecCallName("GET", order)).toBe("GET Document_ЗаказКлиента");
    expect(onecCallName("PATCH", `${order}(guid'${ref}')`)).toBe("PATCH Document_ЗаказКлиента(…)");
    expect(onecCallName("POST", `${order}(guid'${ref}')/Post`)).toBe("POST Document_ЗаказКлиента(…)/Post");
    expect(onecCallName("GET", `${encodeURIComponent("Catalog_Контрагенты")}/$count`)).toBe("GET Catalog_Контрагенты/$count");
    expect(onecCallName("GET", "%E0%A4%A")).toBe("GET %E0%A4%A");
  });
});

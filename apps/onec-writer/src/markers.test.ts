import { MARKER_PROPERTY, markerMigration, markerOf, markerRows } from "./markers";

const marker = "concord:bitrix24:company:7";
const address = { LineNumber: 1, Свойство_Key: "0a0b0c0d-0000-4000-8000-000000000001", Значение: "VIP", Значение_Type: "Edm.String", ТекстоваяСтрока: "" };

it("reads the marker from the attribute, and from the comment an earlier version wrote", () => {
  expect(markerOf({ Ref_Key: "r", ДополнительныеРеквизиты: markerRows(marker), Комментарий: "позвонить после 15:00" })).toBe(marker);
  expect(markerOf({ Ref_Key: "r", Комментарий: marker })).toBe(marker);
  expect(markerOf({ Ref_Key: "r", Комментарий: "обычный комментарий" })).toBeNull();
});

it("moves a legacy marker out of the comment, keeping the record's other attributes", () => {
  expect(markerMigration({ Ref_Key: "r", Комментарий: marker, ДополнительныеРеквизиты: [address] }, marker)).toEqual({
    Комментарий: "",
    ДополнительныеРеквизиты: [address, { ...markerRows(marker)[0], LineNumber: 2 }],
  });
});

it("never touches a comment a person wrote, nor a record already migrated", () => {
  expect(markerMigration({ Ref_Key: "r", Комментарий: "позвонить после 15:00" }, marker)).toEqual({});
  expect(markerMigration({ Ref_Key: "r", Комментарий: marker, ДополнительныеРеквизиты: markerRows(marker) }, marker)).toEqual({});
  expect(MARKER_PROPERTY).toMatch(/^[0-9a-f-]{36}$/);
});

import { classifyOnecError } from "./classify";

const err = (code: string, value: string) => ({ "odata.error": { code, message: { lang: "ru", value } } });

describe("classifyOnecError", () => {
  it.each([
    [500, undefined, "retryable", "ONEC_UNKNOWN_OUTCOME"],
    [500, err("-1", "Конфликт блокировок при выполнении транзакции"), "retryable", "ONEC_LOCKED"],
    [500, err("-1", "Не заполнено поле \"Партнер\""), "permanent", "ONEC_REJECTED"],
    [503, undefined, "retryable", "ONEC_HTTP_503"],
    [401, undefined, "permanent", "ONEC_UNAUTHORIZED"],
    [403, undefined, "permanent", "ONEC_FORBIDDEN"],
    [404, err("9", "Экземпляр сущности не найден"), "permanent", "ONEC_NOT_FOUND"],
    [400, err("14", "Ошибка разбора $filter"), "permanent", "ONEC_INVALID_14"],
    [400, err("6", "Поле не найдено"), "permanent", "ONEC_UNKNOWN_FIELD"],
  ])("HTTP %s %j → %s %s", (status, body, kind, code) => {
    const error = classifyOnecError(status, body, null, "POST Document_ЗаказКлиента");
    expect(error.kind).toBe(kind);
    expect(error.code).toBe(code);
  });

  it("tells a business rejection from a pipeline fault", () => {
    expect(classifyOnecError(500, err("-1", "Не заполнено"), null, "x").failureClass).toBe("business");
    expect(classifyOnecError(401, undefined, null, "x").failureClass).toBe("pipeline");
    expect(classifyOnecError(500, undefined, null, "x").failureClass).toBe("pipeline");
  });
});

/**
 * Errors as the 1C OData service reports them:
 * `{"odata.error":{"code":"9","message":{"lang":"ru","value":"…"}}}`.
 */
export class ODataError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "ODataError";
  }

  toBody(): { "odata.error": { code: string; message: { lang: string; value: string } } } {
    return { "odata.error": { code: this.code, message: { lang: "ru", value: this.message } } };
  }
}

export const odataErrors = {
  notFound: () => new ODataError(404, "9", "Экземпляр сущности не найден"),
  unknownSet: (name: string) => new ODataError(404, "6", `Не найден сегмент пути: ${name}`),
  unknownField: (name: string) => new ODataError(400, "6", `Не найдено свойство: ${name}`),
  badSegment: () => new ODataError(400, "6", "Неправильный сегмент пути"),
  methodNotAllowed: () => new ODataError(400, "6", "Метод не поддерживается для данного ресурса"),
  unparsable: (value: string, type: string) =>
    new ODataError(400, "1", `Не удалось разобрать строку '${value}' как значение типа ${type}!`),
  filterSyntax: (detail: string) => new ODataError(400, "14", `Ошибка разбора выражения $filter: ${detail}`),
  /** Sandbox limitation, said plainly rather than imitating a platform answer. */
  expandUnsupported: (value: string) => new ODataError(400, "6", `$expand не поддерживается песочницей: ${value}`),
  tabularDirect: () => new ODataError(400, "13", "Создание строк табличной части напрямую не поддерживается"),
  internal: (message: string) => new ODataError(500, "-1", message),
} as const;

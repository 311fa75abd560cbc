// Bitrix24 error envelopes. CRM entity errors carry an EMPTY code and HTTP 400; clients (the
// official PHP SDK among them) tell them apart by the text, so the texts here are verbatim.

export class RestError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly description: string,
  ) {
    super(`${code || "(empty)"}: ${description}`);
    this.name = "RestError";
  }

  toBody(): { error: string; error_description: string } {
    return { error: this.code, error_description: this.description };
  }
}

export const restErrors = {
  noAuth: () => new RestError(401, "NO_AUTH_FOUND", "Wrong authorization data"),
  methodNotFound: () => new RestError(404, "ERROR_METHOD_NOT_FOUND", "Method not found!"),
  notFound: () => new RestError(400, "", "Not found"),
  idInvalid: () => new RestError(400, "", "ID is not defined or invalid"),
  fieldsNotArray: () => new RestError(400, "", "Parameter 'fields' must be array."),
  queryLimit: () => new RestError(503, "QUERY_LIMIT_EXCEEDED", "Too many requests"),
  operationLimit: () =>
    new RestError(429, "OPERATION_TIME_LIMIT", "Method is blocked due to operation time limit."),
  internal: () => new RestError(500, "INTERNAL_SERVER_ERROR", "Internal server error"),
  batchLength: () => new RestError(400, "ERROR_BATCH_LENGTH_EXCEEDED", "Max batch length exceeded"),
  batchMethodNotAllowed: () =>
    new RestError(405, "ERROR_BATCH_METHOD_NOT_ALLOWED", "Method is not allowed for batch usage"),
  core: (description: string) => new RestError(400, "ERROR_CORE", description),
  invalidRequest: (description: string) => new RestError(400, "INVALID_REQUEST", description),
} as const;

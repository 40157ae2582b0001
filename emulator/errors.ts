/** A portal error: `{"error":"CODE","error_description":"text"}` with its HTTP status. */
export class RestError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly description: string,
  ) {
    super(`${code}: ${description}`);
  }
}

export const coreError = (description: string): RestError => new RestError(400, "ERROR_CORE", description);

export const invalidArgument = (description: string): RestError =>
  new RestError(400, "INVALID_ARGUMENT", description);

export const wrongAuthType = (): RestError =>
  new RestError(403, "WRONG_AUTH_TYPE", "Current authorization type is denied for this method");

export const methodNotFound = (): RestError =>
  new RestError(404, "ERROR_METHOD_NOT_FOUND", "Method not found!");

export const notFound = (): RestError => new RestError(400, "NOT_FOUND", "Not found");

export const queryLimitExceeded = (): RestError =>
  new RestError(503, "QUERY_LIMIT_EXCEEDED", "Too many requests");

export const operationTimeLimit = (): RestError =>
  new RestError(429, "OPERATION_TIME_LIMIT", "Method is blocked due to operation time limit.");

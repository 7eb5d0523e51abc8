/**
 * Runs one SDK operation: sends it through the vendor's transport, then decides success from the HTTP status
 * (never from openapi-fetch's `error` field alone) and turns failures into the public error classes.
 */
import { ApiStatusError, PrivacyApiError } from './errors.js';
import {
  type CallOptions,
  defaultErrorForStatus,
  headersObject,
  type Operation,
  requestIdOf,
  type StatusHints,
} from './exchange.js';
import type { RawResult, RequestFetch } from './openapi-client.js';
import type { ExchangeOptions, Transport } from './transport.js';

export { type CallOptions, defaultErrorForStatus, headersObject, type Operation, requestIdOf, type StatusHints };

export interface Success<T> {
  data: T;
  response: Response;
}

/** Sends `invoke` through `transport` and returns the parsed body of a 2xx response, or throws. */
export async function execute<T>(
  transport: Transport,
  op: Operation,
  options: ExchangeOptions | undefined,
  invoke: (fetch: RequestFetch) => Promise<RawResult>,
): Promise<Success<T>> {
  const exchange = transport.exchange(op, options);
  let result: RawResult;
  try {
    result = await invoke(exchange.fetch);
  } catch (err) {
    if (err instanceof PrivacyApiError) throw err;
    // The transport has read the whole body; openapi-fetch throws SyntaxError when a 2xx body is not JSON.
    throw new ApiStatusError(
      `${op.vendor} ${op.operation}: the response body is not the JSON the operation expects (${(err as Error).name})`,
      { ...op, ...exchange.details(), cause: transport.redactor.string(String(err)) },
    );
  }
  const { response } = result;
  if (response.ok) return { data: result.data as T, response };
  throw transport.errorForStatus({
    ...op,
    ...exchange.details(),
    status: response.status,
    headers: headersObject(response.headers, transport.redactor),
    body: result.error === '' ? undefined : transport.redactor.value(result.error),
    requestId: requestIdOf(response.headers, transport.redactor),
  });
}

/** A 2xx whose body lacks what the operation needs: a vendor-side problem, reported with status and (redacted) body. */
export function unusableResponse(
  transport: Transport,
  op: Operation,
  success: Success<unknown>,
  what: string,
): ApiStatusError {
  return new ApiStatusError(`${op.vendor} ${op.operation}: ${what}`, {
    ...op,
    status: success.response.status,
    body: transport.redactor.value(success.data),
    requestId: requestIdOf(success.response.headers, transport.redactor),
  });
}

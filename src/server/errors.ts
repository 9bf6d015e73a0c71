/** Problem details (RFC 9457) — the one place HTTP errors are shaped. */
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

export interface ProblemError {
  /** Position of the event in a batch, when the problem concerns one event. */
  readonly index?: number;
  /** Field path, e.g. `properties.products[0].price`. */
  readonly path: string;
  readonly message: string;
}

export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly errors?: readonly ProblemError[];
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
};

export function problem(
  c: Context,
  status: ContentfulStatusCode,
  detail: string,
  errors?: readonly ProblemError[],
  headers?: Record<string, string>,
): Response {
  const body: Problem = {
    type: `https://patron.dev/problems/${status}`,
    title: TITLES[status] ?? 'Error',
    status,
    detail,
    ...(errors ? { errors } : {}),
  };
  return c.newResponse(JSON.stringify(body), status, {
    'content-type': 'application/problem+json',
    ...headers,
  });
}

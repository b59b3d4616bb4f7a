/**
 * One error handler for every BFF: whatever goes wrong inside a request ends as a JSON
 * error body from the catalogue, with the request id, and is logged with its cause.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { PorticoError, errorBody, toPorticoError } from '../errors';

const MATRIX_PARAMETER = /;|%3b/i;

export function sendError(request: FastifyRequest, reply: FastifyReply, error: PorticoError): FastifyReply {
  for (const [name, value] of Object.entries(error.headers)) reply.header(name, value);
  return reply.code(error.statusCode).type('application/json; charset=utf-8').send(errorBody(error, request.id));
}

/** Installs the error and not-found handlers on the root instance (not encapsulated). */
export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((err, request, reply) => {
    const error = toPorticoError(err);
    if (error.statusCode >= 500) {
      request.log.error({ err: error.cause ?? error, code: error.code }, 'request failed');
    } else {
      request.log.info({ code: error.code, reason: (error.cause as Error | undefined)?.message ?? error.message }, 'request rejected');
    }
    return sendError(request, reply, error);
  });
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0] ?? '';
    // No route has a `;`: a path with one (`/v1/users;x`) is a matrix-parameter attempt, refused as such.
    if (MATRIX_PARAMETER.test(path)) return sendError(request, reply, new PorticoError('BAD_REQUEST', 'This path is not allowed: matrix parameters (;) are not allowed.'));
    return sendError(request, reply, new PorticoError('NOT_FOUND', `No route matches ${request.method} ${path}.`));
  });
}

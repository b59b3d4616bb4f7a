/**
 * The trusted-documents stage in front of the GraphQL server: a request by document id (or
 * persisted-query hash) gets its registered document, anything refused is answered here.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { resolveDocument, type TrustedDocument } from './trusted-documents';

/** Replaces a document id by its trusted document before Apollo sees the request, or refuses it. */
export function trustedDocumentsHook(documents: ReadonlyMap<string, TrustedDocument>, requireTrusted: boolean) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const isGet = request.method === 'GET';
    const input = (isGet ? request.query : request.body) as Record<string, unknown> | undefined;
    if (!input || typeof input !== 'object' || Array.isArray(input)) return;
    let extensions = input.extensions;
    if (isGet && typeof extensions === 'string') {
      try {
        extensions = JSON.parse(extensions);
      } catch {
        extensions = undefined;
      }
    }
    const resolution = resolveDocument({ query: input.query, id: input.id, documentId: input.documentId, extensions }, documents, requireTrusted);
    if (!resolution.ok) {
      return reply.code(resolution.status).send({ errors: [{ message: resolution.message, extensions: { code: resolution.code, requestId: request.id } }] });
    }
    if (resolution.query !== undefined) input.query = resolution.query;
    delete input.id;
    delete input.documentId;
    if (isGet) {
      // The GraphQL server reads GET parameters from the URL itself, so the URL is rewritten.
      const url = new URL(request.raw.url ?? '/', 'http://portico.local');
      url.searchParams.delete('id');
      url.searchParams.delete('documentId');
      if (resolution.query !== undefined) url.searchParams.set('query', resolution.query);
      request.raw.url = `${url.pathname}${url.search}`;
    }
    return undefined;
  };
}

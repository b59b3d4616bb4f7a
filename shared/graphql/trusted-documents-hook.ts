/**
 * The trusted-documents stage in front of the GraphQL server: a request by document id (or
 * persisted-query hash) gets the document registered for its client, anything refused is
 * answered here.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { IncomingHttpHeaders } from 'node:http';
import { graphqlReportOf } from '../request-context';
import { CLIENT_NAME_PATTERN, CLIENT_VERSION_PATTERN } from './trusted-document-manifests';
import { resolveDocument, type ClientIdentity, type TrustedDocumentStore } from './trusted-documents';

/** The request fields that name a document; removed before Apollo sees the request. */
const ID_FIELDS = ['id', 'documentId', 'doc_id'] as const;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function firstHeader(headers: IncomingHttpHeaders, names: readonly string[], pattern: RegExp): string | undefined {
  for (const name of names) {
    const value = headers[name];
    // A repeated header is ambiguous and a malformed one names no imported client: both count as unknown.
    if (typeof value === 'string') return pattern.test(value) ? value : undefined;
  }
  return undefined;
}

/** Pure: the client a request says it is, from Apollo's client-awareness headers or `x-client-name` / `x-client-version`. */
export function clientIdentityOf(headers: IncomingHttpHeaders): ClientIdentity {
  const name = firstHeader(headers, ['apollographql-client-name', 'x-client-name'], CLIENT_NAME_PATTERN);
  const version = firstHeader(headers, ['apollographql-client-version', 'x-client-version'], CLIENT_VERSION_PATTERN);
  return { ...(name !== undefined ? { name } : {}), ...(version !== undefined ? { version } : {}) };
}

/** Replaces a document id by its trusted document before Apollo sees the request, or refuses it. */
export function trustedDocumentsHook(store: TrustedDocumentStore, requireTrusted: boolean) {
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
    const resolution = resolveDocument({ query: input.query, id: input.id, documentId: input.documentId, doc_id: input.doc_id, extensions }, clientIdentityOf(request.headers), store, requireTrusted);
    if (!resolution.ok) {
      graphqlReportOf(request).errorCode = resolution.code;
      return reply.code(resolution.status).send({ errors: [{ message: resolution.message, extensions: { code: resolution.code, requestId: request.id } }] });
    }
    if (resolution.query !== undefined) input.query = resolution.query;
    for (const field of ID_FIELDS) delete input[field];
    // A persisted-query hash answered from the trusted documents has done its work: without it
    // Apollo Server does not register the text again in its own cache, and a repeated
    // operation can take direct execution (direct-execution.ts).
    if (!isGet && resolution.query !== undefined && isRecord(input.extensions) && 'persistedQuery' in input.extensions) {
      const { persistedQuery: _resolved, ...rest } = input.extensions;
      if (Object.keys(rest).length > 0) input.extensions = rest;
      else delete input.extensions;
    }
    if (isGet) {
      // The GraphQL server reads GET parameters from the URL itself, so the URL is rewritten.
      const url = new URL(request.raw.url ?? '/', 'http://portico.local');
      for (const field of ID_FIELDS) url.searchParams.delete(field);
      if (resolution.query !== undefined) url.searchParams.set('query', resolution.query);
      request.raw.url = `${url.pathname}${url.search}`;
    }
    return undefined;
  };
}

// Persisted documents: operations a client sends by id instead of in full, read from the
// manifests its build wrote (Apollo's persisted query list format, or GraphQL Code
// Generator's persisted-documents.json). They come on top of Apollo Server's automatic
// persisted queries (APQ: any client may register a document by its SHA-256 and send the
// hash afterwards). In safelist mode (PERSISTED_DOCUMENTS=required) nothing else runs: a
// document that is in no manifest is refused before it is parsed.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import type { GraphQLError } from 'graphql';
import { ConfigError } from '../platform/config.js';
import { codedError, ErrorCode, refusingRequest } from '../platform/errors.js';
import type { RequestInfo } from '../platform/http.js';
import { requestErrorStatus } from './responseStatus.js';

export type PersistedDocumentsMode = 'optional' | 'required';

export interface PersistedDocumentsSettings {
  /** `optional`: ids and full documents both run; `required`: only the manifests' documents. */
  mode: PersistedDocumentsMode;
  /** Manifest files; `ifPresent` ones (the storefront's default) may be missing. */
  manifests: { path: string; ifPresent: boolean }[];
}

export interface PersistedDocuments {
  /** How many documents the manifests hold. */
  count: number;
  /** Runs a manifest's document for a request that names its id. */
  plugin: ApolloServerPlugin<BaseContext>;
  /** In safelist mode, refuses a request whose full document is in no manifest (before parsing). */
  admit(info: RequestInfo): void;
  /**
   * The document an operation sent over a subscription transport (WebSocket, SSE) runs:
   * the manifest's for an id it lists, else the one sent; in safelist mode, an error
   * for a document in no manifest, as `admit` refuses it over HTTP.
   */
  documentFor(operation: { query?: unknown; extensions?: unknown }): { query: unknown } | GraphQLError;
}

const NOT_IN_LIST = "This gateway runs only its clients' persisted operations: send the operation's id (extensions.persistedQuery.sha256Hash) from your build's manifest.";
const APOLLO_FORMAT = 'apollo-persisted-query-manifest';
const VARIABLE = 'PERSISTED_DOCUMENTS_MANIFESTS';

export async function loadPersistedDocuments(settings: PersistedDocumentsSettings, onRefused?: () => void): Promise<PersistedDocuments> {
  const byId = new Map<string, string>();
  for (const manifest of settings.manifests) {
    for (const [id, body] of await readManifest(manifest.path, manifest.ifPresent)) byId.set(id, body);
  }
  if (settings.mode === 'required' && byId.size === 0) {
    throw new ConfigError(VARIABLE, `names no manifest with operations (${settings.manifests.map((m) => m.path).join(', ')}), and PERSISTED_DOCUMENTS=required would refuse every request; build the storefront (npm run build in web/) or name your clients' manifests.`);
  }
  // By the hash of the document itself, not the manifest's id: ids may be any string.
  const listed = new Set([...byId.values()].map(sha256));

  return {
    count: byId.size,
    plugin: {
      async requestDidStart({ request }) {
        const id = request.extensions?.persistedQuery?.sha256Hash;
        if (request.query !== undefined || typeof id !== 'string') return;
        const body = byId.get(id);
        if (body === undefined) return; // Apollo's APQ looks for it (PERSISTED_QUERY_NOT_FOUND if nobody registered it)
        const { persistedQuery: _byId, ...extensions } = request.extensions!;
        request.query = body;
        request.extensions = extensions;
      },
    },
    documentFor({ query, extensions }) {
      const id = (extensions as { persistedQuery?: { sha256Hash?: unknown } } | undefined)?.persistedQuery?.sha256Hash;
      // A listed id wins over a document sent beside it: Apollo Client's GraphQLWsLink
      // sends both, and the manifest's text is the one the safelist vouches for.
      const body = typeof id === 'string' ? byId.get(id) : undefined;
      if (body !== undefined) return { query: body };
      // No APQ registration over these transports: an unknown id alone is an operation without a query.
      if (settings.mode !== 'required' || (typeof query === 'string' && listed.has(sha256(query)))) return { query };
      onRefused?.();
      return codedError(ErrorCode.PersistedQueryNotInList, NOT_IN_LIST);
    },
    admit({ request, body }) {
      if (settings.mode !== 'required') return;
      const query = fullDocument(request.method, request.url, body);
      if (query === undefined || listed.has(sha256(query))) return;
      onRefused?.();
      const accept = request.headers.accept;
      throw refusingRequest(
        codedError(ErrorCode.PersistedQueryNotInList, NOT_IN_LIST),
        requestErrorStatus(Array.isArray(accept) ? accept.join(', ') : accept),
      );
    },
  };
}

/** The `query` of a request, where Apollo Server reads it: the JSON body, or GET's search. */
function fullDocument(method: string | undefined, url: string | undefined, body: unknown): string | undefined {
  if (method === 'GET') return new URL(url ?? '/', 'http://localhost').searchParams.get('query') ?? undefined;
  const query = body !== null && typeof body === 'object' ? (body as { query?: unknown }).query : undefined;
  return typeof query === 'string' ? query : undefined;
}

async function readManifest(path: string, ifPresent: boolean): Promise<[string, string][]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (ifPresent && (error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new ConfigError(VARIABLE, `names ${path}, which cannot be read.`);
  }
  let manifest: unknown;
  try {
    manifest = JSON.parse(text);
  } catch {
    throw new ConfigError(VARIABLE, `names ${path}, which is not JSON.`);
  }
  const entries = manifestEntries(manifest);
  if (!entries) {
    throw new ConfigError(VARIABLE, `names ${path}, which is neither an Apollo persisted query manifest nor a map of ids to documents.`);
  }
  return entries;
}

// Private: Apollo's format is { format, version: 1, operations: [{ id, body, name, type }] };
// GraphQL Code Generator's client preset writes { [id]: body }.
function manifestEntries(manifest: unknown): [string, string][] | undefined {
  if (manifest === null || typeof manifest !== 'object' || Array.isArray(manifest)) return undefined;
  const record = manifest as Record<string, unknown>;
  const pairs: [unknown, unknown][] =
    record.format === APOLLO_FORMAT
      ? Array.isArray(record.operations) && record.version === 1
        ? record.operations.map((operation: { id?: unknown; body?: unknown }) => [operation?.id, operation?.body])
        : [[undefined, undefined]]
      : Object.entries(record);
  if (!pairs.every(([id, body]) => typeof id === 'string' && id !== '' && typeof body === 'string')) return undefined;
  return pairs as [string, string][];
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

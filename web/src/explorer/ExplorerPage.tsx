// An explorer that works offline: GraphiQL, bundled from npm (no CDN), with the schema's
// docs, autocompletion and a headers editor, the signed-in user's token filled in. It is
// a chunk of its own, loaded only here. The schema comes from the gateway's introspection;
// where that is off (production) or refused (safelist mode), from the schema this build
// was made against.
import 'graphiql/setup-workers/vite';
import 'graphiql/style.css';
import { useEffect, useMemo, useState } from 'react';
import { createGraphiQLFetcher } from '@graphiql/toolkit';
import { GraphiQL } from 'graphiql';
import { buildClientSchema, buildSchema, getIntrospectionQuery, type GraphQLSchema, type IntrospectionQuery } from 'graphql';
import { Link } from 'react-router';
import apiSchema from '../../../api.graphql?raw';
import { gatewayUrl } from '../config';
import { useSession } from '../session/SessionContext';

const EXAMPLE = `# Operations run against ${gatewayUrl}.
# Your token is in the Headers tab below when you are signed in.
query Catalogue {
  products(first: 5) {
    totalCount
    nodes { id sku name priceCents available inStock }
  }
}
`;

export default function ExplorerPage() {
  const { session } = useSession();
  const fetcher = useMemo(() => createGraphiQLFetcher({ url: gatewayUrl }), []);
  const [schema, setSchema] = useState<{ schema: GraphQLSchema; live: boolean } | null>(null);

  useEffect(() => {
    let cancelled = false;
    fetch(gatewayUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: getIntrospectionQuery() }) })
      .then((response) => response.json() as Promise<{ data?: IntrospectionQuery }>)
      .then(({ data }) => {
        if (!data) throw new Error('no introspection');
        return { schema: buildClientSchema(data), live: true };
      })
      .catch(() => ({ schema: buildSchema(apiSchema), live: false }))
      .then((loaded) => !cancelled && setSchema(loaded));
    return () => {
      cancelled = true;
    };
  }, []);

  const headers = session ? JSON.stringify({ Authorization: `Bearer ${session.token}` }, null, 2) : '{}';
  return (
    <div className="explorer">
      <div className="explorer-bar">
        <Link to="/">← Back to the shop</Link>
        <span>
          Explorer for <code>{gatewayUrl}</code>
          {schema && !schema.live && ' (schema docs from this build: the gateway does not answer introspection)'}
        </span>
      </div>
      {schema ? (
        <GraphiQL fetcher={fetcher} schema={schema.schema} initialQuery={EXAMPLE} initialHeaders={headers} defaultEditorToolsVisibility="headers" />
      ) : (
        <p aria-busy="true">Loading the schema…</p>
      )}
    </div>
  );
}

// The id each operation is sent under, from the persisted query list the build wrote
// (src/gql/operation-ids.json, by operation name). An operation missing from it (added
// since the last `npm run persisted-documents`, in `npm run dev`) is sent by its SHA-256
// instead: the gateway asks for the document once and registers it (APQ), unless it
// runs in safelist mode, where only the list's operations run.
import type { DocumentNode } from 'graphql';
import { print } from '@apollo/client/utilities';
import ids from '../gql/operation-ids.json';

const byName: Record<string, string> = ids;

export function operationId(document: DocumentNode): string | Promise<string> {
  const name = operationName(document);
  return (name && byName[name]) ?? sha256(print(document));
}

function operationName(document: DocumentNode): string | undefined {
  for (const definition of document.definitions) {
    if (definition.kind === 'OperationDefinition') return definition.name?.value;
  }
  return undefined;
}

async function sha256(text: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((byte) => byte.toString(16).padStart(2, '0')).join('');
}

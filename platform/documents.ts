// Facts about an operation's text, worked out once per distinct operation. Apollo Server
// keeps one parsed DocumentNode per query string (its document store), so a WeakMap keyed
// by that object turns a walk of the syntax tree on every request into one per operation;
// a document it did not keep is simply walked again.
import type { DocumentNode } from 'graphql';

export function perDocument<T>(compute: (document: DocumentNode) => T): (document: DocumentNode) => T {
  const known = new WeakMap<DocumentNode, { value: T }>();
  return (document) => {
    let entry = known.get(document);
    if (!entry) {
      entry = { value: compute(document) };
      known.set(document, entry);
    }
    return entry.value;
  };
}

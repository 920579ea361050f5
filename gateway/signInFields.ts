// Which operations are sign-ins: the fields counted, wherever they sit in a document.
import { Kind, visit, type DocumentNode } from 'graphql';
import { perDocument } from '../platform/documents.js';

/** How many `logIn` and `signUp` fields an operation selects, wherever they sit (aliases, fragments). */
export const countSignIns = perDocument((document: DocumentNode) => {
  const count = { logIns: 0, signUps: 0 };
  visit(document, {
    [Kind.FIELD]: (field) => {
      if (field.name.value === 'logIn') count.logIns += 1;
      if (field.name.value === 'signUp') count.signUps += 1;
    },
  });
  return count;
});

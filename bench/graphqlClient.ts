// The benchmarks' own GraphQL calls (signing in, looking ids up), outside the measured
// load: plain fetch, and any error in an answer stops the run.

/** POSTs one operation; rejects if the answer carries errors. */
export async function graphql(url: string, query: string, variables: unknown = {}, token = ''): Promise<any> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const reply: any = await response.json();
  if (reply.errors) throw new Error(`${query.slice(0, 60)}…: ${JSON.stringify(reply.errors)}`);
  return reply;
}

/** Signs in and returns the bearer token. */
export async function logIn(url: string, email: string, password: string): Promise<string> {
  const reply = await graphql(url, 'mutation($e: String!, $p: String!) { logIn(email: $e, password: $p) { token } }', { e: email, p: password });
  return reply.data.logIn.token;
}

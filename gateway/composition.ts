// Composes the subgraphs listed in supergraph.yaml (Rover's format) into a supergraph
// SDL with @apollo/composition, so no Rover binary is needed; and prints the public API
// schema, what clients see, for the committed record in api.graphql.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { composeServices } from '@apollo/composition';
import { getLocation, Kind, lexicographicSortSchema, parse, printSchema, Source, type ASTNode, type DocumentNode, type GraphQLError, type Location } from 'graphql';
import { parse as parseYaml } from 'yaml';

export interface SubgraphEntry {
  name: string;
  routingUrl: string;
  schemaFile: string;
}

export interface Composition {
  /** What the gateway serves: every subgraph's schema joined, with how to route each field. */
  supergraphSdl: string;
  /** What clients see (the supergraph without its @inaccessible parts), as api.graphql holds it. */
  apiSchemaSdl: string;
}

export class CompositionError extends Error {
  constructor(readonly problems: string[]) {
    super(`Composition failed:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'CompositionError';
  }
}

// The API schema is printed with types, fields, arguments and enum values in alphabetical
// order, so that the committed file changes only when the API does, not when composition
// (or a new version of it) merges the subgraphs in another order.
const API_SCHEMA_HEADER = `# The public API schema: what clients of the gateway see, the supergraph composed from
# supergraph.yaml without its @inaccessible parts, in alphabetical order.
# Written by \`npm run compose\`; tests/schemaGuard.test.ts fails while it differs from
# what the subgraphs compose to. Commit it with the change that changes the API.
`;

export async function readSupergraphConfig(configFile: string): Promise<SubgraphEntry[]> {
  const config = parseYaml(await readFile(configFile, 'utf8')) as {
    subgraphs?: Record<string, { routing_url?: string; schema?: { file?: string } }>;
  };
  const entries = Object.entries(config?.subgraphs ?? {});
  if (entries.length === 0) throw new CompositionError([`${configFile} lists no subgraphs`]);
  return entries.map(([name, subgraph]) => {
    if (!subgraph?.routing_url || !subgraph.schema?.file) {
      throw new CompositionError([`subgraph "${name}": routing_url and schema.file are both required in ${configFile}`]);
    }
    return { name, routingUrl: subgraph.routing_url, schemaFile: path.resolve(path.dirname(configFile), subgraph.schema.file) };
  });
}

/** Composes the subgraphs into the supergraph SDL; see compose(). */
export async function composeSupergraph(subgraphs: SubgraphEntry[]): Promise<string> {
  return (await compose(subgraphs)).supergraphSdl;
}

/**
 * Composes the subgraphs into the supergraph and the public API schema. A failure is a
 * CompositionError whose every problem names the subgraphs at fault and, where
 * composition points into their schema files, the type or field and its file:line:column.
 */
export async function compose(subgraphs: SubgraphEntry[]): Promise<Composition> {
  const problems: string[] = [];
  const parsed = new Map<string, { entry: SubgraphEntry; document: DocumentNode }>();
  for (const entry of subgraphs) {
    try {
      // The source is named after the subgraph, so that the nodes a composition error
      // points at say which subgraph they come from.
      const document = parse(new Source(await readFile(entry.schemaFile, 'utf8'), entry.name));
      parsed.set(entry.name, { entry, document });
    } catch (error) {
      const { line, column } = (error as GraphQLError).locations?.[0] ?? {};
      const at = line === undefined ? '' : `\n      in ${displayPath(entry.schemaFile)}:${line}:${column}`;
      problems.push(`subgraph "${entry.name}": ${(error as Error).message}${at}`);
    }
  }
  if (problems.length > 0) throw new CompositionError(problems);
  const result = composeServices([...parsed.values()].map(({ entry, document }) => ({ name: entry.name, url: entry.routingUrl, typeDefs: document })));
  if (result.errors) throw new CompositionError(result.errors.map((error) => describe(error, parsed)));
  const apiSchema = lexicographicSortSchema(result.schema.toAPISchema().toGraphQLJSSchema());
  return { supergraphSdl: result.supergraphSdl, apiSchemaSdl: `${API_SCHEMA_HEADER}\n${printSchema(apiSchema)}\n` };
}

// Private: the subgraphs an error is about are those its message names ("[users] …",
// `subgraph "users"`) and those whose schema its nodes come from; each node with a
// location adds a "Type.field in file:line:column" line. (Not "at …": jest and other
// tools take such lines for stack frames and rewrite them.)
function describe(error: GraphQLError, parsed: Map<string, { entry: SubgraphEntry; document: DocumentNode }>): string {
  const names = [...parsed.keys()];
  const located = (error.nodes ?? []).flatMap((node) => (node.loc && parsed.has(node.loc.source.name) ? [{ loc: node.loc, start: startOf(node) }] : []));
  const named = names.filter(
    (name) => error.message.includes(`[${name}]`) || error.message.includes(`"${name}"`) || located.some(({ loc }) => loc.source.name === name),
  );
  const who = named.length === 0 ? '' : `${named.length === 1 ? 'subgraph' : 'subgraphs'} ${named.map((name) => `"${name}"`).join(', ')}: `;
  // "[orders] Unknown type…": the prefix says it already.
  const message = named.length === 1 ? error.message.replace(`[${named[0]}] `, '') : error.message;
  const code = error.extensions?.code ? ` [${String(error.extensions.code)}]` : '';
  const places = located.map(({ loc, start }) => {
    const { entry, document } = parsed.get(loc.source.name)!;
    const { line, column } = getLocation(loc.source, start);
    const coordinate = coordinateAt(document, start);
    return `\n      ${coordinate ? `${coordinate} ` : ''}in ${displayPath(entry.schemaFile)}:${line}:${column}`;
  });
  return `${who}${message}${code}${[...new Set(places)].join('')}`;
}

// Private: the schema coordinate (Type, Type.field, Type.field(argument:), @directive)
// of the innermost definition in `document` that contains `offset`.
function coordinateAt(document: DocumentNode, offset: number): string | undefined {
  const contains = (node: { loc?: Location }) => node.loc !== undefined && node.loc.start <= offset && offset < node.loc.end;
  const definition = document.definitions.find(contains);
  if (definition === undefined) return undefined;
  if (definition.kind === Kind.SCHEMA_DEFINITION || definition.kind === Kind.SCHEMA_EXTENSION) return 'schema';
  if (definition.kind === Kind.DIRECTIVE_DEFINITION) {
    const argument = definition.arguments?.find(contains);
    return argument ? `@${definition.name.value}(${argument.name.value}:)` : `@${definition.name.value}`;
  }
  if (definition.kind === Kind.OPERATION_DEFINITION || definition.kind === Kind.FRAGMENT_DEFINITION) return undefined;
  const type = definition.name.value;
  const members = 'fields' in definition ? definition.fields : 'values' in definition ? definition.values : undefined;
  const member = members?.find(contains);
  if (member === undefined) return type;
  const argument = 'arguments' in member ? member.arguments?.find(contains) : undefined;
  return argument ? `${type}.${member.name.value}(${argument.name.value}:)` : `${type}.${member.name.value}`;
}

// Private: where a node starts for a reader: past its description, at the keyword or name.
function startOf(node: ASTNode): number {
  const description = 'description' in node ? node.description : undefined;
  if (!description?.loc || !node.loc) return node.loc?.start ?? 0;
  return description.loc.end + /^\s*/.exec(node.loc.source.body.slice(description.loc.end))![0].length;
}

// Private: relative to where the command runs (as compilers print paths) when the file
// is below it, absolute otherwise.
function displayPath(file: string) {
  const relative = path.relative(process.cwd(), file);
  return relative.startsWith('..') || path.isAbsolute(relative) ? file : relative;
}

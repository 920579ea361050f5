// Composes the subgraphs listed in supergraph.yaml (Rover's format) into a supergraph
// SDL with @apollo/composition, so no Rover binary is needed.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { composeServices } from '@apollo/composition';
import { parse, type GraphQLError } from 'graphql';
import { parse as parseYaml } from 'yaml';

export interface SubgraphEntry {
  name: string;
  routingUrl: string;
  schemaFile: string;
}

export class CompositionError extends Error {
  constructor(readonly problems: string[]) {
    super(`Composition failed:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'CompositionError';
  }
}

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

/** Composes the subgraphs; a failure names each subgraph at fault and why. */
export async function composeSupergraph(subgraphs: SubgraphEntry[]): Promise<string> {
  const problems: string[] = [];
  const services = [];
  for (const subgraph of subgraphs) {
    try {
      services.push({ name: subgraph.name, url: subgraph.routingUrl, typeDefs: parse(await readFile(subgraph.schemaFile, 'utf8')) });
    } catch (error) {
      problems.push(`subgraph "${subgraph.name}" (${subgraph.schemaFile}): ${(error as Error).message}`);
    }
  }
  if (problems.length > 0) throw new CompositionError(problems);
  const result = composeServices(services);
  if (result.errors) throw new CompositionError(result.errors.map((error) => describe(error, subgraphs)));
  return result.supergraphSdl;
}

// Private: composition messages usually name the subgraph ("[users] …" or `subgraph "users"`);
// when one does not, the subgraphs whose schema the error points into are named.
function describe(error: GraphQLError, subgraphs: SubgraphEntry[]): string {
  const named = subgraphs.filter((s) => error.message.includes(`[${s.name}]`) || error.message.includes(`"${s.name}"`));
  const sources = (error.nodes ?? []).map((node) => node.loc?.source.name).filter(Boolean);
  const where = named.length > 0 ? named.map((s) => s.name) : [...new Set(sources)];
  const code = error.extensions?.code ? ` [${String(error.extensions.code)}]` : '';
  return `${where.length > 0 ? `subgraph ${where.join(', ')}: ` : ''}${error.message}${code}`;
}

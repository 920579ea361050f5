// Compares a migrated database with its schema.prisma: every model a table, every field
// a column of the right type, nullability and default, every id/unique/index an index
// with the same columns in the same order, every enum a type with the same values, every
// relation a foreign key; and nothing in the database that the schema does not declare.
// It reads schema.prisma through Prisma's own parser (the DMMF, from prisma-schema-wasm).
import { readFileSync } from 'node:fs';
import wasm from '@prisma/prisma-schema-wasm';
import type { SqlSession } from '../../platform/database.js';

interface DmmfField {
  name: string;
  dbName: string | null;
  kind: 'scalar' | 'enum' | 'object';
  type: string;
  isRequired: boolean;
  isList: boolean;
  hasDefaultValue: boolean;
  default?: { name?: string } | string | number | boolean;
  nativeType?: [string, string[]] | null;
  relationFromFields?: string[];
}
interface DmmfModel {
  name: string;
  dbName: string | null;
  fields: DmmfField[];
}
interface DmmfIndex {
  model: string;
  type: 'id' | 'unique' | 'normal' | 'fulltext';
  fields: { name: string; sortOrder?: 'asc' | 'desc' }[];
}
interface Dmmf {
  datamodel: { models: DmmfModel[]; enums: { name: string; values: { name: string }[] }[]; indexes: DmmfIndex[] };
}

export function readDmmf(schemaFile: string): Dmmf {
  return JSON.parse(wasm.get_dmmf(JSON.stringify({ prismaSchema: readFileSync(schemaFile, 'utf8') })));
}

// Private: the PostgreSQL type Prisma's migrations give a field.
function expectedType(field: DmmfField): string {
  if (field.kind === 'enum') return field.type;
  const [native, args] = field.nativeType ?? [undefined, []];
  if (native === 'Uuid') return 'uuid';
  if (native === 'Timestamptz') return `timestamptz(${args[0] ?? 6})`;
  const scalar: Record<string, string> = { String: 'text', Int: 'int4', BigInt: 'int8', Boolean: 'bool', Float: 'float8', DateTime: 'timestamp(3)', Json: 'jsonb' };
  return scalar[field.type] ?? `unmapped ${field.type}`;
}

/** Describes the schema as the database should look, in a form comparable with describeDatabase. */
export function describeSchema(schemaFile: string) {
  const { datamodel } = readDmmf(schemaFile);
  const tableOf = new Map(datamodel.models.map((model) => [model.name, model.dbName ?? model.name]));
  const columnOf = (modelName: string, fieldName: string) => {
    const field = datamodel.models.find((model) => model.name === modelName)!.fields.find((f) => f.name === fieldName)!;
    return field.dbName ?? field.name;
  };
  const columns: string[] = [];
  const foreignKeys: string[] = [];
  for (const model of datamodel.models) {
    for (const field of model.fields) {
      if (field.kind === 'object') {
        if (field.relationFromFields?.length) {
          foreignKeys.push(`${tableOf.get(model.name)}(${field.relationFromFields.map((f) => columnOf(model.name, f)).join(',')}) -> ${tableOf.get(field.type)}`);
        }
        continue;
      }
      // A database default exists for @default(now()/value/autoincrement), not for uuid()/cuid() made by the client.
      const defaultName = typeof field.default === 'object' ? field.default.name : undefined;
      const dbDefault = field.hasDefaultValue && defaultName !== 'uuid' && defaultName !== 'cuid';
      columns.push(`${tableOf.get(model.name)}.${field.dbName ?? field.name} ${expectedType(field)} ${field.isRequired ? 'not null' : 'null'}${dbDefault ? ' default' : ''}`);
    }
  }
  const indexes = datamodel.indexes.map((index) => {
    const kind = index.type === 'normal' ? 'index' : index.type === 'id' ? 'primary' : 'unique';
    const cols = index.fields.map((f) => `${columnOf(index.model, f.name)}${f.sortOrder === 'desc' ? ' desc' : ''}`);
    return `${kind} ${tableOf.get(index.model)}(${cols.join(',')})`;
  });
  const enums = datamodel.enums.map((e) => `${e.name}: ${e.values.map((v) => v.name).join(',')}`);
  return { tables: [...tableOf.values()].sort(), columns: columns.sort(), indexes: indexes.sort(), enums: enums.sort(), foreignKeys: foreignKeys.sort() };
}

/** Describes the database's public schema (less Prisma's own bookkeeping table). */
export async function describeDatabase(session: SqlSession) {
  const tables = await session.query<{ name: string }>(
    `SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' AND table_name <> '_prisma_migrations'`,
  );
  const columns = await session.query<{ line: string }>(`
    SELECT c.relname || '.' || a.attname || ' ' ||
           CASE WHEN t.typname = 'timestamptz' THEN 'timestamptz(' || a.atttypmod || ')'
                WHEN t.typname = 'timestamp' THEN 'timestamp(' || a.atttypmod || ')'
                ELSE t.typname END ||
           CASE WHEN a.attnotnull THEN ' not null' ELSE ' null' END ||
           CASE WHEN d.adbin IS NOT NULL THEN ' default' ELSE '' END AS line
    FROM pg_attribute a
    JOIN pg_class c ON c.oid = a.attrelid AND c.relkind = 'r'
    JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'public'
    JOIN pg_type t ON t.oid = a.atttypid
    LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
    WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relname <> '_prisma_migrations'`);
  const indexes = await session.query<{ line: string }>(`
    SELECT CASE WHEN ix.indisprimary THEN 'primary' WHEN ix.indisunique THEN 'unique' ELSE 'index' END || ' ' || t.relname || '(' ||
           string_agg(a.attname || CASE WHEN (ix.indoption[k.ord - 1] & 1) = 1 THEN ' desc' ELSE '' END, ',' ORDER BY k.ord) || ')' AS line
    FROM pg_index ix
    JOIN pg_class t ON t.oid = ix.indrelid
    JOIN pg_namespace n ON n.oid = t.relnamespace AND n.nspname = 'public'
    CROSS JOIN LATERAL unnest(ix.indkey) WITH ORDINALITY AS k(attnum, ord)
    JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
    WHERE t.relname <> '_prisma_migrations'
    GROUP BY ix.indexrelid, ix.indisprimary, ix.indisunique, t.relname`);
  const enums = await session.query<{ line: string }>(`
    SELECT t.typname || ': ' || string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder) AS line
    FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid
    JOIN pg_namespace n ON n.oid = t.typnamespace AND n.nspname = 'public'
    GROUP BY t.typname`);
  const foreignKeys = await session.query<{ line: string }>(`
    SELECT src.relname || '(' || string_agg(a.attname, ',' ORDER BY k.ord) || ') -> ' || dst.relname AS line
    FROM pg_constraint con
    JOIN pg_class src ON src.oid = con.conrelid
    JOIN pg_class dst ON dst.oid = con.confrelid
    JOIN pg_namespace n ON n.oid = src.relnamespace AND n.nspname = 'public'
    CROSS JOIN LATERAL unnest(con.conkey) WITH ORDINALITY AS k(attnum, ord)
    JOIN pg_attribute a ON a.attrelid = src.oid AND a.attnum = k.attnum
    WHERE con.contype = 'f'
    GROUP BY con.oid, src.relname, dst.relname`);
  const sorted = (rows: { line: string }[]) => rows.map((row) => row.line).sort();
  return {
    tables: tables.map((row) => row.name).sort(),
    columns: sorted(columns),
    indexes: sorted(indexes),
    enums: sorted(enums),
    foreignKeys: sorted(foreignKeys),
  };
}

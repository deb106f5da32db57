import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { openDatabase } from '../src';
import { createTemporaryPostgresDatabase } from '../src/testing';

/** How Prisma maps its scalar types onto Postgres (information_schema's udt names), without native type attributes. */
const POSTGRES_TYPES: Record<string, string> = {
  String: 'text',
  Int: 'int4',
  BigInt: 'int8',
  Boolean: 'bool',
  DateTime: 'timestamp',
  Json: 'jsonb',
  Float: 'float8',
};

interface ExpectedColumn {
  table: string;
  column: string;
  type: string;
  nullable: boolean;
}

/**
 * The tables, columns and indexes prisma/schema.prisma describes, read from its text: model blocks,
 * their scalar fields (`name Type? @map("column")`), `@@map`, `@unique`, `@@unique` and `@@index`.
 * Relation fields (whose type is another model) have no column.
 */
function schemaOf(text: string) {
  const enums = new Set([...text.matchAll(/^enum (\w+) \{/gm)].map((match) => match[1]));
  const models = [...text.matchAll(/^model (\w+) \{([\s\S]*?)^\}/gm)];
  const modelNames = new Set(models.map((match) => match[1]));
  const columns: ExpectedColumn[] = [];
  const indexes: string[] = [];
  for (const [, , body] of models) {
    const table = /@@map\("(\w+)"\)/.exec(body)?.[1];
    if (!table) throw new Error('every model maps to a table of its own name (@@map)');
    const columnOf = new Map<string, string>();
    for (const line of body.split('\n').map((raw) => raw.trim())) {
      const field = /^(\w+)\s+(\w+)(\[\])?(\?)?(.*)$/.exec(line);
      if (!field || line.startsWith('@@') || line.startsWith('//')) continue;
      const [, name, type, list, optional, attributes] = field;
      if (modelNames.has(type)) continue;
      const column = /@map\("(\w+)"\)/.exec(attributes)?.[1] ?? name;
      columnOf.set(name, column);
      const base = enums.has(type) ? type : POSTGRES_TYPES[type];
      // Prisma leaves scalar list columns nullable in Postgres, as its own migrations write them.
      columns.push({ table, column, type: list ? `_${base}` : base, nullable: Boolean(optional || list) });
      if (/@unique\b/.test(attributes)) indexes.push(`${table}(${column}) unique`);
    }
    for (const [, kind, fields] of body.matchAll(/@@(index|unique)\(\[([^\]]+)\]/g)) {
      const names = fields.split(',').map((part) => columnOf.get(part.trim()) ?? part.trim());
      indexes.push(`${table}(${names.join(', ')})${kind === 'unique' ? ' unique' : ''}`);
    }
  }
  return { columns, indexes, enums };
}

describe('prisma/schema.prisma and the committed migrations', () => {
  it('describe the same tables, columns, nullability and indexes', async () => {
    const expected = schemaOf(readFileSync(join(__dirname, '../../../prisma/schema.prisma'), 'utf8'));
    const temp = await createTemporaryPostgresDatabase();
    const database = await openDatabase({ kind: 'postgres', url: temp.url });
    await database.close();
    const client = new pg.Client({ connectionString: temp.url });
    await client.connect();
    try {
      const { rows: columnRows } = await client.query<{ table_name: string; column_name: string; udt_name: string; is_nullable: string }>(
        `SELECT table_name, column_name, udt_name, is_nullable FROM information_schema.columns
         WHERE table_schema = 'public' AND table_name <> '_prisma_migrations'`,
      );
      const actualColumns = columnRows.map((row) => ({
        table: row.table_name,
        column: row.column_name,
        type: row.udt_name,
        nullable: row.is_nullable === 'YES',
      }));
      const byKey = (column: ExpectedColumn) => `${column.table}.${column.column}`;
      expect(actualColumns.sort((a, b) => byKey(a).localeCompare(byKey(b)))).toEqual(expected.columns.sort((a, b) => byKey(a).localeCompare(byKey(b))));

      const { rows: indexRows } = await client.query<{ definition: string }>(
        `SELECT pg_get_indexdef(index.indexrelid) AS definition FROM pg_index index
         JOIN pg_class class ON class.oid = index.indrelid JOIN pg_namespace namespace ON namespace.oid = class.relnamespace
         WHERE namespace.nspname = 'public' AND class.relname <> '_prisma_migrations' AND NOT index.indisprimary`,
      );
      const actualIndexes = indexRows.map(({ definition }) => {
        const [, unique, table, columns] = /CREATE (UNIQUE )?INDEX \S+ ON public\.(\w+) USING \w+ \(([^)]+)\)/.exec(definition)!;
        return `${table}(${columns.replaceAll('"', '')})${unique ? ' unique' : ''}`;
      });
      expect(actualIndexes.sort()).toEqual(expected.indexes.sort());

      const { rows: enumRows } = await client.query<{ typname: string }>(
        `SELECT DISTINCT typname FROM pg_type JOIN pg_enum ON pg_enum.enumtypid = pg_type.oid`,
      );
      expect(enumRows.map((row) => row.typname).sort()).toEqual([...expected.enums].sort());
    } finally {
      await client.end();
      await temp.drop();
    }
  });
});

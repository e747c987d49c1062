// src/db/schema.ts is the one definition of every table (docs/decisions/0085): this test takes a
// freshly migrated schema, reads its columns from PostgreSQL, reads the `DB` interface with the TypeScript
// compiler, and fails when a table or column is missing on either side, when a column's nullability
// differs, or when its TypeScript type cannot hold what the driver returns for the SQL type.
import { fileURLToPath } from 'node:url'
import { sql } from 'kysely'
import ts from 'typescript'
import { beforeAll, describe, expect, it } from 'vitest'
import { useTestDb } from '../testing/test-db.js'

type Kind = 'string' | 'number' | 'boolean' | 'Date' | 'Buffer' | 'string[]' | 'json'
interface ColumnShape {
  nullable: boolean
  /** A Kind, or the type text when it is none of them (which then fails the comparison). */
  kind: string
}
type Shape = Record<string, Record<string, ColumnShape>>

/** What node-postgres (with src/db/db.ts's int8 parser) returns for each SQL type used here. */
const KIND_OF_UDT: Record<string, Kind> = {
  text: 'string',
  varchar: 'string',
  uuid: 'string',
  inet: 'string',
  citext: 'string',
  int2: 'number',
  int4: 'number',
  int8: 'number',
  bool: 'boolean',
  timestamptz: 'Date',
  timestamp: 'Date',
  bytea: 'Buffer',
  jsonb: 'json',
  json: 'json',
  _text: 'string[]',
}

/** Tables of the migration tool itself, not of the application. */
const TOOL_TABLES = new Set(['kysely_migration', 'kysely_migration_lock'])

function kindOf(checker: ts.TypeChecker, types: readonly ts.Type[]): string {
  if (types.length > 0 && types.every((t) => t.flags & ts.TypeFlags.StringLike)) return 'string'
  if (types.length > 0 && types.every((t) => t.flags & ts.TypeFlags.NumberLike)) return 'number'
  if (types.length > 0 && types.every((t) => t.flags & ts.TypeFlags.BooleanLike)) return 'boolean'
  if (types.length !== 1) return types.map((t) => checker.typeToString(t)).join(' | ')
  const [type] = types as [ts.Type]
  const text = checker.typeToString(type)
  if (text === 'Date') return 'Date'
  if (text === 'Buffer' || text.startsWith('Buffer<')) return 'Buffer'
  if (checker.isArrayType(type)) {
    const [element] = checker.getTypeArguments(type as ts.TypeReference)
    return element && kindOf(checker, element.isUnion() ? element.types : [element]) === 'string' ? 'string[]' : text
  }
  if (text.startsWith('Record<string,')) return 'json'
  return text
}

/** The `DB` interface of src/db/schema.ts: each column's select type, as nullability and kind. */
function declaredShape(): Shape {
  const file = fileURLToPath(new URL('./schema.ts', import.meta.url))
  const program = ts.createProgram([file], {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    // As tsconfig.json: without them the compiler also loads the DOM library and every @types package.
    lib: ['lib.es2023.d.ts'],
    types: ['node'],
  })
  const checker = program.getTypeChecker()
  const source = program.getSourceFile(file)
  if (!source) throw new Error('src/db/schema.ts not found')
  const db = source.statements.find((s): s is ts.InterfaceDeclaration => ts.isInterfaceDeclaration(s) && s.name.text === 'DB')
  if (!db) throw new Error('interface DB not found in src/db/schema.ts')
  const shape: Shape = {}
  for (const table of checker.getPropertiesOfType(checker.getTypeAtLocation(db))) {
    const columns: Record<string, ColumnShape> = {}
    for (const column of checker.getPropertiesOfType(checker.getTypeOfSymbolAtLocation(table, db))) {
      let type = checker.getTypeOfSymbolAtLocation(column, db)
      // ColumnType<S, I, U> and Generated<T>: what a select returns is S.
      const select = type.getProperty('__select__')
      if (select) type = checker.getTypeOfSymbolAtLocation(select, db)
      const parts = type.isUnion() ? type.types : [type]
      const nonNull = parts.filter((t) => !(t.flags & (ts.TypeFlags.Null | ts.TypeFlags.Undefined)))
      columns[column.name] = { nullable: nonNull.length !== parts.length, kind: kindOf(checker, nonNull) }
    }
    shape[table.name] = columns
  }
  return shape
}

describe('src/db/schema.ts and the migrations', () => {
  const t = useTestDb()
  let declared: Shape
  let migrated: Shape
  beforeAll(async () => {
    // Base and partitioned tables of the fresh schema; a partition is covered by its parent.
    const { rows } = await sql<{ table_name: string; column_name: string; is_nullable: 'YES' | 'NO'; udt_name: string }>`
      select c.table_name, c.column_name, c.is_nullable, c.udt_name
      from information_schema.columns c
      join pg_class k on k.relname = c.table_name and k.relnamespace = c.table_schema::regnamespace
      where c.table_schema = ${t.schema} and k.relkind in ('r', 'p') and not k.relispartition
      order by c.table_name, c.ordinal_position`.execute(t.db)
    migrated = {}
    for (const row of rows) {
      if (TOOL_TABLES.has(row.table_name)) continue
      migrated[row.table_name] ??= {}
      migrated[row.table_name]![row.column_name] = {
        nullable: row.is_nullable === 'YES',
        kind: KIND_OF_UDT[row.udt_name] ?? `unmapped SQL type ${row.udt_name}`,
      }
    }
    declared = declaredShape()
  }, 120_000)

  it('declares every migrated table, and no table the migrations do not create', () => {
    expect(Object.keys(declared).sort()).toEqual(Object.keys(migrated).sort())
  })

  it('declares every column with the nullability and the type the database gives it, and nothing extra', () => {
    for (const table of Object.keys(migrated)) {
      expect.soft({ table, columns: declared[table] }).toEqual({ table, columns: migrated[table] })
    }
  })

  it('notices a difference (the comparison is not vacuous)', () => {
    expect(Object.keys(migrated).length).toBeGreaterThanOrEqual(18)
    expect(declared.accounts?.email_verified_at).toEqual({ nullable: true, kind: 'Date' })
    expect(declared.accounts?.email).toEqual({ nullable: false, kind: 'string' })
    expect(declared.security_events?.details?.kind).toBe('json')
    expect(declared.passkeys?.transports).toEqual({ nullable: false, kind: 'string[]' })
  })
})

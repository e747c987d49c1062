// What src/testing/global-setup.ts hands to test files about the template database (no vitest
// import here: the global setup runs outside the test workers).

/** The migrated database every test database copies, and the schema the migrations ran in. */
export interface TestTemplate {
  database: string
  schema: string
  /** How the name of every database of this run begins (the template's too): what the end of the run drops. */
  prefix: string
}

/** `url` with its database name replaced. */
export function databaseUrlFor(url: string, database: string): string {
  const u = new URL(url)
  u.pathname = `/${database}`
  return u.toString()
}

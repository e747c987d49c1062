// Tables owned by src/api-tokens (filled in with its migration).
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- filled in by the API-token feature
export interface ApiTokenTables {}

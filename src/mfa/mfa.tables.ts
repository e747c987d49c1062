// Tables owned by src/mfa (filled in with its migration).
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- filled in by the MFA feature
export interface MfaTables {}

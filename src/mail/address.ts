// Email addresses, normalised in one place: the form an address is stored and mailed in (NFKC,
// trimmed, case kept as typed), and the key two addresses are compared by (that form lower-cased,
// what the unique index on lower(email) and every look-up match on). Pure: no I/O.

/** The stored form of an address a person typed. */
export function normalizeEmail(email: string): string {
  return email.normalize('NFKC').trim()
}

/** The comparison key: equal for two spellings of one address (case, Unicode form, spaces around). */
export function emailKey(email: string): string {
  return normalizeEmail(email).toLowerCase()
}

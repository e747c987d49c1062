// Error codes of the API-token feature (listed in docs/api-tokens.md). 401 and the scope/session
// 403s come from src/principal; these are the feature's own refusals.
import { AppError } from '../errors.js'

export const ApiTokenErrors = {
  notFound: () => new AppError('not_found', 404, 'Token not found'),
  invalidScope: () => new AppError('invalid_scope', 422, 'Scopes must be known, unique and at least one'),
  invalidExpiry: (maxDays: number) => new AppError('invalid_expiry', 422, `expiresInDays must be between 1 and ${maxDays}`),
  tooMany: (max: number) => new AppError('token_limit_reached', 422, `An account may hold at most ${max} live tokens; revoke one first`),
} as const

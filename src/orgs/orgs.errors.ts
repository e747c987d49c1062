// Error codes of src/orgs (docs/errors.md).
import { AppError, CommonErrors } from '../errors.js'

export const OrgErrors = {
  /** Non-members, unknown and malformed ids alike: the answer never tells whether it exists. */
  notFound: () => CommonErrors.notFound('Organization'),
  forbidden: (message = 'Your role in this organization does not allow this') => CommonErrors.forbidden(message),
  mfaRequired: () =>
    new AppError(
      'mfa_required',
      403,
      'This organization requires two-factor sign-in: sign in with your second factor (TOTP or a passkey), or turn one on first',
    ),
  lastOwner: () => new AppError('last_owner', 409, 'The organization must keep at least one owner: make someone else owner first'),
  memberNotFound: () => CommonErrors.notFound('Member'),
  invitationNotFound: () => CommonErrors.notFound('Invitation'),
  invalidInvitation: () => new AppError('invalid_token', 400, 'This invitation link is unknown, used, revoked or expired'),
  invitationMismatch: () => new AppError('invitation_mismatch', 403, 'Sign in with the verified address this invitation was sent to'),
  emailNotVerified: () => new AppError('email_not_verified', 403, 'Verify your email address before accepting an invitation'),
  alreadyMember: () => new AppError('already_member', 409, 'You are already a member of this organization'),
  tooManyInvitations: (max: number) => new AppError('invitation_limit_reached', 422, `An organization may have at most ${max} pending invitations`),
  tooManyOrgs: (max: number) => new AppError('org_limit_reached', 422, `An account may belong to at most ${max} organizations`),
  invalidRole: () => new AppError('invalid_role', 422, 'Unknown role'),
} as const

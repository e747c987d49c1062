// Every migration, in order. Listed by hand (rather than read from the folder at run time) so the
// same list works under tsx, vitest and the compiled build; src/db/migrate.int.test.ts fails when a
// file in this folder is missing here.
import type { Migration } from 'kysely'
import * as m202611251300 from './202611251300_create_security_events.js'
import * as m202611251310 from './202611251310_create_accounts_and_sessions.js'
import * as m202611251400 from './202611251400_create_mfa.js'
import * as m202611251410 from './202611251410_create_api_tokens.js'
import * as m202611251500 from './202611251500_protect_security_events.js'
import * as m202611251510 from './202611251510_add_password_change_required.js'
import * as m202612011000 from './202612011000_credentials_version_and_email_change.js'
import * as m202612011100 from './202612011100_bind_totp_enrolment_to_session.js'
import * as m202612011110 from './202612011110_create_auth_failure_streaks.js'
import * as m202612011200 from './202612011200_create_organizations.js'
import * as m202612011210 from './202612011210_create_projects.js'
import * as m202612011300 from './202612011300_create_passkeys.js'
import * as m202612011400 from './202612011400_partition_audit_chain.js'
import * as m202612011500 from './202612011500_sign_in_factors.js'

export const migrations: Record<string, Migration> = {
  '202611251300_create_security_events': m202611251300,
  '202611251310_create_accounts_and_sessions': m202611251310,
  '202611251400_create_mfa': m202611251400,
  '202611251410_create_api_tokens': m202611251410,
  '202611251500_protect_security_events': m202611251500,
  '202611251510_add_password_change_required': m202611251510,
  '202612011000_credentials_version_and_email_change': m202612011000,
  '202612011100_bind_totp_enrolment_to_session': m202612011100,
  '202612011110_create_auth_failure_streaks': m202612011110,
  '202612011200_create_organizations': m202612011200,
  '202612011210_create_projects': m202612011210,
  '202612011300_create_passkeys': m202612011300,
  '202612011400_partition_audit_chain': m202612011400,
  '202612011500_sign_in_factors': m202612011500,
}

// ESLint flat config: typescript-eslint strict (type-aware) + eslint-plugin-security, plus the
// project's own boundaries. ast-grep (sgconfig.yml) adds rules ESLint cannot express simply.
import js from '@eslint/js'
import security from 'eslint-plugin-security'
import tseslint from 'typescript-eslint'
import globals from 'globals'

// One door per risk (STYLE.md §0): where each primitive may be imported from.
const CRYPTO_DOORS = [
  { name: 'node:crypto', message: 'Use src/crypto/ (random.ts, hash.ts, password.ts, aead.ts).' },
  { name: 'crypto', message: 'Use src/crypto/ (random.ts, hash.ts, password.ts, aead.ts).' },
  { name: 'argon2', message: 'Use src/crypto/password.ts.' },
  { name: 'jose', message: 'Use src/crypto/aead.ts.' },
  { name: 'otplib', message: 'Use src/mfa/totp.ts.' },
]
// Files that are the door itself: no CRYPTO_DOORS for them (the layer rule still applies).
const CRYPTO_DOOR_FILES = ['src/crypto/**/*.ts', 'src/mfa/totp.ts']

// The layers of src/, lowest first (docs/decisions/0080-layers-enforced.md, README "Map of src/").
// A module (a folder of src/, or a file at its root) may import only modules of LOWER layers: not
// one of its own layer, not one above. Tests (*.test.ts) are outside the layering: they drive the
// whole app through src/testing/. Move a module only together with that decision record.
export const LAYERS = [
  ['crypto', 'errors.ts', 'logging'], // primitives: CSPRNG, hashes, argon2id, sealing, key rings; AppError; pino
  ['config'], // the one reader of process.env; decodes key rings with src/crypto
  ['db'], // Kysely, migrations, tenant transactions
  ['deps.ts'], // the Deps type every service takes
  ['audit', 'mail', 'one-time-tokens'], // infrastructure features that own a table and call no feature
  ['throttle'], // rate limits and failure streaks (mails a notice, records events)
  ['http'], // error handler, headers, CSRF, cookies, shared schemas, request meta
  ['principal'], // who is calling; takes the session and bearer resolvers from src/app.ts
  ['accounts', 'sessions'], // the account record and /v1/me reads; sessions
  ['mfa'], // TOTP and recovery codes
  ['passkeys', 'api-tokens'], // passkey registration and management; API tokens
  ['orgs'], // organizations, members, invitations (revokes bound tokens, checks passkeys)
  ['projects', 'auth'], // tenant data; the flows that cross features (login, passkey sign-in, password, email, deletion)
  ['health', 'operations', 'pages'], // probes, metrics, security.txt, reference pages
  ['housekeeping.ts', 'warm-up.ts'],
  ['app.ts'], // the composition root: wires every feature and hands resolvers down
  ['server.ts', 'testing'], // the process entry; test helpers
]

const escape = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

function layerBlocks() {
  return LAYERS.flatMap((layer, index) =>
    layer.flatMap((module) => {
      const atRoot = module.endsWith('.ts')
      // How an import from this module spells another: '../x/' from a folder, './x/' from src/.
      const up = atRoot ? '\\./' : '(?:\\.\\./)+'
      const forbidden = LAYERS.slice(index)
        .flat()
        .filter((m) => m !== module)
      const folders = forbidden.filter((m) => !m.endsWith('.ts')).map(escape)
      const files = forbidden.filter((m) => m.endsWith('.ts')).map((m) => escape(m.slice(0, -3)))
      const below = LAYERS.slice(0, index).flat().join(', ') || 'nothing'
      const message = `src/${module} sits in layer ${index + 1}: it may import only lower layers (${below}). See LAYERS in eslint.config.js and docs/decisions/0080-layers-enforced.md.`
      const patterns = [
        ...(folders.length > 0 ? [{ regex: `^${up}(?:${folders.join('|')})/`, message }] : []),
        ...(files.length > 0 ? [{ regex: `^${up}(?:${files.join('|')})\\.js$`, message }] : []),
        {
          regex: `^${up}[^/]+/[^/]+\\.repo\\.js$`,
          message: "Another feature's repo: call its service instead (each table has one owner; docs/decisions/0080-layers-enforced.md).",
        },
      ]
      const files_ = atRoot ? [`src/${module}`] : [`src/${module}/**/*.ts`]
      const doors = CRYPTO_DOOR_FILES.filter((glob) => glob.startsWith(atRoot ? `src/${module}` : `src/${module}/`))
      const wholeModuleIsDoor = doors.includes(files_[0])
      return [
        ...(wholeModuleIsDoor
          ? []
          : [{ files: files_, ignores: ['**/*.test.ts', ...doors], rules: { 'no-restricted-imports': ['error', { paths: CRYPTO_DOORS, patterns }] } }]),
        ...(doors.length > 0 ? [{ files: doors, ignores: ['**/*.test.ts'], rules: { 'no-restricted-imports': ['error', { patterns }] } }] : []),
      ]
    }),
  )
}

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'coverage/', '.data/', 'rule-tests/'] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  security.configs.recommended,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
      '@typescript-eslint/no-unnecessary-condition': 'off',
      '@typescript-eslint/no-confusing-void-expression': 'off',
      '@typescript-eslint/no-extraneous-class': 'off',
      // Fastify handlers and hooks are async by contract even when they do not await.
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // Object-injection fires on every indexed access in TypeScript; typed keys make it noise.
      'security/detect-object-injection': 'off',
      'no-restricted-syntax': [
        'error',
        {
          selector: "MemberExpression[object.name='Math'][property.name='random']",
          message: 'Use node:crypto (src/crypto/random.ts): randomness comes only from the OS CSPRNG.',
        },
      ],
      'no-restricted-properties': ['error', { object: 'process', property: 'env', message: 'Read configuration in src/config/ only.' }],
    },
  },
  {
    // One door per risk (STYLE.md §0): crypto primitives only in src/crypto/, otplib only in src/mfa/totp.ts.
    files: ['src/**/*.ts', 'scripts/**/*.ts', 'bench/**/*.ts'],
    ignores: ['src/crypto/**', 'src/mfa/totp.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: CRYPTO_DOORS }] },
  },
  // The layers of src/ (LAYERS above): one block per module. Each carries CRYPTO_DOORS too, since
  // a later block replaces the rule's options instead of adding to them.
  ...layerBlocks(),
  {
    files: ['src/config/**/*.ts', 'scripts/**/*.ts', 'bench/**/*.ts', 'vitest.config.ts', 'tools/**/cli.ts'],
    rules: { 'no-restricted-properties': 'off' },
  },
  {
    files: ['**/*.test.ts', 'src/testing/**/*.ts', 'test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      'security/detect-non-literal-fs-filename': 'off',
      'security/detect-non-literal-regexp': 'off',
      'security/detect-child-process': 'off',
    },
  },
  {
    // Operator tools (tools/): they read and write the paths the operator names and run the
    // project's own binaries; they never serve requests.
    files: ['tools/**/*.ts'],
    rules: { 'security/detect-non-literal-fs-filename': 'off', 'security/detect-child-process': 'off' },
  },
  { files: ['eslint.config.js'], ...tseslint.configs.disableTypeChecked },
  {
    // The reference pages' browser scripts: plain JavaScript served as-is, no build step.
    files: ['src/pages/static/**/*.js'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: { ...tseslint.configs.disableTypeChecked.languageOptions, sourceType: 'script', globals: { ...globals.browser } },
  },
  {
    // Plain JavaScript entry points (npm start, the bench's load worker): no type information.
    files: ['scripts/**/*.mjs', 'bench/**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      parserOptions: { projectService: false },
      globals: { process: 'readonly', Buffer: 'readonly', performance: 'readonly', URL: 'readonly' },
    },
    rules: { ...tseslint.configs.disableTypeChecked.rules, 'no-restricted-properties': 'off' },
  },
)

// ESLint flat config: typescript-eslint strict (type-aware) + eslint-plugin-security, plus the
// project's own boundaries. ast-grep (sgconfig.yml) adds rules ESLint cannot express simply.
import js from '@eslint/js'
import security from 'eslint-plugin-security'
import tseslint from 'typescript-eslint'
import globals from 'globals'

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
        { selector: "MemberExpression[object.name='Math'][property.name='random']", message: 'Use node:crypto (src/crypto/random.ts): randomness comes only from the OS CSPRNG.' },
      ],
      'no-restricted-properties': ['error', { object: 'process', property: 'env', message: 'Read configuration in src/config/ only.' }],
    },
  },
  {
    // One door per risk (STYLE.md §0): crypto primitives only in src/crypto/, otplib only in src/mfa/totp.ts.
    files: ['src/**/*.ts', 'scripts/**/*.ts', 'bench/**/*.ts'],
    ignores: ['src/crypto/**', 'src/mfa/totp.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            { name: 'node:crypto', message: 'Use src/crypto/ (random.ts, hash.ts, password.ts, aead.ts).' },
            { name: 'crypto', message: 'Use src/crypto/ (random.ts, hash.ts, password.ts, aead.ts).' },
            { name: 'argon2', message: 'Use src/crypto/password.ts.' },
            { name: 'jose', message: 'Use src/crypto/aead.ts.' },
            { name: 'otplib', message: 'Use src/mfa/totp.ts.' },
          ],
        },
      ],
    },
  },
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

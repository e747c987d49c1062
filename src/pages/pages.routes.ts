// The reference pages (API.md "Pages"): static HTML plus one script each, served from memory with
// their own CSP (no inline script or style, nothing from another origin). They complete the mailed
// links and drive /account; a product usually brings its own front end, so SERVE_PAGES turns them
// off (the default in production). Tokens stay in the fragment and in page memory: the scripts
// read `#token=`, clear it from the address bar, and send it in a JSON body, never in a URL.
import { readFileSync } from 'node:fs'
import type { FastifyPluginAsync } from 'fastify'

/** The CSP of every page and asset: scripts, styles and fetches from this origin only. */
export const PAGE_CSP =
  "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

export const PAGES = ['account', 'verify-email', 'reset-password', 'confirm-email', 'accept-invitation'] as const

const STATIC_DIR = new URL('./static/', import.meta.url)

interface Asset {
  readonly body: Buffer
  readonly type: string
}

function load(name: string, type: string): Asset {
  // The names are the fixed list above, never a request value.
  // eslint-disable-next-line security/detect-non-literal-fs-filename -- fixed names, read once at start-up
  return { body: readFileSync(new URL(name, STATIC_DIR)), type }
}

export const pagesRoutes: FastifyPluginAsync = async (app) => {
  const assets = new Map<string, Asset>()
  for (const page of PAGES) {
    assets.set(`/${page}`, load(`${page}.html`, 'text/html; charset=utf-8'))
    assets.set(`/pages/${page}.js`, load(`${page}.js`, 'text/javascript; charset=utf-8'))
  }
  assets.set('/pages/pages.css', load('pages.css', 'text/css; charset=utf-8'))

  for (const [url, asset] of assets) {
    app.get(url, { schema: { hide: true } }, async (_request, reply) => {
      return reply.header('content-type', asset.type).header('content-security-policy', PAGE_CSP).header('cache-control', 'no-store').send(asset.body)
    })
  }
}

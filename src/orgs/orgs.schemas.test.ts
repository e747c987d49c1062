import { describe, expect, it } from 'vitest'
import { schemaCompilers } from '../http/schema-compilers.js'
import { OrgName } from './orgs.schemas.js'

// The Ajv options of src/app.ts, as Fastify hands them to the factory.
const AJV = { customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: true, allErrors: false }, plugins: [] }
const validate = schemaCompilers().buildValidator({}, AJV)({ schema: OrgName, method: 'POST', url: '/x', httpPart: 'body' })
const valid = (name: string): boolean => validate(name) === true

/** The rule OrgName states: no "//" and no "www." (any case), compared after NFKC. */
const hasLink = (name: string): boolean => /\/\/|www\./i.test(name.normalize('NFKC'))

/** Every code point whose NFKC form is `target` alone, by the running ICU. */
function formsOf(target: string): string[] {
  const forms: string[] = []
  for (let cp = 0; cp <= 0x10ffff; cp++) {
    if (cp >= 0xd800 && cp <= 0xdfff) continue
    const char = String.fromCodePoint(cp)
    if (char.normalize('NFKC') === target) forms.push(char)
  }
  return forms
}

describe('OrgName', () => {
  it('refuses every compatibility form of "/", "w", "W" and "." in a link, as NFKC would fold it', () => {
    const slashes = formsOf('/')
    const ws = [...formsOf('w'), ...formsOf('W')]
    const dots = formsOf('.')
    expect(slashes.length).toBeGreaterThan(1)
    for (const slash of slashes) {
      expect(valid(`evil:${slash}/x.example`), slash).toBe(false)
      expect(valid(`evil:/${slash}x.example`), slash).toBe(false)
    }
    for (const w of ws) expect(valid(`w${w}w.evil.example`), w).toBe(false)
    for (const dot of dots) expect(valid(`www${dot}evil.example`), dot).toBe(false)
  })

  it('agrees with the NFKC comparison on links and on ordinary names', () => {
    for (const name of [
      'www.evil.example/reset',
      'WwW.evil.example',
      'evil\uff1a//x.example',
      'evil\uff1a\uff0f\uff0fx.example',
      '//evil.example',
      'http://x.example',
      'Example.com Ltd',
      'acme.example',
      'Acme Inc.',
      'AC/DC',
      'Awww Pets',
      'ww w.example',
      'Société Générale',
      '株式会社サンプル',
    ])
      expect(valid(name), name).toBe(!hasLink(name))
  })
})

// GET /.well-known/security.txt (RFC 9116), built from config: where to report a vulnerability,
// and an Expires date that moves with every deployment so the file never goes stale.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { Deps } from '../deps.js'

export function securityTxt(deps: Pick<Deps, 'config' | 'clock'>): string {
  const { contact, expiresDays, policyUrl } = deps.config.securityTxt
  const origin = deps.config.http.publicOrigin
  const expires = new Date(deps.clock.now().getTime() + expiresDays * 86_400_000)
  expires.setUTCHours(0, 0, 0, 0)
  return [
    `Contact: ${contact}`,
    `Expires: ${expires.toISOString()}`,
    ...(policyUrl ? [`Policy: ${policyUrl}`] : []),
    'Preferred-Languages: en',
    `Canonical: ${origin}/.well-known/security.txt`,
    '',
  ].join('\n')
}

export const securityTxtRoutes: FastifyPluginAsyncTypebox<{ deps: Deps }> = async (app, { deps }) => {
  app.get('/.well-known/security.txt', { schema: { tags: ['operations'] } }, async (_request, reply) => {
    return reply.type('text/plain; charset=utf-8').header('cache-control', 'public, max-age=86400').send(securityTxt(deps))
  })
}

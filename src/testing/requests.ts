// Requests from a signed-in browser through app.inject: the session cookie on each, a JSON body
// where one is given. `const { get, post, del } = asSession(t)` at the top of a describe block.
import type { LightMyRequestResponse } from 'fastify'
import type { TestApp } from './test-app.js'

export interface SessionRequests {
  get: (url: string, cookie: string) => Promise<LightMyRequestResponse>
  post: (url: string, cookie: string, payload?: object) => Promise<LightMyRequestResponse>
  del: (url: string, cookie: string, payload?: object) => Promise<LightMyRequestResponse>
}

/** `t` is read at each call, so this works on the holder useTestApp() returns before it is filled in. */
export function asSession(t: Pick<TestApp, 'app'>): SessionRequests {
  const send = (method: 'GET' | 'POST' | 'DELETE', url: string, cookie: string, payload?: object) =>
    t.app.inject({ method, url, headers: { cookie }, ...(payload ? { payload } : {}) })
  return {
    get: (url, cookie) => send('GET', url, cookie),
    post: (url, cookie, payload) => send('POST', url, cookie, payload),
    del: (url, cookie, payload) => send('DELETE', url, cookie, payload),
  }
}

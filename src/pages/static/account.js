// /account: sign in (password, then a TOTP or recovery code when asked; or a passkey), enrol TOTP,
// add and remove passkeys, list and end sessions, sign out. Plain fetch with JSON bodies to the same
// origin, so the CSRF guard sees a same-origin JSON request; nothing is kept in storage, and every
// value from the server reaches the page through textContent, never as markup.
'use strict'
;(() => {
  const $ = (id) => document.getElementById(id)
  const status = $('status')
  const show = (text, ok = false) => {
    status.textContent = text
    status.className = `status ${ok ? 'ok' : 'error'}`
  }

  async function api(method, url, body) {
    const init = { method, credentials: 'same-origin', headers: {} }
    if (body !== undefined) {
      init.headers['content-type'] = 'application/json'
      init.body = JSON.stringify(body)
    }
    const res = await fetch(url, init)
    const data = res.status === 204 ? null : await res.json().catch(() => null)
    return { status: res.status, data }
  }
  const failure = (r) => (r.data && r.data.message) || `Request failed (${r.status})`

  // base64url <-> bytes, for the WebAuthn JSON shapes.
  const fromB64u = (s) => {
    const b = atob(s.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((s.length + 3) % 4))
    return Uint8Array.from(b, (c) => c.charCodeAt(0))
  }
  const toB64u = (buf) => {
    let s = ''
    for (const byte of new Uint8Array(buf)) s += String.fromCharCode(byte)
    return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
  }
  const extensionResults = (cred) => {
    const rk = cred.getClientExtensionResults().credProps?.rk
    return typeof rk === 'boolean' ? { credProps: { rk } } : {}
  }
  const attachment = (cred) => (cred.authenticatorAttachment ? { authenticatorAttachment: cred.authenticatorAttachment } : {})

  function reauth() {
    const body = { password: $('reauth-password').value }
    const code = $('reauth-code').value.trim()
    if (code) body.code = code
    return body
  }

  // ---- signed out ---------------------------------------------------------------------------
  $('login-form').addEventListener('submit', async (event) => {
    event.preventDefault()
    const r = await api('POST', '/v1/auth/login', { email: $('login-email').value, password: $('login-password').value })
    $('login-password').value = ''
    if (r.status === 200 && r.data.mfaRequired) {
      $('login-form').hidden = true
      $('mfa-form').hidden = false
      show('Enter the code from your authenticator app.', true)
      return
    }
    if (r.status === 200) return refresh('Signed in.')
    show(failure(r))
  })

  $('mfa-form').addEventListener('submit', async (event) => {
    event.preventDefault()
    const r = await api('POST', '/v1/auth/login/mfa', { code: $('mfa-code').value.trim() })
    $('mfa-code').value = ''
    if (r.status === 200) return refresh('Signed in.')
    if (r.status === 401 && r.data && r.data.error === 'unauthenticated') {
      $('mfa-form').hidden = true
      $('login-form').hidden = false
    }
    show(failure(r))
  })

  $('passkey-login').addEventListener('click', async () => {
    const o = await api('POST', '/v1/auth/passkey/options')
    if (o.status !== 200) return show(failure(o))
    let cred
    try {
      cred = await navigator.credentials.get({
        publicKey: { challenge: fromB64u(o.data.challenge), rpId: o.data.rpId, timeout: o.data.timeout, userVerification: o.data.userVerification },
      })
    } catch {
      return show('The passkey sign-in was cancelled.')
    }
    const response = {
      id: cred.id,
      rawId: toB64u(cred.rawId),
      type: cred.type,
      ...attachment(cred),
      clientExtensionResults: extensionResults(cred),
      response: {
        clientDataJSON: toB64u(cred.response.clientDataJSON),
        authenticatorData: toB64u(cred.response.authenticatorData),
        signature: toB64u(cred.response.signature),
        ...(cred.response.userHandle ? { userHandle: toB64u(cred.response.userHandle) } : {}),
      },
    }
    const r = await api('POST', '/v1/auth/passkey', { response })
    if (r.status === 200) return refresh('Signed in with your passkey.')
    show(failure(r))
  })

  // ---- signed in ----------------------------------------------------------------------------
  $('logout').addEventListener('click', async () => {
    await api('POST', '/v1/auth/logout')
    await refresh('Signed out.')
  })

  $('passkey-add-form').addEventListener('submit', async (event) => {
    event.preventDefault()
    const o = await api('POST', '/v1/me/passkeys/registration/options', reauth())
    if (o.status !== 200) return show(failure(o))
    const opts = o.data
    let cred
    try {
      cred = await navigator.credentials.create({
        publicKey: {
          rp: opts.rp,
          user: { id: fromB64u(opts.user.id), name: opts.user.name, displayName: opts.user.displayName },
          challenge: fromB64u(opts.challenge),
          pubKeyCredParams: opts.pubKeyCredParams,
          timeout: opts.timeout,
          attestation: opts.attestation,
          excludeCredentials: opts.excludeCredentials.map((c) => ({ ...c, id: fromB64u(c.id) })),
          authenticatorSelection: opts.authenticatorSelection,
          extensions: opts.extensions,
        },
      })
    } catch {
      return show('Adding the passkey was cancelled (or this authenticator already holds one for this account).')
    }
    const transports = typeof cred.response.getTransports === 'function' ? cred.response.getTransports() : []
    const response = {
      id: cred.id,
      rawId: toB64u(cred.rawId),
      type: cred.type,
      ...attachment(cred),
      clientExtensionResults: extensionResults(cred),
      response: { clientDataJSON: toB64u(cred.response.clientDataJSON), attestationObject: toB64u(cred.response.attestationObject), transports },
    }
    const r = await api('POST', '/v1/me/passkeys/registration', { name: $('passkey-name').value, response })
    if (r.status === 201) return refresh(`Passkey "${r.data.name}" added.`)
    show(failure(r))
  })

  $('totp-start').addEventListener('click', async () => {
    const r = await api('POST', '/v1/me/mfa/totp', { password: $('reauth-password').value })
    if (r.status !== 200) return show(failure(r))
    // The QR code is an image of the server's own SVG: never inserted as markup.
    $('totp-qr').src = `data:image/svg+xml;base64,${btoa(r.data.qrSvg)}`
    $('totp-secret').textContent = r.data.secret
    $('totp-enrol').hidden = false
  })

  $('totp-confirm-form').addEventListener('submit', async (event) => {
    event.preventDefault()
    const r = await api('POST', '/v1/me/mfa/totp/confirm', { code: $('totp-code').value.trim() })
    if (r.status !== 200) return show(failure(r))
    const list = $('recovery-codes')
    list.replaceChildren(...r.data.recoveryCodes.map((code) => Object.assign(document.createElement('li'), { textContent: code })))
    $('recovery').hidden = false
    $('totp-enrol').hidden = true
    await refresh('Two-factor sign-in is on.')
  })

  $('sessions-end-others').addEventListener('click', async () => {
    const r = await api('DELETE', '/v1/sessions')
    if (r.status === 204) return refresh('Every other session was signed out.')
    show(failure(r))
  })

  function button(text, onClick) {
    const b = document.createElement('button')
    b.type = 'button'
    b.textContent = text
    b.addEventListener('click', onClick)
    return b
  }

  async function renderPasskeys() {
    const r = await api('GET', '/v1/me/passkeys')
    const list = $('passkeys')
    if (r.status !== 200) return list.replaceChildren()
    // A passkey is a second factor too: without TOTP, the account's two-factor sign-in is its passkey.
    if ($('me-mfa').textContent === 'off' && r.data.passkeys.length > 0) $('me-mfa').textContent = 'on (passkey)'
    list.replaceChildren(
      ...r.data.passkeys.map((p) => {
        const li = document.createElement('li')
        li.dataset.passkeyId = p.id
        const used = p.lastUsedAt ? `last used ${new Date(p.lastUsedAt).toLocaleString()}` : 'never used'
        li.append(`${p.name} (added ${new Date(p.createdAt).toLocaleString()}, ${used}${p.backedUp ? ', synced' : ''}) `)
        li.append(
          button('Remove', async () => {
            const d = await api('DELETE', `/v1/me/passkeys/${encodeURIComponent(p.id)}`, reauth())
            if (d.status === 204) return refresh(`Passkey "${p.name}" removed.`)
            show(failure(d))
          }),
        )
        return li
      }),
    )
  }

  async function renderSessions() {
    const r = await api('GET', '/v1/sessions')
    const list = $('sessions')
    if (r.status !== 200) return list.replaceChildren()
    list.replaceChildren(
      ...r.data.sessions.map((s) => {
        const li = document.createElement('li')
        li.append(
          `${s.current ? 'This browser' : s.userAgent || 'Unknown device'} (${s.ip || 'unknown address'}, last seen ${new Date(s.lastSeenAt).toLocaleString()}) `,
        )
        if (!s.current) {
          li.append(
            button('End', async () => {
              const d = await api('DELETE', `/v1/sessions/${encodeURIComponent(s.id)}`)
              if (d.status === 204) return refresh('Session ended.')
              show(failure(d))
            }),
          )
        }
        return li
      }),
    )
  }

  // Signed out, the page keeps nothing of the account: on a shared computer the next person must not
  // find the address, the password typed for re-authentication, a TOTP key or the recovery codes in it.
  function forgetAccount() {
    for (const id of ['me-email', 'me-mfa', 'totp-secret']) $(id).textContent = ''
    for (const id of ['passkeys', 'sessions', 'recovery-codes']) $(id).replaceChildren()
    for (const id of ['reauth-password', 'reauth-code', 'totp-code']) $(id).value = ''
    $('totp-qr').removeAttribute('src')
    $('totp-enrol').hidden = true
    $('recovery').hidden = true
  }

  async function refresh(message) {
    const me = await api('GET', '/v1/me')
    const signedIn = me.status === 200
    $('signed-out').hidden = signedIn
    $('signed-in').hidden = !signedIn
    if (signedIn) {
      $('me-email').textContent = me.data.email
      $('me-mfa').textContent = me.data.mfaEnabled ? 'on' : 'off'
      $('totp-off').hidden = me.data.mfaEnabled
      await Promise.all([renderPasskeys(), renderSessions()])
    } else {
      forgetAccount()
      $('login-form').hidden = false
      $('mfa-form').hidden = true
    }
    if (message) show(message, true)
    else if (signedIn || me.status === 401) show('')
    else show(failure(me))
  }

  void refresh()
})()

// /accept-invitation#token=...: posts {token} to /v1/invitations/accept with the session cookie.
// The token stays in this closure; the fragment is cleared at once.
'use strict'
;(() => {
  const token = new URLSearchParams(location.hash.slice(1)).get('token')
  history.replaceState(null, '', location.pathname)
  // A link followed in a tab already on this page changes only the fragment: read it the same way.
  addEventListener('hashchange', () => {
    if (location.hash.includes('token=')) location.reload()
  })
  const button = document.getElementById('accept')
  const status = document.getElementById('status')
  const show = (text, ok) => {
    status.textContent = text
    status.className = `status ${ok ? 'ok' : 'error'}`
  }
  if (!token) {
    button.hidden = true
    show('This page needs the link from your email.', false)
    return
  }
  button.addEventListener('click', async () => {
    const res = await fetch('/v1/invitations/accept', {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token }),
    })
    const body = await res.json().catch(() => ({}))
    if (res.status === 200) {
      button.hidden = true
      show(`You joined the organization as ${body.role}.`, true)
      return
    }
    if (res.status === 401) show('Sign in first (link below), then press the button again.', false)
    else if (body.error === 'invalid_token') show('This invitation is invalid, used, expired, or for another address.', false)
    else show(body.message ?? 'Something went wrong.', false)
  })
})()

// /confirm-email#token=...: posts {token} to /v1/me/email/confirm with the session cookie. The
// token stays in this closure (the fragment is cleared), so the user may sign in in another tab
// and press the button again.
'use strict'
;(() => {
  const token = new URLSearchParams(location.hash.slice(1)).get('token')
  history.replaceState(null, '', location.pathname)
  // A link followed in a tab already on this page changes only the fragment: read it the same way.
  addEventListener('hashchange', () => {
    if (location.hash.includes('token=')) location.reload()
  })
  const button = document.getElementById('confirm')
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
    const res = await fetch('/v1/me/email/confirm', {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token }),
    })
    if (res.status === 204) {
      button.hidden = true
      show('Your new email address is confirmed.', true)
      return
    }
    const body = await res.json().catch(() => ({}))
    if (res.status === 401) show('Sign in first (link below), then press the button again.', false)
    else if (body.error === 'invalid_token') show('This link is invalid, used or expired.', false)
    else show(body.message ?? 'Something went wrong.', false)
  })
})()

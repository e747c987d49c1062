// /verify-email#token=...: reads the token from the fragment, clears it from the address bar and
// history, and posts {token, password} as JSON. The token lives only in this closure.
'use strict'
;(() => {
  const token = new URLSearchParams(location.hash.slice(1)).get('token')
  history.replaceState(null, '', location.pathname)
  // A link followed in a tab already on this page changes only the fragment: read it the same way.
  addEventListener('hashchange', () => {
    if (location.hash.includes('token=')) location.reload()
  })
  const form = document.getElementById('verify-form')
  const status = document.getElementById('status')
  const show = (text, ok) => {
    status.textContent = text
    status.className = `status ${ok ? 'ok' : 'error'}`
  }
  const messages = {
    invalid_token: 'This link is invalid, used or expired. Sign in to get a new one.',
    invalid_credentials: 'That password is not correct.',
    rate_limited: 'Too many attempts; wait a little and try again.',
  }
  if (!token) {
    form.hidden = true
    show('This page needs the link from your email.', false)
    return
  }
  form.addEventListener('submit', async (event) => {
    event.preventDefault()
    const password = document.getElementById('password').value
    const res = await fetch('/v1/auth/verify-email', {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token, password }),
    })
    if (res.status === 204) {
      form.hidden = true
      show('Your email address is verified. You can sign in now.', true)
      return
    }
    const body = await res.json().catch(() => ({}))
    show(messages[body.error] ?? body.message ?? 'Something went wrong.', false)
  })
})()

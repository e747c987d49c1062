// /reset-password#token=...: with a token, sets the new password ({token, newPassword}); without
// one, asks for a reset mail. The token is taken from the fragment, which is then cleared.
'use strict'
;(() => {
  const token = new URLSearchParams(location.hash.slice(1)).get('token')
  history.replaceState(null, '', location.pathname)
  // A link followed in a tab already on this page changes only the fragment: read it the same way.
  addEventListener('hashchange', () => {
    if (location.hash.includes('token=')) location.reload()
  })
  const status = document.getElementById('status')
  const show = (text, ok) => {
    status.textContent = text
    status.className = `status ${ok ? 'ok' : 'error'}`
  }
  const post = (url, body) =>
    fetch(url, { method: 'POST', credentials: 'same-origin', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
  const failure = async (res) => {
    const body = await res.json().catch(() => ({}))
    if (body.error === 'invalid_token') return 'This link is invalid, used or expired. Ask for a new one.'
    if (body.error === 'weak_password') return body.message
    if (body.error === 'rate_limited') return 'Too many attempts; wait a little and try again.'
    return body.message ?? 'Something went wrong.'
  }

  const requestForm = document.getElementById('request-form')
  const resetForm = document.getElementById('reset-form')
  if (!token) {
    requestForm.hidden = false
    requestForm.addEventListener('submit', async (event) => {
      event.preventDefault()
      const res = await post('/v1/auth/password-reset', { email: document.getElementById('email').value })
      if (res.status === 202) show('If an account uses this address, a link is on its way.', true)
      else show(await failure(res), false)
    })
    return
  }
  resetForm.hidden = false
  resetForm.addEventListener('submit', async (event) => {
    event.preventDefault()
    const newPassword = document.getElementById('new-password').value
    // ast-grep-ignore: no-secret-equality -- the two fields of this form, typed by this user, in the browser
    if (newPassword !== document.getElementById('repeat-password').value) {
      show('The two passwords differ.', false)
      return
    }
    const res = await post('/v1/auth/password-reset/confirm', { token, newPassword })
    if (res.status === 204) {
      resetForm.hidden = true
      show('Your password was changed and every session signed out. Sign in with the new password.', true)
      return
    }
    show(await failure(res), false)
  })
})()

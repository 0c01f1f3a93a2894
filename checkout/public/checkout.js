// Harpoon hosted checkout: the page is complete without this script (rendered by the daemon).
// This only adds what needs a script: copy buttons, a live countdown, and polling the payment's
// status so the page re-renders itself when the payment changes. It writes text, never markup.

const root = document.getElementById('checkout')
const POLL_MS = 3000
const MAX_BACKOFF_MS = 30000

function setupCopy () {
  for (const button of document.querySelectorAll('button.copy[data-copy]')) {
    const value = button.dataset.copy
    const label = button.textContent
    button.hidden = false
    button.addEventListener('click', async () => {
      let copied = false
      try {
        await navigator.clipboard.writeText(value)
        copied = true
      } catch {
        // No clipboard API (a page not served over https): select the text for the customer instead.
        const target = button.parentElement?.querySelector('.hpn, .number')
        if (target !== null && target !== undefined) {
          const range = document.createRange()
          range.selectNodeContents(target)
          const selection = window.getSelection()
          selection?.removeAllRanges()
          selection?.addRange(range)
        }
      }
      button.textContent = copied ? 'Copied' : 'Selected: copy it'
      button.classList.add('done')
      setTimeout(() => { button.textContent = label; button.classList.remove('done') }, 2000)
    })
  }
}

function two (n) { return String(n).padStart(2, '0') }

function setupCountdown () {
  const out = document.getElementById('countdown')
  if (out === null || root === null) return
  const expires = Number(root.dataset.expires)
  // The server's clock, not the phone's: a phone set to the wrong time still counts right.
  const skew = Number(root.dataset.now) - Date.now()
  const tick = () => {
    const left = expires - (Date.now() + skew)
    if (left <= 0) { out.textContent = 'time is up'; poll(); return }
    const s = Math.floor(left / 1000)
    out.textContent = s >= 3600 ? `${Math.floor(s / 3600)}:${two(Math.floor((s % 3600) / 60))}:${two(s % 60)} left` : `${two(Math.floor(s / 60))}:${two(s % 60)} left`
    setTimeout(tick, 1000 - (left % 1000))
  }
  tick()
}

let timer = null
let delay = POLL_MS
async function poll () {
  if (timer !== null) clearTimeout(timer)
  timer = null
  try {
    const res = await fetch(root.dataset.statusUrl, { headers: { accept: 'application/json' }, cache: 'no-store' })
    if (res.ok) {
      const { data } = await res.json()
      // Any change (status, or more money on a partial payment) re-renders the page from the server.
      if (String(data.sequence) !== root.dataset.sequence || data.status !== root.dataset.status) { location.reload(); return }
      delay = POLL_MS
    } else {
      delay = Math.min(delay * 2, MAX_BACKOFF_MS)
    }
  } catch {
    delay = Math.min(delay * 2, MAX_BACKOFF_MS)
    const live = document.getElementById('live')
    if (live !== null) live.textContent = 'Checking… (the connection dropped; retrying)'
  }
  timer = setTimeout(poll, delay)
}

if (root !== null && root.dataset.final !== 'true') {
  setupCopy()
  setupCountdown()
  timer = setTimeout(poll, POLL_MS)
}

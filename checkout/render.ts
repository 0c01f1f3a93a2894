import { formatAmount } from '../core/money.js'
import { fillSteps, type GuideNetwork, type PaymentGuide } from '../core/payment-guides.js'
import type { PaymentStatus } from '../core/enums.js'

/**
 * The hosted checkout page as HTML, rendered on the server: the whole page reads without
 * JavaScript (the script only copies, counts down and polls). Every value from outside (a
 * description, an operator's steps) is escaped. The page shows this payment and the wallets that
 * can receive it, nothing of the merchant beyond that (not even its name: the customer's phone
 * shows the wallet's registered name before they approve, and the steps say to check it).
 */

/** How the customer approves the payment: from their own USSD menu, or a prompt the network sends. */
export type Approval = 'ussd' | 'phone_prompt'

/** The one payment the page shows, and the little around it that the customer needs. */
export interface CheckoutModel {
  status: PaymentStatus
  expectedMinor: number
  actualMinor: number | null
  currency: string
  hpnCode: string
  reference: string
  expiresAt: number
  sequence: number
  description: string | null
  /** The shop's redirect_url, already with `?reference=`: where a final state sends the customer. */
  returnUrl: string | null
  wallets: ReadonlyArray<{ network: GuideNetwork, msisdn: string }>
  guides: Readonly<Record<GuideNetwork, PaymentGuide>>
  approval: Approval
  /** This page's status endpoint (token-scoped). */
  statusUrl: string
  now: number
}

/** States the customer can still act in; every other one is an outcome. */
const OPEN: readonly PaymentStatus[] = ['PENDING', 'PARTIAL']
export const isFinal = (status: PaymentStatus): boolean => !OPEN.includes(status)

/** Seconds a final page shows its outcome before returning the customer to the shop. */
export const RETURN_AFTER_S = 4
/** Seconds between reloads of an open page in a browser without JavaScript. */
const NOSCRIPT_REFRESH_S = 20

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }
export const esc = (text: string): string => text.replace(/[&<>"']/g, (c) => ESCAPES[c] as string)

const money = (currency: string, minor: number): string => `${currency} ${formatAmount(minor)}`

/** "14:05 GMT, 29 Apr 2026": Ghana keeps GMT all year, so the page shows it as such. */
function clock (epochMs: number): string {
  const d = new Date(epochMs)
  const hm = d.toISOString().slice(11, 16)
  const day = d.toLocaleDateString('en-GB', { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' })
  return `${hm} GMT, ${day}`
}

function left (ms: number): string {
  if (ms <= 0) return 'time is up'
  const min = Math.ceil(ms / 60_000)
  if (min < 60) return `${min} min left`
  const h = Math.floor(min / 60)
  return min % 60 === 0 ? `${h} h left` : `${h} h ${min % 60} min left`
}

interface Outcome { tone: 'good' | 'warn' | 'bad', title: string, text: string }

function outcome (m: CheckoutModel): Outcome | null {
  const paid = m.actualMinor ?? 0
  switch (m.status) {
    case 'SUCCESS': return { tone: 'good', title: 'Payment received', text: `${money(m.currency, paid)} reached the shop. Thank you.` }
    case 'OVERPAID': return { tone: 'good', title: 'Payment received', text: `${money(m.currency, paid)} reached the shop: ${money(m.currency, paid - m.expectedMinor)} more than asked. The shop will settle the difference with you.` }
    case 'PARTIAL': return { tone: 'warn', title: 'Part of the amount received', text: `${money(m.currency, paid)} of ${money(m.currency, m.expectedMinor)} reached the shop. Pay the remaining ${money(m.currency, m.expectedMinor - paid)} the same way, with the same reference code.` }
    case 'EXPIRED': return { tone: 'bad', title: 'This payment request has expired', text: 'Do not pay it now. Ask the shop for a new one.' }
    case 'CANCELLED': return { tone: 'bad', title: 'This payment request was cancelled', text: 'Do not pay it. Ask the shop if you still want to buy.' }
    case 'FAILED': return { tone: 'bad', title: 'This payment did not go through', text: 'Ask the shop what to do next.' }
    case 'REFUNDED': return { tone: 'warn', title: 'This payment was refunded', text: 'The shop has returned the money for it.' }
    case 'MANUAL_REVIEW': return { tone: 'warn', title: 'Your payment is being checked', text: 'The shop received money for this request and is checking it. Do not pay again.' }
    case 'PENDING': return null
  }
}

function walletSection (m: CheckoutModel, amountMinor: number): string {
  if (m.approval === 'phone_prompt') {
    return `<section class="how"><h2>Approve on your phone</h2>
<p>A payment prompt for ${esc(money(m.currency, amountMinor))} is on its way to your phone. Check the amount and the name shown, then enter your PIN to approve it.</p>
<p class="small">No prompt after a minute? Dial your wallet's menu and look under your approvals.</p></section>`
  }
  if (m.wallets.length === 0) return '<section class="how"><h2>How to pay</h2><p>No wallet is set up to receive this payment yet. Contact the shop.</p></section>'
  // The first wallet opens with its steps; the others show network and number until tapped.
  const wallets = m.wallets.map((w, i) => {
    const guide = m.guides[w.network]
    const steps = fillSteps(guide.steps, { wallet: w.msisdn, amount: formatAmount(amountMinor), currency: m.currency, code: m.hpnCode })
    return `<details class="wallet" data-network="${esc(w.network)}"${i === 0 ? ' open' : ''}>
<summary><span class="network">${esc(guide.name)}</span> <span class="msisdn">${esc(w.msisdn)}</span></summary>
<p class="copyline">Pay to <strong class="number">${esc(w.msisdn)}</strong> <button type="button" class="copy" data-copy="${esc(w.msisdn)}" hidden>Copy number</button></p>
<ol>${steps.map((s) => `<li>${esc(s)}</li>`).join('')}</ol>
</details>`
  }).join('\n')
  return `<section class="how"><h2>How to pay</h2>
<p>Pay from any wallet below with its USSD menu${m.wallets.length > 1 ? ' (tap your network for the steps)' : ''}.</p>
${wallets}</section>`
}

/** The page for one payment, in whatever state it is. */
export function renderCheckout (m: CheckoutModel): string {
  const final = isFinal(m.status)
  const result = outcome(m)
  const owing = m.status === 'PARTIAL' ? m.expectedMinor - (m.actualMinor ?? 0) : m.expectedMinor
  // Only a PENDING request expires: a PARTIAL one stays payable (SPEC §6), so it shows no deadline.
  // Leaving for the shop is a plain meta refresh: it works without JavaScript and under the CSP.
  const head = final && m.returnUrl !== null
    ? `<meta http-equiv="refresh" content="${RETURN_AFTER_S};url=${esc(m.returnUrl)}">`
    : final ? '' : `<noscript><meta http-equiv="refresh" content="${NOSCRIPT_REFRESH_S}"></noscript>`
  const back = m.returnUrl === null
    ? ''
    : `<p class="back"><a href="${esc(m.returnUrl)}" rel="noreferrer">${final ? 'Return to the shop now' : 'Back to the shop'}</a></p>`
  const statusLine = m.status === 'PENDING'
    ? (m.approval === 'phone_prompt' ? 'Waiting for you to approve on your phone…' : 'Waiting for your payment…')
    : m.status === 'PARTIAL' ? 'Waiting for the rest of your payment…' : ''
  const body = final
    ? `<section class="outcome ${result?.tone ?? 'warn'}" role="status"><h2>${esc(result?.title ?? '')}</h2><p>${esc(result?.text ?? '')}</p>
${m.returnUrl !== null ? `<p class="small">Taking you back to the shop…</p>` : ''}</section>`
    : `${result === null ? '' : `<section class="outcome ${result.tone}"><h2>${esc(result.title)}</h2><p>${esc(result.text)}</p></section>`}
<section class="code"><h2>Reference code</h2>
<p class="small">Enter it as the payment's reference, exactly as shown.</p>
<p class="hpn" id="hpn-code">${esc(m.hpnCode)}</p>
<button type="button" class="copy" data-copy="${esc(m.hpnCode)}" hidden>Copy code</button></section>
${m.status === 'PENDING' ? `<p class="expiry">Pay by <time datetime="${new Date(m.expiresAt).toISOString()}">${esc(clock(m.expiresAt))}</time><br><span id="countdown">${esc(left(m.expiresAt - m.now))}</span></p>` : ''}
<p id="live" class="live" role="status" aria-live="polite">${esc(statusLine)}</p>
${walletSection(m, owing)}`
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<meta name="robots" content="noindex">
${head}
<title>Pay ${esc(money(m.currency, m.expectedMinor))}</title>
<link rel="stylesheet" href="/checkout/assets/checkout.css">
<script type="module" src="/checkout/assets/checkout.js"></script>
</head>
<body>
<main id="checkout" data-status="${m.status}" data-sequence="${m.sequence}" data-final="${final}" data-expires="${m.expiresAt}" data-now="${m.now}" data-status-url="${esc(m.statusUrl)}">
<header><p class="label">Amount to pay</p>
<p class="amount">${esc(money(m.currency, m.expectedMinor))}</p>
${m.description === null ? '' : `<p class="description">${esc(m.description)}</p>`}</header>
${body}
${back}
</main>
</body>
</html>
`
}

/** What an unknown or malformed link gets: nothing about any payment. */
export function renderMissing (): string {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta name="robots" content="noindex">
<title>Payment link not found</title><link rel="stylesheet" href="/checkout/assets/checkout.css"></head>
<body><main id="checkout" data-final="true"><section class="outcome bad"><h2>This payment link is not valid</h2>
<p>Check that you opened the whole link the shop gave you, or ask the shop for a new one.</p></section></main></body>
</html>
`
}

/** The token-scoped status the page polls: this payment's state and nothing else. */
export function statusOf (m: Pick<CheckoutModel, 'status' | 'sequence' | 'expectedMinor' | 'actualMinor' | 'currency' | 'expiresAt'>): {
  status: PaymentStatus, sequence: number, final: boolean, expected_amount: string, actual_amount: string | null, currency: string, expires_at: string
} {
  return {
    status: m.status,
    sequence: m.sequence,
    final: isFinal(m.status),
    expected_amount: formatAmount(m.expectedMinor),
    actual_amount: m.actualMinor === null ? null : formatAmount(m.actualMinor),
    currency: m.currency,
    expires_at: new Date(m.expiresAt).toISOString()
  }
}

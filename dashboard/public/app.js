// Harpoon operator dashboard: plain browser JavaScript, no framework, no build step.
// Every piece of data from the API goes into the page through textContent or attribute setters,
// never as markup: SMS text is written by whoever texts the wallet SIM.

const KEY_STORE = 'harpoon.operatorKey'
const REFRESH_MS = 4000

const state = { key: sessionStorage.getItem(KEY_STORE), page: 'overview', timer: null, loading: false }

// ---------- DOM helpers ----------

/** el('td', { className: 'x' }, 'text', child) — strings become text nodes, never markup. */
function el (tag, props, ...children) {
  const node = document.createElement(tag)
  for (const [k, v] of Object.entries(props ?? {})) {
    if (v === undefined || v === null) continue
    if (k.startsWith('on')) node.addEventListener(k.slice(2), v)
    else if (k === 'dataset') Object.assign(node.dataset, v)
    else if (k in node) node[k] = v
    else node.setAttribute(k, String(v))
  }
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue
    node.append(c instanceof Node ? c : document.createTextNode(String(c)))
  }
  return node
}

const $ = (id) => document.getElementById(id)
const dash = '—'
const text = (v) => (v === null || v === undefined || v === '' ? dash : String(v))

function span (s) {
  if (s < 60) return `${s} s`
  if (s < 3600) return `${Math.floor(s / 60)} min`
  if (s < 86400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`
  return `${Math.floor(s / 86400)} days`
}

function ago (iso) {
  if (iso === null || iso === undefined) return 'never'
  const s = Math.round((Date.now() - Date.parse(iso)) / 1000)
  return s < 0 ? `in ${span(-s)}` : `${span(s)} ago`
}

function time (iso) {
  if (iso === null || iso === undefined) return el('span', { className: 'muted' }, 'never')
  return el('time', { dateTime: iso, title: iso }, `${iso.replace('T', ' ').replace('Z', '')} (${ago(iso)})`)
}

function badge (label, kind) { return el('span', { className: `badge ${kind}` }, label) }

function table (headers, rows, empty) {
  if (rows.length === 0) return el('p', { className: 'empty' }, empty)
  return el('table', {},
    el('thead', {}, el('tr', {}, headers.map((h) => el('th', {}, h)))),
    el('tbody', {}, rows))
}

function notice (message, kind = 'ok') {
  const n = $('notice')
  n.className = `banner ${kind}`
  n.textContent = message
  n.hidden = false
}

// ---------- API ----------

class ApiError extends Error {
  constructor (status, code, message) { super(message); this.status = status; this.code = code }
}

async function api (path, options = {}) {
  const headers = { authorization: `Bearer ${state.key}` }
  if (options.body !== undefined) {
    headers['content-type'] = 'application/json'
    // A retried click must not assign a credit or replay a delivery twice.
    headers['idempotency-key'] = crypto.randomUUID()
  }
  const res = await fetch(path, { method: options.method ?? 'GET', headers, body: options.body === undefined ? undefined : JSON.stringify(options.body), cache: 'no-store', credentials: 'omit' })
  let body = null
  try { body = await res.json() } catch { /* not JSON: reported below */ }
  if (res.status === 401) { signOut('The key was refused (unknown, revoked or expired). Sign in again.'); throw new ApiError(401, 'unauthorized', 'signed out') }
  if (body === null || body.success !== true) {
    const e = body?.error ?? {}
    throw new ApiError(res.status, e.code ?? 'http_error', e.message ?? `HTTP ${res.status}`)
  }
  return body
}

const enc = encodeURIComponent

// ---------- pages ----------

const pages = {
  overview: { title: 'Overview', auto: true, render: renderOverview },
  modems: { title: 'Modems', auto: true, render: renderModems },
  sms: { title: 'SMS inbox', auto: true, render: renderSms },
  credits: { title: 'Unmatched credits', auto: true, render: renderCredits },
  payments: { title: 'Payments', auto: true, render: renderPayments },
  webhooks: { title: 'Webhooks', auto: true, render: renderWebhooks },
  keys: { title: 'API keys', auto: true, render: renderKeys },
  audit: { title: 'Audit trail', auto: true, render: renderAudit }
}

// Filters and searches survive the periodic refresh.
const view = { smsOutcome: '', creditStatus: 'unmatched', paymentStatus: '', search: '', deliveryStatus: 'dead', auditTarget: '', auditKey: '' }

/** A new secret, shown this once, until the operator says it is saved. */
function showSecret (label, value) {
  $('secret-label').textContent = label
  $('secret-value').textContent = value
  $('secret').hidden = false
}

function hideSecret () {
  $('secret-value').textContent = ''
  $('secret').hidden = true
}

/** A button that runs one API change, disabled while it runs, and reports failure in the notice. */
function action (label, run, className) {
  return el('button', {
    type: 'button',
    className,
    onclick: async (e) => {
      e.target.disabled = true
      try {
        await run()
        await refresh()
      } catch (err) {
        e.target.disabled = false
        notice(`${label} failed: ${err.message}`, 'bad')
      }
    }
  }, label)
}

function signal (dbm) {
  if (dbm === null || dbm === undefined) return badge('no signal reading', 'warn')
  const quality = dbm >= -85 ? ['good', 'ok'] : dbm >= -100 ? ['fair', 'warn'] : ['poor', 'bad']
  return el('span', {}, `${dbm} dBm `, badge(quality[0], quality[1]))
}

function yesNo (v, yes, no) {
  if (v === null || v === undefined) return badge('unknown', 'muted')
  return v ? badge(yes, 'ok') : badge(no, 'bad')
}

async function renderModems () {
  const { data } = await api('/v1/modems')
  const cards = data.map((m) => {
    const storage = m.storage_total === null ? dash : `${m.storage_used ?? '?'} / ${m.storage_total}`
    const full = m.storage_total !== null && m.storage_used !== null && m.storage_used >= m.storage_total
    const counters = Object.entries(m.counters ?? {}).map(([k, v]) => `${k} ${v}`).join(', ')
    return el('article', { className: `card modem ${m.connected ? '' : 'down'}`, dataset: { modem: m.id } },
      el('h3', {}, m.id, ' ', m.virtual ? badge('virtual', 'muted') : null, ' ', m.connected ? badge('connected', 'ok') : badge(text(m.state ?? 'disconnected'), 'bad')),
      el('dl', {},
        ...(m.agent === undefined ? [] : [el('dt', {}, 'Agent'), el('dd', {}, `${m.agent} · last contact ${m.last_contact_at ? ago(m.last_contact_at) : 'never'}`)]),
        el('dt', {}, 'Network'), el('dd', {}, `${text(m.network).toUpperCase()} · ${text(m.msisdn)}`),
        el('dt', {}, 'Port'), el('dd', { className: 'mono' }, m.port),
        el('dt', {}, 'State'), el('dd', {}, text(m.state)),
        el('dt', {}, 'Signal'), el('dd', {}, signal(m.signal_dbm)),
        el('dt', {}, 'Registration'), el('dd', {}, yesNo(m.registered, 'registered', 'not registered')),
        el('dt', {}, 'SIM'), el('dd', {}, yesNo(m.sim_ready, 'ready', 'not ready')),
        el('dt', {}, 'SIM storage'), el('dd', {}, storage, full ? badge('full', 'bad') : null),
        el('dt', {}, 'Last SMS'), el('dd', {}, time(m.last_sms_at)),
        el('dt', {}, 'IMEI / IMSI'), el('dd', { className: 'mono' }, `${text(m.imei)} / ${text(m.imsi)}`),
        el('dt', {}, 'Counters'), el('dd', {}, counters === '' ? dash : counters),
        el('dt', {}, 'Last error'), el('dd', { className: m.last_error ? 'error' : 'muted' }, text(m.last_error))))
  })
  return [el('p', { className: 'hint' }, 'Refreshes every few seconds. A modem that is not connected is retried by the daemon (or its agent); agent_offline means the site stopped reporting. See the README operator guide for what each state means.'),
    cards.length === 0 ? el('p', { className: 'empty' }, 'No modems configured.') : el('div', { className: 'cards' }, cards)]
}

function outcomeBadge (o) {
  const kinds = { credit: 'ok', duplicate: 'muted', debit: 'muted', other: 'muted', unparsed: 'warn', untrusted: 'bad' }
  return o === null ? badge('pending', 'muted') : badge(o, kinds[o] ?? 'muted')
}

function filterSelect (label, values, current, onChange) {
  return el('label', { className: 'filter' }, `${label} `,
    el('select', { onchange: (e) => { onChange(e.target.value); void refresh() } },
      values.map(([v, l]) => el('option', { value: v, selected: v === current }, l))))
}

async function renderSms () {
  const q = view.smsOutcome === '' ? '' : `&outcome=${enc(view.smsOutcome)}`
  const { data } = await api(`/v1/sms?limit=50${q}`)
  const rows = data.map((s) => el('tr', { dataset: { sms: s.id } },
    el('td', {}, time(s.received_at)),
    el('td', {}, s.modem_id),
    el('td', {}, s.sender),
    el('td', {}, outcomeBadge(s.outcome), s.complete ? null : badge(`part ${s.parts}`, 'warn')),
    el('td', { className: 'sms-text' }, s.text),
    el('td', { className: 'mono' }, text(s.credit_id))))
  return [
    el('div', { className: 'toolbar' }, filterSelect('Outcome', [['', 'all'], ['credit', 'credit'], ['unparsed', 'unparsed'], ['untrusted', 'untrusted'], ['duplicate', 'duplicate'], ['debit', 'debit'], ['other', 'other']], view.smsOutcome, (v) => { view.smsOutcome = v })),
    el('p', { className: 'hint' }, 'Newest 50 messages. "unparsed" means a telco wording the parsers do not know yet: check it with harpoon parse. "untrusted" means the sender is not a known telco sender.'),
    table(['Received', 'Modem', 'Sender', 'Outcome', 'Text', 'Credit'], rows, 'No SMS yet.')]
}

async function renderCredits () {
  const q = view.creditStatus === '' ? '' : `&status=${enc(view.creditStatus)}`
  const { data } = await api(`/v1/credits?limit=50${q}`)
  const rows = data.map((c) => {
    const input = el('input', { type: 'text', placeholder: 'HPN code or reference', 'aria-label': `Payment for credit ${c.id}`, spellcheck: false, size: 18 })
    const assign = el('form', {
      className: 'assign',
      onsubmit: async (e) => {
        e.preventDefault()
        const target = input.value.trim()
        if (target === '') return
        try {
          const { data: r } = await api(`/v1/credits/${enc(c.id)}/assign`, { method: 'POST', body: { payment: target } })
          notice(`Credit ${c.telco_transaction_id} (GHS ${c.amount}) assigned to ${r.payment.hpn_code}: payment is now ${r.payment.status}.`)
          input.value = ''
          await refresh()
        } catch (err) { notice(`Assign failed: ${err.message}`, 'bad') }
      }
    }, input, el('button', { type: 'submit' }, 'Assign'))
    return el('tr', { dataset: { credit: c.id } },
      el('td', {}, time(c.received_at)),
      el('td', {}, c.telco_provider.toUpperCase()),
      el('td', { className: 'mono' }, c.telco_transaction_id),
      el('td', { className: 'num' }, `${c.currency} ${c.amount}`),
      el('td', {}, text(c.payer_phone), el('br'), el('span', { className: 'muted' }, text(c.payer_name))),
      el('td', {}, text(c.reference)),
      el('td', {}, c.risk_flags.map((f) => badge(f, 'warn'))),
      el('td', {}, c.status === 'unmatched' ? assign : el('span', {}, badge(c.status, c.status === 'matched' ? 'ok' : 'muted'), ' ', el('span', { className: 'mono' }, text(c.payment)))))
  })
  return [
    el('div', { className: 'toolbar' }, filterSelect('Status', [['unmatched', 'unmatched'], ['matched', 'matched'], ['duplicate', 'duplicate'], ['', 'all']], view.creditStatus, (v) => { view.creditStatus = v })),
    el('p', { className: 'hint' }, 'Money that arrived without a code the daemon could match. Ask the customer for their HPN code or order, then assign it.'),
    table(['Received', 'Network', 'Telco id', 'Amount', 'Payer', 'Reference typed', 'Flags', 'Payment'], rows, view.creditStatus === 'unmatched' ? 'No unmatched credits.' : 'No credits here.')]
}

function statusBadge (s) {
  const kinds = { SUCCESS: 'ok', PARTIAL: 'warn', OVERPAID: 'warn', PENDING: 'muted', MANUAL_REVIEW: 'bad', FAILED: 'bad', EXPIRED: 'muted', CANCELLED: 'muted', REFUNDED: 'muted' }
  return badge(s, kinds[s] ?? 'muted')
}

/** The few fields an operator reads in an event; the full body is what webhooks carry. */
function eventFacts (data) {
  if (data === null || typeof data !== 'object') return text(data)
  const keys = ['status', 'actual_amount', 'difference_type', 'match_method', 'telco_transaction_id', 'note']
  const facts = keys.filter((k) => data[k] !== undefined && data[k] !== null).map((k) => `${k}: ${String(data[k])}`)
  return facts.length === 0 ? dash : facts.join(' · ')
}

async function paymentDetail (term) {
  let found
  try {
    found = (await api(`/v1/operator/payments/${enc(term)}`)).data
  } catch (err) {
    if (err.status === 404) return el('p', { className: 'empty', id: 'search-result' }, `No payment found for "${term}".`)
    throw err
  }
  const p = found.payment
  const credits = p.credits.map((c) => el('tr', {},
    el('td', {}, c.telco_provider), el('td', { className: 'mono' }, c.telco_transaction_id), el('td', { className: 'num' }, c.amount),
    el('td', {}, text(c.payer_phone)), el('td', {}, time(c.received_at)), el('td', {}, c.match_method)))
  const events = found.events.map((e) => el('tr', {}, el('td', {}, time(e.created_at)), el('td', {}, e.type), el('td', { className: 'small' }, eventFacts(e.data))))
  const refunds = (p.refunds ?? []).map((r) => el('tr', {},
    el('td', {}, time(r.created_at)), el('td', { className: 'num' }, `${r.currency} ${r.amount}`), el('td', {}, badge(r.status, r.status === 'SUCCESSFUL' ? 'ok' : r.status === 'FAILED' ? 'bad' : 'muted')),
    el('td', {}, text(r.payee_phone)), el('td', { className: 'mono' }, text(r.provider_transaction_id)), el('td', {}, text(r.failure_reason))))
  const audit = (await api(`/v1/payments/${enc(p.reference)}/audit`)).data.legs.map((l) => el('tr', {},
    el('td', {}, time(l.started_at)), el('td', {}, l.kind.replace('_', ' ')), el('td', {}, text(l.operation)),
    el('td', { className: 'mono small' }, `${l.method} ${l.url}`), el('td', { className: 'num' }, text(l.status_code)), el('td', { className: 'num' }, l.duration_ms === null ? dash : `${l.duration_ms} ms`),
    el('td', { className: 'small' }, l.error === null && l.request_body === null && l.response_body === null ? dash
      : el('details', {}, el('summary', {}, l.error === null ? 'bodies' : `error: ${l.error}`),
        el('pre', { className: 'small' }, `request: ${text(l.request_body)}\nresponse: ${text(l.response_body)}`)))))
  return el('article', { className: 'card detail', id: 'search-result' },
    el('h3', {}, p.hpn_code, ' ', statusBadge(p.status), found.found_by === 'telco_transaction_id' ? el('span', { className: 'muted' }, ' (found by telco transaction id)') : null),
    el('dl', {},
      el('dt', {}, 'Reference'), el('dd', { className: 'mono' }, p.reference),
      el('dt', {}, 'Client reference'), el('dd', {}, text(p.client_reference)),
      el('dt', {}, 'Expected / paid'), el('dd', {}, `${p.currency} ${p.expected_amount} / ${text(p.actual_amount)}`, p.difference_type ? ` (${p.difference_type}${p.difference === null ? '' : ` ${p.difference}`})` : ''),
      el('dt', {}, 'Customer / payer'), el('dd', {}, `${text(p.customer_phone)} / ${text(p.payer_phone)}`),
      el('dt', {}, 'Telco'), el('dd', {}, `${text(p.telco_provider)} ${text(p.telco_transaction_id)}`),
      el('dt', {}, 'Channel'), el('dd', { className: 'mono' }, p.channel === null ? 'SMS (HPN code)' : `${p.channel.id} (${p.channel.type}) ${text(p.channel.reference_id)}`),
      p.failure_reason === null ? null : el('dt', {}, 'Failure reason'), p.failure_reason === null ? null : el('dd', {}, p.failure_reason),
      el('dt', {}, 'Created'), el('dd', {}, time(p.created_at)),
      el('dt', {}, 'Expires'), el('dd', {}, time(p.expires_at)),
      el('dt', {}, 'Verified'), el('dd', {}, time(p.verified_at))),
    el('h4', {}, 'Credits'), table(['Network', 'Telco id', 'Amount', 'Payer', 'Received', 'Matched by'], credits, 'No credits applied.'),
    el('h4', {}, 'Events'), table(['When', 'Event', 'Data'], events, 'No events yet.'),
    refunds.length === 0 ? null : el('h4', {}, 'Refunds'), refunds.length === 0 ? null : table(['When', 'Amount', 'Status', 'Payee', 'Provider id', 'Reason'], refunds, ''),
    el('h4', {}, 'Audit log'), el('p', { className: 'hint' }, 'Every leg: the app\'s request, each call to the provider (secrets redacted), each callback received, each forward to an app.'),
    el('div', { id: 'audit' }, table(['When', 'Leg', 'Operation', 'Request', 'Status', 'Took', ''], audit, 'No legs recorded (an SMS payment has only its forwards here).')))
}

async function renderPayments () {
  const input = el('input', { id: 'search', type: 'search', value: view.search, placeholder: 'HPN code, client reference, telco id or hpn_trx_…', spellcheck: false, size: 40 })
  const search = el('form', {
    className: 'toolbar',
    onsubmit: (e) => { e.preventDefault(); view.search = input.value.trim(); void refresh() }
  }, el('label', { for: 'search' }, 'Find a payment '), input, el('button', { type: 'submit' }, 'Search'),
  view.search !== '' ? el('button', { type: 'button', className: 'quiet', onclick: () => { view.search = ''; void refresh() } }, 'Clear') : null)
  const detail = view.search === '' ? null : await paymentDetail(view.search)
  const q = view.paymentStatus === '' ? '' : `&status=${enc(view.paymentStatus)}`
  let list
  try {
    const { data } = await api(`/v1/payments?limit=25${q}`)
    list = table(['Created', 'Code', 'Status', 'Expected', 'Paid', 'Client reference', ''], data.map((p) => el('tr', { dataset: { payment: p.reference } },
      el('td', {}, time(p.created_at)), el('td', { className: 'mono' }, p.hpn_code), el('td', {}, statusBadge(p.status)),
      el('td', { className: 'num' }, p.expected_amount), el('td', { className: 'num' }, text(p.actual_amount)), el('td', {}, text(p.client_reference)),
      el('td', {}, el('button', { type: 'button', className: 'quiet', onclick: () => { view.search = p.reference; void refresh() } }, 'Details')))), 'No payments.')
  } catch (err) {
    if (err.status !== 403) throw err
    list = el('p', { className: 'empty' }, 'This key lacks payments:read, so the recent list is hidden; search still works.')
  }
  return [search, detail,
    el('div', { className: 'toolbar' }, el('h3', {}, 'Recent payments'), filterSelect('Status', [['', 'all'], ...['PENDING', 'SUCCESS', 'PARTIAL', 'OVERPAID', 'MANUAL_REVIEW', 'EXPIRED', 'FAILED', 'CANCELLED', 'REFUNDED'].map((s) => [s, s])], view.paymentStatus, (v) => { view.paymentStatus = v })),
    list]
}

async function renderWebhooks () {
  let endpoints
  try {
    endpoints = (await api('/v1/webhooks?limit=50')).data
  } catch (err) {
    if (err.status === 403) return el('p', { className: 'empty' }, 'This key lacks the webhooks:manage scope.')
    throw err
  }
  const q = view.deliveryStatus === '' ? '' : `&status=${enc(view.deliveryStatus)}`
  const blocks = await Promise.all(endpoints.map(async (w) => {
    const deliveries = (await api(`/v1/webhooks/${enc(w.id)}/deliveries?limit=20${q}`)).data
    const rows = deliveries.map((d) => el('tr', { dataset: { delivery: d.id } },
      el('td', {}, time(d.created_at)), el('td', {}, d.event),
      el('td', {}, badge(d.status, d.status === 'delivered' ? 'ok' : d.status === 'dead' ? 'bad' : 'muted')),
      el('td', { className: 'num' }, d.attempts), el('td', {}, text(d.last_status_code)), el('td', { className: 'error' }, text(d.last_error)),
      el('td', {}, d.status === 'pending' ? time(d.next_attempt_at) : dash),
      el('td', {}, d.status === 'dead'
        ? el('button', {
          type: 'button',
          onclick: async (e) => {
            e.target.disabled = true
            try {
              await api(`/v1/webhooks/deliveries/${enc(d.id)}/replay`, { method: 'POST', body: {} })
              notice(`Delivery ${d.webhook_id} (${d.event}) queued again with the same webhook_id.`)
              await refresh()
            } catch (err) { e.target.disabled = false; notice(`Replay failed: ${err.message}`, 'bad') }
          }
        }, 'Replay')
        : null)))
    const manage = el('div', { className: 'actions' },
      w.is_active
        ? action('Send test', async () => {
          const { data: r } = await api(`/v1/webhooks/${enc(w.id)}/test`, { method: 'POST', body: {} })
          notice(r.delivered ? `Test delivered to ${w.url} (HTTP ${r.status_code}, ${r.duration_ms} ms).` : `Test to ${w.url} failed: ${r.error ?? `HTTP ${r.status_code}`}.`, r.delivered ? 'ok' : 'bad')
        })
        : null,
      action(w.is_active ? 'Disable' : 'Enable', async () => {
        await api(`/v1/webhooks/${enc(w.id)}`, { method: 'PUT', body: { is_active: !w.is_active } })
        notice(`Endpoint ${w.url} ${w.is_active ? 'disabled: events wait for it' : 'enabled: waiting deliveries are due again'}.`)
      }),
      action('Rotate secret', async () => {
        const { data: r } = await api(`/v1/webhooks/${enc(w.id)}/rotate-secret`, { method: 'POST', body: { expires_in: 86400 } })
        showSecret(`New signing secret of ${w.url}, shown this once (the previous one stays valid until ${r.previous_secret_expires_at}):`, r.secret)
      }),
      action('Delete', async () => {
        await api(`/v1/webhooks/${enc(w.id)}`, { method: 'DELETE' })
        notice(`Endpoint ${w.url} deleted; its delivery history is kept.`)
      }, 'quiet'))
    return el('article', { className: 'card', dataset: { endpoint: w.id } },
      el('h3', {}, el('span', { className: 'mono' }, w.url), ' ', w.is_active ? badge('active', 'ok') : badge(`disabled${w.disabled_reason ? `: ${w.disabled_reason}` : ''}`, 'bad')),
      manage,
      el('p', { className: 'muted' }, `Events: ${w.events.join(', ')} · last success ${w.last_success_at ? ago(w.last_success_at) : 'never'} · last failure ${w.last_failure_at ? ago(w.last_failure_at) : 'never'} · ${w.consecutive_failures} failures in a row`),
      table(['Created', 'Event', 'Status', 'Attempts', 'Last code', 'Last error', 'Next attempt', ''], rows, view.deliveryStatus === 'dead' ? 'No dead letters.' : 'No deliveries.'))
  }))
  const url = el('input', { id: 'new-endpoint-url', type: 'url', placeholder: 'https://shop.example/harpoon-webhook', required: true, size: 40, spellcheck: false })
  const description = el('input', { id: 'new-endpoint-description', type: 'text', placeholder: 'description (optional)', size: 24 })
  const add = el('form', {
    className: 'inline add',
    onsubmit: async (e) => {
      e.preventDefault()
      try {
        const { data: r } = await api('/v1/webhooks', { method: 'POST', body: { url: url.value.trim(), ...(description.value.trim() === '' ? {} : { description: description.value.trim() }) } })
        url.value = ''
        description.value = ''
        showSecret(`Signing secret of ${r.url}, shown this once: put it in your receiver.`, r.secret)
        await refresh()
      } catch (err) { notice(`Adding the endpoint failed: ${err.message}`, 'bad') }
    }
  }, el('label', { for: 'new-endpoint-url' }, 'Add an endpoint '), url, description, el('button', { type: 'submit' }, 'Add'))
  return [
    add,
    el('div', { className: 'toolbar' }, filterSelect('Deliveries', [['dead', 'dead letters'], ['pending', 'pending'], ['delivered', 'delivered'], ['', 'all']], view.deliveryStatus, (v) => { view.deliveryStatus = v })),
    el('p', { className: 'hint' }, 'A dead letter gave up after the whole retry schedule. Fix the receiver, then replay: it is sent again with the same webhook_id, so receivers that dedupe stay safe.'),
    blocks.length === 0 ? el('p', { className: 'empty' }, 'No webhook endpoints.') : blocks]
}

// ---------- overview: charts (Chart.js, served by the daemon at /dashboard/chart.js) ----------

const COLOURS = ['#1f6feb', '#2da44e', '#bf8700', '#cf222e', '#8250df', '#0a7ea4', '#6e7781', '#e16f24', '#57606a']
const charts = []

/** A chart card: a canvas Chart.js draws into (no markup from data: labels are canvas text). */
function chartCard (title, id, config, note) {
  const canvas = el('canvas', { id, role: 'img', 'aria-label': title })
  const card = el('article', { className: 'card', dataset: { chart: id } }, el('h3', {}, title), el('div', { className: 'chart' }, canvas), note ? el('p', { className: 'muted small' }, note) : null)
  charts.push(() => new globalThis.Chart(canvas, { ...config, options: { animation: false, maintainAspectRatio: false, ...config.options } }))
  return card
}

const hourLabel = (iso) => iso.slice(11, 16)

async function renderOverview () {
  for (const c of Object.values(globalThis.Chart?.instances ?? {})) c.destroy()
  charts.length = 0
  const { data: o } = await api('/v1/operator/overview')
  const series = (key) => o.money.map((m) => Number(m[key]))
  const moneyLabels = o.money.map((m) => `${m.network.toUpperCase()}${m.channel === 'sms' ? '' : ` · ${m.channel}`} (${m.currency})`)
  const hours = [...new Set(o.sms_per_hour.flatMap((m) => m.hours.map((h) => h.hour)))].sort()
  const cards = [
    chartCard('Money received', 'chart-money', {
      type: 'bar',
      data: { labels: moneyLabels, datasets: [{ label: 'today', data: series('today'), backgroundColor: COLOURS[0] }, { label: 'last 7 days', data: series('week'), backgroundColor: COLOURS[1] }] }
    }, o.money.length === 0 ? 'Nothing received in the last 7 days.' : 'Per network and channel; today is since 00:00 UTC.'),
    chartCard('Payments by outcome (7 days)', 'chart-outcomes', {
      type: 'doughnut',
      data: { labels: o.payments_by_status.map((p) => p.status), datasets: [{ data: o.payments_by_status.map((p) => p.count), backgroundColor: COLOURS }] }
    }, o.payments_by_status.length === 0 ? 'No payments in the last 7 days.' : null),
    chartCard('Time from payment to confirmation', 'chart-confirmation', {
      type: 'bar',
      data: { labels: o.confirmation.buckets.map((b) => b.label), datasets: [{ label: 'credits', data: o.confirmation.buckets.map((b) => b.count), backgroundColor: COLOURS[4] }] },
      options: { plugins: { legend: { display: false } } }
    }, o.confirmation.count === 0 ? 'No confirmations in the last 7 days.' : `Median ${o.confirmation.median_seconds} s, 90% within ${o.confirmation.p90_seconds} s (telco send time to payment updated).`),
    chartCard('Webhook deliveries (24 h)', 'chart-webhooks', {
      type: 'bar',
      data: {
        labels: o.webhooks.hours.map((h) => hourLabel(h.hour)),
        datasets: [{ label: 'delivered', data: o.webhooks.hours.map((h) => h.delivered), backgroundColor: COLOURS[1] }, { label: 'failed', data: o.webhooks.hours.map((h) => h.attempts - h.delivered), backgroundColor: COLOURS[3] }]
      },
      options: { scales: { x: { stacked: true }, y: { stacked: true } } }
    }, o.webhooks.success_rate === null ? 'No attempts in the last 24 h.' : `Success rate ${(o.webhooks.success_rate * 100).toFixed(1)}% of ${o.webhooks.hours.reduce((n, h) => n + h.attempts, 0)} attempts.`),
    chartCard('SMS per hour per modem (24 h)', 'chart-sms', {
      type: 'line',
      data: {
        labels: hours.map(hourLabel),
        datasets: o.sms_per_hour.map((m, i) => ({ label: m.modem, data: hours.map((h) => m.hours.find((x) => x.hour === h)?.count ?? 0), borderColor: COLOURS[i % COLOURS.length], backgroundColor: COLOURS[i % COLOURS.length] }))
      }
    }, o.sms_per_hour.length === 0 ? 'No SMS in the last 24 h.' : 'Hours in UTC.'),
    el('article', { className: 'card', dataset: { chart: 'unmatched' } }, el('h3', {}, 'Unmatched credits waiting'),
      el('p', { className: 'figure' }, String(o.unmatched.count)),
      el('p', {}, o.unmatched.count === 0 ? 'Nothing to assign.' : `Total ${o.unmatched.amount}; oldest ${ago(o.unmatched.oldest_at)}. Assign them on the Unmatched credits page.`))
  ]
  return el('div', { className: 'charts' }, cards)
}

/** Draws the charts of the page just rendered (their canvases must be in the document first). */
function drawCharts () {
  if (globalThis.Chart === undefined) return
  for (const draw of charts.splice(0)) draw()
}

const SCOPES = ['payments:read', 'payments:write', 'webhooks:manage', 'keys:manage', 'operator']

function keyState (k) {
  if (k.revoked_at !== null) return badge(`revoked ${ago(k.revoked_at)}`, 'muted')
  if (k.expires_at !== null) return Date.parse(k.expires_at) <= Date.now() ? badge('expired', 'muted') : badge(`expires ${ago(k.expires_at)}`, 'warn')
  return badge('active', 'ok')
}

async function renderKeys () {
  let keys
  try {
    keys = (await api('/v1/keys')).data
  } catch (err) {
    if (err.status === 403) return el('p', { className: 'empty' }, 'This key lacks the keys:manage scope.')
    throw err
  }
  const rows = keys.map((k) => el('tr', { dataset: { key: k.id } },
    el('td', {}, k.name), el('td', { className: 'mono' }, k.id), el('td', { className: 'mono' }, k.hint), el('td', {}, k.type),
    el('td', { className: 'small' }, k.scopes.join(', ')), el('td', {}, time(k.created_at)), el('td', {}, time(k.last_used_at)), el('td', {}, keyState(k)),
    el('td', { className: 'actions' }, k.revoked_at !== null ? null : [
      action('Roll', async () => {
        const { data: r } = await api(`/v1/keys/${enc(k.id)}/roll`, { method: 'POST', body: { expires_in: 86400 } })
        showSecret(`New key ${r.id} replacing ${k.id} (which works until ${r.previous.expires_at}), shown this once:`, r.key)
      }),
      action('Revoke', async () => {
        await api(`/v1/keys/${enc(k.id)}`, { method: 'DELETE' })
        notice(`Key ${k.id} (${k.name}) revoked: it is refused from now on.`)
      }, 'quiet')])))
  const name = el('input', { id: 'new-key-name', type: 'text', placeholder: 'name, e.g. shop server', required: true, size: 24 })
  const boxes = SCOPES.map((s) => el('label', {}, el('input', { type: 'checkbox', value: s, checked: s.startsWith('payments') }), ` ${s}`))
  const create = el('form', {
    className: 'inline add',
    onsubmit: async (e) => {
      e.preventDefault()
      const scopes = boxes.map((b) => b.querySelector('input')).filter((i) => i.checked).map((i) => i.value)
      try {
        const { data: r } = await api('/v1/keys', { method: 'POST', body: { name: name.value.trim(), scopes } })
        name.value = ''
        showSecret(`New ${r.mode} key ${r.id} (${r.name}; ${r.scopes.join(', ')}), shown this once:`, r.key)
        await refresh()
      } catch (err) { notice(`Creating the key failed: ${err.message}`, 'bad') }
    }
  }, el('label', { for: 'new-key-name' }, 'New key '), name, el('fieldset', { className: 'scopes' }, boxes), el('button', { type: 'submit' }, 'Create'))
  return [create,
    el('p', { className: 'hint' }, 'A key is shown once, when made or rolled. Rolling makes a new key with the same scopes; the old one keeps working for a day so servers can switch without downtime.'),
    table(['Name', 'Id', 'Key', 'Type', 'Scopes', 'Created', 'Last used', 'State', ''], rows, 'No keys.')]
}

function stateText (v) {
  if (v === null || v === undefined) return dash
  return JSON.stringify(v, null, 1)
}

async function renderAudit () {
  const target = el('input', { id: 'audit-target', type: 'search', value: view.auditTarget, placeholder: 'object id (hpn_trx_…, key_…)', size: 28, spellcheck: false })
  const who = el('input', { id: 'audit-key', type: 'search', value: view.auditKey, placeholder: 'key id or CLI user', size: 20, spellcheck: false })
  const filters = el('form', {
    className: 'toolbar',
    onsubmit: (e) => { e.preventDefault(); view.auditTarget = target.value.trim(); view.auditKey = who.value.trim(); void refresh() }
  }, el('label', { for: 'audit-target' }, 'Target '), target, el('label', { for: 'audit-key' }, ' Who '), who, el('button', { type: 'submit' }, 'Filter'))
  const q = `${view.auditTarget === '' ? '' : `&target=${enc(view.auditTarget)}`}${view.auditKey === '' ? '' : `&key=${enc(view.auditKey)}`}`
  const { data } = await api(`/v1/audit?limit=50${q}`)
  const rows = data.map((r) => el('tr', { dataset: { seq: r.seq } },
    el('td', { className: 'num' }, r.seq), el('td', {}, time(r.at)),
    el('td', {}, `${r.actor.type === 'cli' ? 'CLI ' : ''}${r.actor.id}`, r.actor.address === null ? null : el('br'), r.actor.address === null ? null : el('span', { className: 'muted mono' }, r.actor.address)),
    el('td', {}, r.action), el('td', { className: 'mono small' }, `${text(r.target.type)} ${text(r.target.id)}`),
    el('td', { className: 'small' }, el('details', {}, el('summary', {}, 'before / after'),
      el('pre', { className: 'small' }, `before: ${stateText(r.before)}\nafter: ${stateText(r.after)}`)))))
  return [filters,
    el('p', { className: 'hint' }, 'Every change made through the API or the CLI, newest first: who, from where, what, before and after. Each record carries the hash of the one before; harpoon audit verify checks the whole chain.'),
    table(['#', 'When', 'Who', 'Action', 'Target', 'Change'], rows, 'No changes recorded yet.')]
}

// ---------- shell ----------

async function refreshStatus () {
  const { data: s } = await api('/v1/operator/status')
  $('who').textContent = `merchant ${s.merchant} · ${s.mode.toUpperCase()} mode · ${s.modems_connected}/${s.modems_total} modems connected`
  const alarm = $('alarm')
  if (s.alarm) {
    const silent = s.pending_payments > 0 && Date.now() - Date.parse(s.silent_since) >= s.silence_alarm_minutes * 60_000
    const offline = s.agents_offline ?? []
    alarm.textContent = [
      silent
        ? `No SMS for ${span(Math.max(0, Math.round((Date.now() - Date.parse(s.silent_since)) / 1000)))} while ${s.pending_payments} payment(s) are pending (alarm after ${s.silence_alarm_minutes} min). ` +
          'Check the modems: signal, registration, SIM storage, the cable, and that the wallet SIM is the one customers pay.'
        : null,
      offline.length > 0
        ? `Agent${offline.length > 1 ? 's' : ''} ${offline.map((a) => `${a.agent} (last heard ${a.last_contact_at ? ago(a.last_contact_at) : 'never'})`).join(', ')} stopped reporting. ` +
          'Its SMS are kept at the site and arrive when the link is back; check the site\'s power, network and harpoon-agent service.'
        : null
    ].filter((t) => t !== null).join(' ')
    alarm.hidden = false
  } else {
    alarm.hidden = true
  }
}

/** Re-renders the current page unless the operator is typing into it. */
async function refresh (auto = false) {
  if (state.key === null || state.loading) return
  const host = $('page')
  const typing = () => {
    const active = document.activeElement
    return host.contains(active) && active.matches('input, select') || [...host.querySelectorAll('form.assign input, form.add input[type=url], form.add input[type=text]')].some((i) => i.value !== '')
  }
  if (auto && typing()) return
  state.loading = true
  try {
    const page = pages[state.page]
    const [content] = await Promise.all([page.render(), refreshStatus()])
    // Asked again once the page's data is in: an operator who began typing while it loaded (a slow
    // database, a busy box) keeps what they typed; the next refresh comes in REFRESH_MS.
    if (auto && typing()) return
    host.replaceChildren(el('h2', {}, page.title), ...[content].flat(Infinity))
    drawCharts()
    host.dataset.loaded = state.page
  } catch (err) {
    if (err.status !== 401) host.replaceChildren(el('h2', {}, pages[state.page].title), el('p', { className: 'error' }, `Could not load: ${err.message}`))
  } finally {
    state.loading = false
  }
}

function show (page) {
  state.page = page
  $('notice').hidden = true
  for (const b of document.querySelectorAll('#nav button')) b.setAttribute('aria-current', b.dataset.page === page ? 'page' : 'false')
  void refresh()
}

function signedIn () {
  $('signin').hidden = true
  $('page').hidden = false
  $('nav').hidden = false
  $('signout').hidden = false
  clearInterval(state.timer)
  state.timer = setInterval(() => { void refresh(true) }, REFRESH_MS)
  show(state.page)
}

function signOut (message) {
  state.key = null
  sessionStorage.removeItem(KEY_STORE)
  clearInterval(state.timer)
  $('page').hidden = true
  $('page').replaceChildren()
  $('nav').hidden = true
  $('signout').hidden = true
  $('alarm').hidden = true
  $('notice').hidden = true
  hideSecret()
  $('who').textContent = ''
  $('signin').hidden = false
  $('signin-error').textContent = message ?? ''
}

$('signin-form').addEventListener('submit', async (e) => {
  e.preventDefault()
  const input = $('key')
  state.key = input.value.trim()
  input.value = ''
  try {
    await api('/v1/operator/status')
    sessionStorage.setItem(KEY_STORE, state.key)
    $('signin-error').textContent = ''
    signedIn()
  } catch (err) {
    if (err.status === 403) signOut('This key lacks the operator scope. Make one with: harpoon keys create --name ops --mode live --scopes operator,payments:read,webhooks:manage')
    else if (err.status !== 401) signOut(`Could not sign in: ${err.message}`)
  }
})
$('signout').addEventListener('click', () => signOut('Signed out.'))
$('secret-done').addEventListener('click', hideSecret)
for (const b of document.querySelectorAll('#nav button')) b.addEventListener('click', () => show(b.dataset.page))

if (state.key !== null) signedIn()

/**
 * Every error code the daemon raises, with the HTTP status it answers with and what it means: the
 * one place an error gets its status (api/error-handler.ts reads it; `new HarpoonError` takes only
 * these codes). `status: null` marks codes that belong to start-up, the CLI, modems and background
 * work: one reaching a route is a bug, answered 500 `internal_error` and reported to
 * `onUnmappedError` listeners (the test suite fails on it). `alsoStatus` lists the statuses a
 * compatibility API answers with the same code (documented beside it). The README's error table is
 * this list (core/error-codes.test.ts holds them together). Imports nothing.
 */
export interface ErrorCodeEntry {
  readonly status: number | null
  readonly meaning: string
  readonly alsoStatus?: readonly number[]
}

export const ERROR_CODES = {
  // Requests the HTTP layer refuses before a route runs.
  bad_request: { status: 400, meaning: 'the request is not valid HTTP' },
  malformed_json: { status: 400, meaning: 'the request body is not valid JSON' },
  malformed_url: { status: 400, meaning: 'bad percent-encoding in the path' },
  request_timeout: { status: 408, meaning: 'the request did not arrive in time' },
  payload_too_large: { status: 413, meaning: 'the request body is over 64 KiB' },
  uri_too_long: { status: 414, meaning: 'a path segment is over 100 characters' },
  unsupported_media_type: { status: 415, meaning: 'the body is not application/json' },
  headers_too_large: { status: 431, meaning: 'the request headers (with the path) are too large' },
  // Who is asking.
  unauthorized: { status: 401, meaning: 'missing, unknown, expired or revoked key' },
  insufficient_scope: { status: 403, meaning: 'the key lacks the scope the route needs' },
  ip_not_allowed: { status: 403, meaning: "the client address is not in the key's allowed_ips" },
  origin_not_allowed: { status: 403, meaning: "a publishable key used from a page whose origin it does not list" },
  invalid_key_type: { status: 403, meaning: 'what a publishable key may not do' },
  forbidden: { status: 403, meaning: "a /docs path outside its folder; MoMo proxy: another merchant's channel or another client's transaction" },
  rate_limited: { status: 429, meaning: 'too many requests for this key; retry after Retry-After seconds' },
  // What was asked.
  not_found: { status: 404, meaning: "unknown object, or one of another merchant or mode (never 403: ids cannot be probed)" },
  validation_failed: { status: 422, meaning: 'fields failed validation; every bad field is in details' },
  invalid_amount: { status: 422, meaning: 'an amount that is not a decimal with at most 2 decimals (field in details)' },
  invalid_request: { status: 400, meaning: 'MoMo proxy: fields failed validation (its API answers 400); every bad field is in details' },
  invalid_status: { status: 409, alsoStatus: [400], meaning: "the payment's status does not allow this (e.g. cancelling a paid payment); 400 on /v1/transactions, as the API it follows" },
  duplicate_client_reference: { status: 409, meaning: 'another payment of this merchant and mode has this client_reference' },
  unique_amounts_exhausted: { status: 409, meaning: 'every unique amount a reference-less network allows (matching.unique_amount) is held by an open payment of this merchant' },
  idempotency_key_reused: { status: 409, meaning: 'the Idempotency-Key was used with another request' },
  idempotency_key_in_use: { status: 409, meaning: 'a request with this Idempotency-Key is still running' },
  endpoint_inactive: { status: 409, meaning: 'the webhook endpoint is disabled or deleted' },
  delivery_in_flight: { status: 409, meaning: 'the webhook delivery is being sent right now' },
  merchant_exists: { status: 409, meaning: 'a merchant with this id exists' },
  credit_not_unmatched: { status: 409, meaning: 'the credit is already assigned to a payment' },
  credit_reversed: { status: 409, meaning: 'the telco took this credit\'s money back: it can pay no payment' },
  not_on_channel: { status: 409, meaning: 'the payment is not collected through a channel' },
  refund_not_unconfirmed: { status: 409, meaning: 'the refund is final, or its provider can still confirm it: only an unconfirmed or abandoned refund is settled by hand' },
  refund_in_flight: { status: 409, meaning: 'the refund is being sent or checked right now' },
  refund_not_possible: { status: 409, meaning: 'the payment cannot be refunded (no channel refund, or nothing left to refund)' },
  agent_conflict: { status: 409, meaning: 'the agent id belongs to another merchant or mode' },
  // The daemon's own state.
  internal_error: { status: 500, meaning: 'a bug or an outage, logged; never for anything a client sent' },
  simulator_unreachable: { status: 502, meaning: "test mode: the channel's simulator did not answer" },
  simulator_refused: { status: 502, meaning: "test mode: the channel's simulator refused" },
  database_unavailable: { status: 503, meaning: 'the database is not answering; retry shortly with the same Idempotency-Key' },
  database_busy: { status: 503, meaning: 'the database kept losing races with competing changes; nothing was committed; retry shortly' },
  transaction_conflict: { status: 503, meaning: 'raised by the PostgreSQL engine; answered as database_busy' },
  channel_unavailable: { status: 503, meaning: "MoMo proxy: the proxy's channel is not running" },

  // Never an HTTP answer: start-up, configuration, CLI, storage maintenance, modems, providers.
  config_invalid: { status: null, meaning: 'the configuration is invalid; start-up stops naming each field' },
  secret_key_invalid: { status: null, meaning: 'HARPOON_SECRET_KEY or the key file does not hold 32 bytes (64 hex digits or base64)' },
  secret_key_unreadable: { status: null, meaning: 'the secret key file cannot be created or read by the daemon\'s user' },
  secret_key_wrong: { status: null, meaning: "the database's secrets were sealed with another secret key; start-up stops" },
  secret_unreadable: { status: null, meaning: 'a sealed secret does not open with this key (another key, or the value was altered)' },
  cli_usage: { status: null, meaning: 'a CLI command was used wrongly' },
  central_url_refused: { status: null, meaning: 'agent.central_url is not a URL an agent may use' },
  target_refused: { status: null, meaning: 'a webhook target URL the SSRF guard refuses (routes turn it into validation_failed)' },
  invalid_format: { status: null, meaning: 'a configured SMS format is invalid' },
  unknown_network: { status: null, meaning: 'a network the parser does not know' },
  database_open_failed: { status: null, meaning: 'the database cannot be opened' },
  database_url_invalid: { status: null, meaning: 'database.url is not a PostgreSQL URL' },
  database_too_new: { status: null, meaning: 'the database was written by a newer daemon; upgrade the daemon' },
  database_closed: { status: null, meaning: 'the ledger was used after it was closed' },
  migration_failed: { status: null, meaning: 'a schema migration failed and was rolled back' },
  integer_out_of_range: { status: null, meaning: 'PostgreSQL returned an integer beyond what JavaScript holds exactly' },
  transaction_aborted: { status: null, meaning: 'a transaction was rolled back by its own work' },
  ledger_in_use: { status: null, meaning: 'harpoon ledger copy: a daemon is using the source' },
  copy_failed: { status: null, meaning: 'harpoon ledger copy failed; the target is left empty' },
  copy_no_source: { status: null, meaning: 'harpoon ledger copy: no source database' },
  copy_not_a_ledger: { status: null, meaning: 'harpoon ledger copy: the source is not a Harpoon ledger' },
  copy_schema_mismatch: { status: null, meaning: 'harpoon ledger copy: source and target schemas differ' },
  copy_target_not_empty: { status: null, meaning: 'harpoon ledger copy: the target already holds data' },
  copy_unexpected_value: { status: null, meaning: 'harpoon ledger copy: a value the target cannot take' },
  backup_corrupt: { status: null, meaning: 'harpoon backup: the copy failed its integrity check' },
  backup_exists: { status: null, meaning: 'harpoon backup: the target file exists' },
  backup_no_database: { status: null, meaning: 'harpoon backup: no database to back up' },
  backup_no_directory: { status: null, meaning: "harpoon backup: the target's folder does not exist" },
  backup_use_pg_dump: { status: null, meaning: 'harpoon backup on PostgreSQL: use pg_dump' },
  modem_open_failed: { status: null, meaning: 'the serial port cannot be opened' },
  modem_init_failed: { status: null, meaning: 'the modem did not accept its set-up commands' },
  modem_closed: { status: null, meaning: 'the modem port closed while a command was running' },
  modem_timeout: { status: null, meaning: 'an AT command got no final answer in time' },
  modem_unresponsive: { status: null, meaning: 'the modem stopped answering' },
  modem_command_failed: { status: null, meaning: 'an AT command answered ERROR' },
  sim_not_inserted: { status: null, meaning: 'no SIM in the modem' },
  sim_not_ready: { status: null, meaning: 'the SIM is not ready' },
  sim_pin_required: { status: null, meaning: 'the SIM needs a PIN and none is configured' },
  sim_pin_rejected: { status: null, meaning: 'the SIM refused the configured PIN' },
  sim_puk_required: { status: null, meaning: 'the SIM is blocked (PUK)' },
  mtn_sim_config: { status: null, meaning: 'harpoon mtn-sim: invalid options' },
  mtn_sim_listen: { status: null, meaning: 'harpoon mtn-sim: cannot listen' },
  channel_retry: { status: null, meaning: 'a channel call got no usable answer; worth retrying' },
  channel_declined: { status: null, meaning: 'the provider refused the transaction and created nothing' },
  mtn_timeout: { status: null, meaning: 'MTN gave no answer in time' },
  mtn_network: { status: null, meaning: 'MTN could not be reached' },
  mtn_server_error: { status: null, meaning: 'MTN answered 5xx' },
  mtn_rate_limited: { status: null, meaning: 'MTN answered 429' },
  mtn_bad_response: { status: null, meaning: 'MTN answered something it does not document' },
  mtn_declined: { status: null, meaning: 'MTN refused the transaction' },
  mtn_invalid_request: { status: null, meaning: 'MTN answered 400, or would have' },
  mtn_unauthorized: { status: null, meaning: "MTN refused the channel's credentials" },
  mtn_forbidden: { status: null, meaning: 'MTN answered 403' },
  mtn_not_found: { status: null, meaning: 'MTN does not know the reference' },
  mtn_not_configured: { status: null, meaning: 'the channel has no credentials for this MTN product' },
  mtn_unexpected: { status: null, meaning: 'MTN answered an unexpected status' },
  ipay_timeout: { status: null, meaning: 'iPay gave no answer in time' },
  ipay_unreachable: { status: null, meaning: 'iPay could not be reached' },
  ipay_server_error: { status: null, meaning: 'iPay answered 5xx' },
  ipay_rejected: { status: null, meaning: 'iPay refused the call' },
  ipay_bad_response: { status: null, meaning: 'iPay answered something this client cannot read' },
  ipay_invalid_request: { status: null, meaning: 'refused before calling iPay' }
} as const satisfies Record<string, ErrorCodeEntry>

export type ErrorCode = keyof typeof ERROR_CODES

export function isErrorCode (code: string): code is ErrorCode {
  return Object.hasOwn(ERROR_CODES, code)
}

/** The HTTP status of a code; null for codes that are never an HTTP answer. */
export function httpStatusOf (code: ErrorCode): number | null {
  return ERROR_CODES[code].status
}

/** Whether the registry lets `code` be answered with `status` (its own, or a compatibility API's). */
export function allowsStatus (code: ErrorCode, status: number): boolean {
  const e: ErrorCodeEntry = ERROR_CODES[code]
  return e.status === status || (e.alsoStatus?.includes(status) ?? false)
}

export interface UnmappedError { code: string, status: number | null, message: string }
const unmappedListeners = new Set<(e: UnmappedError) => void>()

/** Listens for errors that reached a route without a status here (the test suite fails on them). */
export function onUnmappedError (listener: (e: UnmappedError) => void): () => void {
  unmappedListeners.add(listener)
  return () => { unmappedListeners.delete(listener) }
}

export function reportUnmappedError (e: UnmappedError): void {
  for (const fn of unmappedListeners) fn(e)
}

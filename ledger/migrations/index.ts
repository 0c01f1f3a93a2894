import type { Migration } from './migration.js'
import { foundation } from './001-foundation.js'
import { webhooks } from './003-webhooks.js'

/**
 * Every schema step, in order. Numbers are never reused or edited once released: a new change is a
 * new file. Reserved: 002 SMS inbox (modem layer), 003 webhooks outbox.
 */
export const MIGRATIONS: readonly Migration[] = [
  foundation,
  webhooks
]

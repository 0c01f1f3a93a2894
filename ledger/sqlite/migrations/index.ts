import type { Migration } from './migration.js'
import { foundation } from './001-foundation.js'
import { smsInbox } from './002-sms-inbox.js'
import { webhooks } from './003-webhooks.js'
import { matching } from './004-matching.js'
import { creditMode } from './007-credit-mode.js'
import { codeLookup } from './005-code-lookup.js'
import { deliveryClaim } from './006-delivery-claim.js'
import { paymentSequence } from './008-payment-sequence.js'
import { channels } from './009-channels.js'
import { hostedApi } from './010-hosted-api.js'
import { agents } from './011-agents.js'
import { uniqueAmounts } from './012-unique-amounts.js'
import { auditTrail } from './013-audit-trail.js'
import { assembledParts } from './014-assembled-parts.js'
import { codeIndex } from './015-code-index.js'
import { creditReversals } from './016-credit-reversals.js'
import { openCodeGuard } from './017-open-code-guard.js'

/**
 * Every schema step, in order. Numbers are never reused or edited once released: a new change is a
 * new file.
 */
export const MIGRATIONS: readonly Migration[] = [
  foundation,
  smsInbox,
  webhooks,
  matching,
  codeLookup,
  deliveryClaim,
  creditMode,
  paymentSequence,
  channels,
  hostedApi,
  agents,
  uniqueAmounts,
  auditTrail,
  assembledParts,
  codeIndex,
  creditReversals,
  openCodeGuard
]

import { MODEM_NETWORKS, NETWORK_INFO, type ModemNetwork } from './networks.js'

/**
 * How a customer pays a wallet from their phone, per network: the name customers know it by, the
 * USSD code that opens its menu, and the menu path to send money with a reference. The hosted
 * checkout page shows these steps beside each wallet; `pay_to` and `GET /v1/merchant/payment-methods`
 * use the names and codes.
 *
 * Sources (README, "Hosted checkout", lists them with what is confirmed):
 * - MTN MoMo, *170#: Harpoon's own older docs gave "Dial *170# > Transfer Money > Enter 024XXXXXXX
 *   > GHS 150.00 > Reference: …" (research note peers.md §1, harpoonsms.com/developers/docs); the
 *   MoMo User entry under Transfer Money is MTN's menu for a wallet on MTN.
 * - Telecel Cash, *110# and AT Money, *110#: the codes the issue and public integrations give; the
 *   research notes have no menu path for either, so the paths below are the menus' published
 *   top-level names ("Send Money", then the same-network user), not confirmed on a handset.
 * - M-PESA, *334# and Airtel Money Kenya, *334#: Send Money to the wallet number; no reference is
 *   asked for, so the step that matters is the exact amount (README, "Matching without a reference").
 * The codes and steps themselves are in the registry, core/networks.ts.
 * Menus change without notice: an operator corrects a network's code and steps in the config
 * (`networks.<net>.ussd_code`, `networks.<net>.payment_steps`) without a release.
 *
 * Steps are templates: `{wallet}`, `{amount}` (e.g. "150.00"), `{currency}` and `{code}` are filled
 * in per payment. Steps name menu entries, not option numbers, which differ between SIM menus.
 */
export interface PaymentGuide {
  /** What customers call it: "MTN MoMo". */
  readonly name: string
  readonly ussdCode: string
  readonly steps: readonly string[]
}

/** Every network a modem (a wallet SIM) can be on has a guide. */
export type GuideNetwork = ModemNetwork

/** The registry's guides (core/networks.ts holds each network's code and steps). */
export const PAYMENT_GUIDES: Readonly<Record<GuideNetwork, PaymentGuide>> = Object.fromEntries(MODEM_NETWORKS.map((n) => {
  const { name, guide } = NETWORK_INFO[n]
  if (guide === null) throw new Error(`network ${n} is on modems but has no payment guide (core/networks.ts)`)
  return [n, { name, ussdCode: guide.ussdCode, steps: guide.steps }]
})) as Record<GuideNetwork, PaymentGuide>

export interface StepValues { wallet: string, amount: string, currency: string, code: string }

/** A guide's steps for one payment. Placeholders it does not know stay as written. */
export function fillSteps (steps: readonly string[], values: StepValues): string[] {
  return steps.map((step) => step.replace(/\{(wallet|amount|currency|code)\}/g, (_m, key: keyof StepValues) => values[key]))
}

/** The guides with an operator's corrections (config `networks.<net>`) laid over the built-in ones. */
export function guidesWith (overrides: Partial<Record<GuideNetwork, { ussd_code?: string | undefined, payment_steps?: readonly string[] | undefined }>>): Record<GuideNetwork, PaymentGuide> {
  const out = { ...PAYMENT_GUIDES }
  for (const net of Object.keys(out) as GuideNetwork[]) {
    const o = overrides[net]
    if (o === undefined) continue
    out[net] = { ...out[net], ussdCode: o.ussd_code ?? out[net].ussdCode, steps: o.payment_steps ?? out[net].steps }
  }
  return out
}

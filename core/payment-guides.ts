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

export type GuideNetwork = 'mtn' | 'telecel' | 'at'

export const PAYMENT_GUIDES: Readonly<Record<GuideNetwork, PaymentGuide>> = {
  mtn: {
    name: 'MTN MoMo',
    ussdCode: '*170#',
    steps: [
      'Dial *170# on the phone with your MoMo wallet.',
      'Choose Transfer Money, then MoMo User.',
      'Enter the number {wallet}, and enter it again to confirm.',
      'Enter the amount: {amount}.',
      'When asked for a Reference, enter {code} exactly.',
      'Check the name shown, then enter your MoMo PIN to approve.'
    ]
  },
  telecel: {
    name: 'Telecel Cash',
    ussdCode: '*110#',
    steps: [
      'Dial *110# on the phone with your Telecel Cash wallet.',
      'Choose Send Money, then Telecel Cash User.',
      'Enter the number {wallet}, and enter it again to confirm.',
      'Enter the amount: {amount}.',
      'When asked for a Reference, enter {code} exactly.',
      'Check the name shown, then enter your PIN to approve.'
    ]
  },
  at: {
    name: 'AT Money',
    ussdCode: '*110#',
    steps: [
      'Dial *110# on the phone with your AT Money wallet.',
      'Choose Send Money, then AT Money User.',
      'Enter the number {wallet}.',
      'Enter the amount: {amount}.',
      'When asked for a Reference, enter {code} exactly.',
      'Check the name shown, then enter your PIN to approve.'
    ]
  }
}

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

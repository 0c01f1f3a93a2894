import { NUMBERING, normalisePhone } from './phone.js'

/**
 * Every mobile-money network the daemon knows, as data: the one place a network is spelt. Config,
 * modems (IMSI → network), parsers (trusted senders, currency, time zone), the API's enums, the
 * checkout's payment steps, test-mode wording and matching (does a receipt carry a reference the
 * payer typed?) all read it from here. Adding a network is an entry here and its formats file in
 * parsers/formats/ (listed in parsers/formats/index.ts).
 */

/** How a customer pays a wallet of the network from their phone (core/payment-guides.ts fills it in). */
export interface GuideText {
  readonly ussdCode: string
  /** Templates: {wallet} {amount} {currency} {code}. */
  readonly steps: readonly string[]
}

/**
 * The confirmation SMS a wallet of the network receives for a customer's payment, as a template of
 * the real wording (test mode and `harpoon simulate` send it through the real parser). Fields:
 * {amount} {balance} {name} {phone} (0…) {phone_intl} {phone_masked} (0722***000) {reference}
 * {transaction_id} {iso_date} {iso_time} (UTC) {dmy} {hm12} (the network's wall clock, d/m/yy and h:mm AM).
 */
export interface SimulatedWording {
  readonly credit: string
  /** The telco's transaction id: `#` a random digit, `*` a random letter or digit, `{code_date}` an M-Pesa date prefix. */
  readonly transactionId: string
}

export interface NetworkInfo {
  /** What customers call it. */
  readonly name: string
  /** ISO 3166-1 alpha-2 (core/phone.ts NUMBERING has its numbers). */
  readonly country: string
  readonly currency: string
  /** The telco's wall clock, minutes east of UTC (no daylight saving in Ghana or Kenya). */
  readonly utcOffsetMinutes: number
  /** Sender IDs its receipts come from (compared ignoring case); config `networks.<net>.senders` replaces them. */
  readonly senders: readonly string[]
  /** MCC+MNC prefixes of its SIMs' IMSIs; empty for a wallet that is not a SIM network. */
  readonly imsiPrefixes: readonly string[]
  /**
   * Whether a receipt carries a note the payer typed (the HPN code travels in it). Without one,
   * SMS payments are told apart by a unique amount (README, "Matching without a reference").
   */
  readonly hasReference: boolean
  /** Transaction codes whose first characters are the date (M-Pesa): a soft forgery check (parsers/mpesa-code.ts). */
  readonly datedCodes: boolean
  /** A modem (SIM) can be on it; false for a wallet such as GhanaPay whose SMS arrive on another network. */
  readonly modem: boolean
  /** The virtual modem's wallet number in test mode: clearly not a real subscriber's. */
  readonly virtualMsisdn: string | null
  readonly guide: GuideText | null
  readonly simulated: SimulatedWording | null
}

const GH = { country: 'GH', currency: 'GHS', utcOffsetMinutes: 0 } as const
const KE = { country: 'KE', currency: 'KES', utcOffsetMinutes: 180 } as const

const REGISTRY = {
  mtn: {
    ...GH,
    name: 'MTN MoMo',
    senders: ['MobileMoney'],
    imsiPrefixes: ['62001'],
    hasReference: true,
    datedCodes: false,
    modem: true,
    virtualMsisdn: '0240000000',
    guide: {
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
    simulated: {
      credit: 'Payment received for GHS {amount} from {name}  Current Balance: GHS {balance} . Available Balance: GHS {balance}. Reference: {reference}. Transaction ID: {transaction_id}. TRANSACTION FEE: 0.00',
      transactionId: '9##########'
    }
  },
  telecel: {
    ...GH,
    name: 'Telecel Cash',
    senders: ['T-CASH'],
    imsiPrefixes: ['62002'],
    hasReference: true,
    datedCodes: false,
    modem: true,
    virtualMsisdn: '0200000000',
    guide: {
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
    simulated: {
      credit: '{transaction_id} Confirmed. You have received GHS{amount} from {phone_intl} - {name} on {iso_date} at {iso_time}. Your Telecel Cash balance is GHS{balance}. Reference: {reference}.',
      transactionId: '00000###########'
    }
  },
  /** AT's list is best knowledge: the 2013–14 Airtel texts came from AIRTELMONEY; no modern AT Money receipt has been seen. */
  at: {
    ...GH,
    name: 'AT Money',
    senders: ['AT Money', 'AIRTELMONEY', 'AirtelTigo', 'ATMoney'],
    imsiPrefixes: ['62003', '62006'],
    hasReference: true,
    datedCodes: false,
    modem: true,
    virtualMsisdn: '0270000000',
    guide: {
      ussdCode: '*110#',
      steps: [
        'Dial *110# on the phone with your AT Money wallet.',
        'Choose Send Money, then AT Money User.',
        'Enter the number {wallet}.',
        'Enter the amount: {amount}.',
        'When asked for a Reference, enter {code} exactly.',
        'Check the name shown, then enter your PIN to approve.'
      ]
    },
    simulated: {
      credit: 'Trans. ID: {transaction_id} You have received {amount}GHS from {phone_intl}. Reference: {reference}. Your available balance is {balance}GHS.',
      transactionId: '31##########'
    }
  },
  /** A wallet, not a SIM network: see parsers/formats/ghanapay.ts. */
  ghanapay: {
    ...GH,
    name: 'GhanaPay',
    senders: ['GhanaPay'],
    imsiPrefixes: [],
    hasReference: true,
    datedCodes: false,
    modem: false,
    virtualMsisdn: null,
    guide: null,
    simulated: null
  },
  /**
   * Safaricom M-Pesa (MCC 639, MNC 02). No incoming receipt carries a note the payer typed
   * (research note next-wave.md C.6), so payments to it are told apart by unique amounts.
   */
  mpesa: {
    ...KE,
    name: 'M-PESA',
    senders: ['MPESA'],
    imsiPrefixes: ['63902'],
    hasReference: false,
    datedCodes: true,
    modem: true,
    virtualMsisdn: '0700000000',
    guide: {
      ussdCode: '*334#',
      steps: [
        'Open M-PESA on the phone with your M-PESA line (the app, the SIM menu or *334#).',
        'Choose Send Money.',
        'Enter the number {wallet}.',
        'Enter the amount: exactly {amount}. This exact amount is how your payment is recognised.',
        'Check the name shown, then enter your M-PESA PIN to approve.'
      ]
    },
    simulated: {
      credit: '{transaction_id} Confirmed.You have received Ksh{amount} from {name} {phone_masked} on {dmy} at {hm12}  New M-PESA balance is Ksh{balance}.',
      transactionId: '{code_date}*******'
    }
  },
  /**
   * Airtel Money Kenya (MCC 639, MNC 03). Clients key the sender as `airtelmoney`/`AirtelMoney`
   * (the case on the handset is unconfirmed; the comparison ignores case). No payer note seen.
   */
  airtel_ke: {
    ...KE,
    name: 'Airtel Money',
    senders: ['AirtelMoney'],
    imsiPrefixes: ['63903'],
    hasReference: false,
    datedCodes: false,
    modem: true,
    virtualMsisdn: '0730000000',
    guide: {
      ussdCode: '*334#',
      steps: [
        'Dial *334# on the phone with your Airtel Money line.',
        'Choose Send Money, then Airtel Money User.',
        'Enter the number {wallet}.',
        'Enter the amount: exactly {amount}. This exact amount is how your payment is recognised.',
        'Check the name shown, then enter your PIN to approve.'
      ]
    },
    simulated: null
  }
} as const satisfies Readonly<Record<string, NetworkInfo>>

type Registry = typeof REGISTRY
/** Every network id: the key config, parsers, ledger rows and the API use. */
export type Network = keyof Registry
/** The networks a modem (a SIM) can be on. */
export type ModemNetwork = { [K in Network]: Registry[K]['modem'] extends true ? K : never }[Network]

export const NETWORK_INFO: Readonly<Record<Network, NetworkInfo>> = REGISTRY

/** Every network, in registry order. */
export const NETWORKS = Object.keys(REGISTRY) as readonly Network[] as readonly [Network, ...Network[]]

/** The networks a modem can be on, in registry order. */
export const MODEM_NETWORKS = NETWORKS.filter((n): n is ModemNetwork => REGISTRY[n].modem) as readonly ModemNetwork[] as readonly [ModemNetwork, ...ModemNetwork[]]

export function isNetwork (value: unknown): value is Network {
  return typeof value === 'string' && Object.hasOwn(REGISTRY, value)
}

export function isModemNetwork (value: unknown): value is ModemNetwork {
  return isNetwork(value) && REGISTRY[value].modem
}

/** The network of a SIM from its IMSI (MCC+MNC prefix), or null when no entry claims it. */
export function networkFromImsi (imsi: string | null): ModemNetwork | null {
  if (imsi === null) return null
  return MODEM_NETWORKS.find((n) => REGISTRY[n].imsiPrefixes.some((p) => imsi.startsWith(p))) ?? null
}

/** The currencies of every network a modem can be on, once each. */
export const MODEM_CURRENCIES: readonly string[] = [...new Set(MODEM_NETWORKS.map((n) => REGISTRY[n].currency))]

/** The countries of every network a modem can be on, once each. */
export const MODEM_COUNTRIES: readonly string[] = [...new Set(MODEM_NETWORKS.map((n) => REGISTRY[n].country))]

/**
 * True when an SMS payment in `currency` must be told apart by a unique amount: some modem network
 * taking that currency has receipts without a payer's note, so the HPN code may never arrive.
 */
export function needsUniqueAmount (currency: string): boolean {
  return MODEM_NETWORKS.some((n) => REGISTRY[n].currency === currency && !REGISTRY[n].hasReference)
}

/**
 * A phone number of any country a modem network is in, in display form (core/phone.ts), or null.
 * With `network`, only that network's country. Ghana's and Kenya's local forms (0 and nine digits)
 * display alike, so either reading gives the same answer.
 */
export function normaliseNetworkPhone (input: string, network?: Network): string | null {
  const countries = network === undefined ? MODEM_COUNTRIES : [REGISTRY[network].country]
  for (const country of countries) {
    const display = normalisePhone(country, input)
    if (display !== null) return display
  }
  return null
}

/** "Ghana or Kenya": the countries `normaliseNetworkPhone` takes, for error messages. */
export function networkCountryNames (network?: Network): string {
  const countries = network === undefined ? MODEM_COUNTRIES : [REGISTRY[network].country]
  return countries.map((c) => NUMBERING[c]?.name ?? c).join(' or ')
}

/** The rule a customer's number of no particular network must meet, for error messages. */
export const CUSTOMER_PHONE_RULE = `must be a number of ${networkCountryNames()}: 0XXXXXXXXX, or international (${MODEM_COUNTRIES.map((c) => `+${NUMBERING[c]?.callingCode ?? ''}…`).join(', ')})`

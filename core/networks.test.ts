import { describe, expect, it } from 'vitest'
import { ConfigSchema } from '../config/schema.js'
import { BUILT_IN_FORMATS, DEFAULT_TRUSTED_SENDERS, NETWORK_LOCALES, parseSms } from '../parsers/index.js'
import { SIMULATED_SENDER, simulatedTransactionId, telcoCreditText } from '../ingest/telco-wording.js'
import { checkMpesaCodeDate } from '../parsers/mpesa-code.js'
import { PAYMENT_GUIDES } from './payment-guides.js'
import {
  MODEM_CURRENCIES, MODEM_NETWORKS, NETWORKS, NETWORK_INFO, isModemNetwork, needsUniqueAmount, networkFromImsi, normaliseNetworkPhone
} from './networks.js'

describe('the network registry (core/networks.ts)', () => {
  it('names each network once, with Kenya\'s beside Ghana\'s', () => {
    expect(NETWORKS).toEqual(['mtn', 'telecel', 'at', 'ghanapay', 'mpesa', 'airtel_ke'])
    expect(MODEM_NETWORKS).toEqual(['mtn', 'telecel', 'at', 'mpesa', 'airtel_ke'])
    expect(isModemNetwork('ghanapay')).toBe(false)
    expect(isModemNetwork('mpesa')).toBe(true)
    expect(MODEM_CURRENCIES).toEqual(['GHS', 'KES'])
  })

  it('recognises SIMs by IMSI: Ghana 620 01/02/03/06, Safaricom 639 02, Airtel Kenya 639 03', () => {
    expect(networkFromImsi('620010000000001')).toBe('mtn')
    expect(networkFromImsi('620020000000001')).toBe('telecel')
    expect(networkFromImsi('620060000000001')).toBe('at')
    expect(networkFromImsi('639021234567890')).toBe('mpesa')
    expect(networkFromImsi('639031234567890')).toBe('airtel_ke')
    expect(networkFromImsi('639071234567890')).toBeNull()
    expect(networkFromImsi('310260000000000')).toBeNull()
    expect(networkFromImsi(null)).toBeNull()
  })

  it('is what the parsers, config, guides and test wording read', () => {
    for (const n of NETWORKS) {
      expect(DEFAULT_TRUSTED_SENDERS[n]).toEqual(NETWORK_INFO[n].senders)
      expect(NETWORK_LOCALES[n].currency).toBe(NETWORK_INFO[n].currency)
      expect(BUILT_IN_FORMATS[n].length).toBeGreaterThan(0)
    }
    const networksKeys = Object.keys(ConfigSchema.properties.networks.properties)
    expect(networksKeys).toEqual([...MODEM_NETWORKS])
    for (const n of MODEM_NETWORKS) expect(PAYMENT_GUIDES[n].name).toBe(NETWORK_INFO[n].name)
  })

  it('says which currencies need unique amounts: KES (no M-PESA receipt carries a payer\'s note), never GHS', () => {
    expect(NETWORK_INFO.mpesa.hasReference).toBe(false)
    expect(NETWORK_INFO.airtel_ke.hasReference).toBe(false)
    expect(needsUniqueAmount('KES')).toBe(true)
    expect(needsUniqueAmount('GHS')).toBe(false)
    expect(needsUniqueAmount('USD')).toBe(false)
  })

  it('reads wallet and customer numbers of either country, as the network\'s country when given', () => {
    expect(normaliseNetworkPhone('+254 712 345 678')).toBe('0712345678')
    expect(normaliseNetworkPhone('233244123456')).toBe('0244123456')
    expect(normaliseNetworkPhone('0712345678', 'mpesa')).toBe('0712345678')
    expect(normaliseNetworkPhone('0244123456', 'mpesa')).toBeNull()
    expect(normaliseNetworkPhone('+254712345678', 'mtn')).toBeNull()
    expect(normaliseNetworkPhone('12')).toBeNull()
  })

  it('writes every simulated receipt so the real parser reads it back as a credit (M-PESA with a dated code and a masked phone)', () => {
    const at = new Date('2026-05-31T17:06:00Z')
    for (const network of MODEM_NETWORKS) {
      if (NETWORK_INFO[network].simulated === null) continue
      const transactionId = simulatedTransactionId(network, Math.random, at)
      const text = telcoCreditText({ network, amountMinor: 10_300, reference: 'HKMVR2', payerPhone: network === 'mpesa' ? '0722123000' : '0244123456', payerName: 'MARY ATIENO', transactionId, balanceMinor: 50_000, at })
      const parsed = parseSms({ network, sender: SIMULATED_SENDER[network], text })
      expect(parsed, text).toMatchObject({ kind: 'credit', amount: '103.00', currency: NETWORK_INFO[network].currency, transaction_id: transactionId })
      if (network === 'mpesa') {
        expect(parsed.payer_phone).toBe('0722***000')
        expect(checkMpesaCodeDate(transactionId, at).status).toBe('agrees')
        expect(parsed.time).toBe('2026-05-31T17:06:00Z')
      }
    }
  })
})

import { readFileSync } from 'node:fs'
import { expect, it } from 'vitest'
import { parseSms, type FormatEntry } from './index.js'

// The README's example must keep working: operators copy it.
it('the README example format parses the README example message as shown', () => {
  const readme = readFileSync(new URL('./README.md', import.meta.url), 'utf8')
  const blocks = [...readme.matchAll(/```json\n([\s\S]*?)\n```/g)].map((m) => m[1] ?? '')
  const config = JSON.parse(blocks[0] ?? '') as { networks: { mtn: { formats: FormatEntry[] } } }
  const shown = JSON.parse(blocks[1] ?? '') as unknown
  const text = 'MoMo: GHS 50.00 credited to your wallet by KOFI MENSAH (0244123456). Note: HKMVR2. ID 51234567890.'
  expect(readme).toContain(text)
  expect(parseSms({ network: 'mtn', sender: 'MobileMoney', text }, { formats: { mtn: config.networks.mtn.formats } })).toEqual(shown)
  expect(parseSms({ network: 'mtn', sender: 'MobileMoney', text }).kind).toBe('unparsed')
})

it('the README\'s M-Pesa example parses as shown', () => {
  const readme = readFileSync(new URL('./README.md', import.meta.url), 'utf8')
  const m = /harpoon parse --network mpesa \\\n\s+"(?<text>[^"]+)"\n```\n\n```\n(?<shown>\{[^\n]+\})\n```/.exec(readme)
  expect(m).not.toBeNull()
  expect(parseSms({ network: 'mpesa', sender: 'MPESA', text: m?.groups?.['text'] ?? '' })).toEqual(JSON.parse(m?.groups?.['shown'] ?? 'null'))
})

import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { validateConfig } from '../config/load.js'
import { parserFrom } from './parser.js'

const README = readFileSync(resolve(import.meta.dirname, '../README.md'), 'utf8')

describe('README', () => {
  it('opens with the two commands a newcomer runs', () => {
    const start = README.indexOf('npm install && npm start')
    expect(start).toBeGreaterThan(-1)
    expect(README.indexOf('npm test')).toBeGreaterThan(start)
    expect(start).toBeLessThan(300)
  })

  it('shows an operator format that the config accepts and that reads its example message', () => {
    const section = README.slice(README.indexOf('## Message formats'))
    const json = /```json\n([\s\S]*?)\n```/.exec(section)?.[1]
    const message = /harpoon parse [^"]*"([^"]+)"/.exec(section)?.[1]
    expect(json).toBeDefined()
    expect(message).toBeDefined()
    const parser = parserFrom(validateConfig(JSON.parse(json as string), 'README'))
    expect(parser.parse({ network: 'mtn', sender: 'MobileMoney', text: message as string })).toMatchObject({
      kind: 'credit', amount: '50.00', payer_phone: '0244123456', reference: 'HKMVR2', transaction_id: '51234567890'
    })
  })
})

import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { validateConfig } from '../config/load.js'
import { parserFrom } from './parser.js'
import { SYSTEM_NEEDS } from '../test/system-needs.js'

const README = readFileSync(resolve(import.meta.dirname, '../README.md'), 'utf8')

describe('README', () => {
  it('opens with the two commands a newcomer runs', () => {
    const start = README.indexOf('npm install && npm start')
    expect(start).toBeGreaterThan(-1)
    expect(README.indexOf('npm test')).toBeGreaterThan(start)
    expect(start).toBeLessThan(300)
  })

  it('keeps "Start here" on one screen: the two commands, then what each needs and does', () => {
    const section = README.slice(README.indexOf('## Start here'), README.indexOf('\n## ', README.indexOf('## Start here') + 1))
    expect(section.split('\n').length).toBeLessThanOrEqual(30)
    expect(/```sh\nnpm install && npm start[^\n]*\nnpm test[^\n]*\n```/.test(section)).toBe(true)
    expect(section).toContain('**`npm install && npm start`** needs Node.js')
    expect(section).toContain('**`npm test`**')
    for (const need of SYSTEM_NEEDS) expect(section).toContain(`\`${need.apt}\``)
  })

  it('CI runs the README\'s test commands', () => {
    const ci = readFileSync(resolve(import.meta.dirname, '../.ci/run'), 'utf8')
    expect(ci).toMatch(/^npm test$/m)
    expect(ci).toMatch(/^npm run test:faults$/m)
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

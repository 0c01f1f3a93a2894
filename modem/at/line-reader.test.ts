import { describe, expect, it } from 'vitest'
import { commandPrefix, urcKind, type Final } from './classify.js'
import { AtLineReader, type Urc } from './line-reader.js'

function reader (command: string | null) {
  const seen: Array<[string, string]> = []
  const urcs: Urc[] = []
  const finals: Final[] = []
  const r = new AtLineReader({
    echo: (l) => seen.push(['echo', l]),
    response: (l) => seen.push(['response', l]),
    final: (f, l) => { finals.push(f); seen.push(['final', l]) },
    urc: (u) => { urcs.push(u); seen.push(['urc', u.line]) }
  })
  if (command !== null) r.setContext({ command, prefix: commandPrefix(command) })
  return { r, seen, urcs, finals }
}

describe('AtLineReader', () => {
  it('joins a URC split across writes', () => {
    const { r, urcs } = reader(null)
    r.feed('+CMTI: "SM",')
    expect(urcs).toEqual([])
    r.feed('3\r\n')
    expect(urcs).toEqual([{ line: '+CMTI: "SM",3' }])
  })

  it('frames a listing with URCs before the echo, between lines, and glued (T3), split byte by byte', () => {
    const { r, seen } = reader('AT+CMGL=4')
    const bytes = '\r\n+CMTI: "SM",1\r\nAT+CMGL=4\r\r\n^RSSI:17\r\n+CMGL: 0,1,,5\r\n\r\n0011\r\n^RSSI:18\r\n+CMGL: 1,0,,5\r\n0022"\r\n\r\n\r\nOK\r\n'
    for (const ch of bytes) r.feed(ch)
    expect(seen).toEqual([
      ['urc', '+CMTI: "SM",1'], ['echo', 'AT+CMGL=4'], ['urc', '^RSSI:17'], ['response', '+CMGL: 0,1,,5'],
      ['response', '0011'], ['urc', '^RSSI:18'], ['response', '+CMGL: 1,0,,5'], ['response', '0022"'], ['final', 'OK']
    ])
  })

  it('classifies every final result form', () => {
    const { r, finals } = reader('AT+CMGD=3')
    r.feed('+CMS ERROR: 321\r\n+CME ERROR: SIM busy\r\nCOMMAND NOT SUPPORT\r\nERROR\r\n0\r\n4\r\n')
    expect(finals).toEqual([
      { kind: 'cms', code: 321, text: '321' }, { kind: 'cme', code: null, text: 'SIM busy' }, { kind: 'not_supported' },
      { kind: 'error' }, { kind: 'ok' }, { kind: 'error' }
    ])
  })

  it('tells a solicited +CPIN from an unsolicited one by the command in flight', () => {
    const solicited = reader('AT+CPIN?')
    solicited.r.feed('+CPIN: READY\r\nOK\r\n')
    expect(solicited.seen[0]).toEqual(['response', '+CPIN: READY'])
    const unsolicited = reader('AT+CSQ')
    unsolicited.r.feed('+CPIN: READY\r\n+CSQ: 20,99\r\nOK\r\n')
    expect(unsolicited.seen.slice(0, 2)).toEqual([['urc', '+CPIN: READY'], ['response', '+CSQ: 20,99']])
    expect(urcKind('+CPIN: READY')).toBe('boot')
  })

  it('gives a routed +CMT its PDU line, even mid-response', () => {
    const { r, urcs, seen } = reader('AT+CSQ')
    r.feed('+CMT: ,24\r\n07913366003000F0040B\r\n+CSQ: 9,99\r\nOK\r\n')
    expect(urcs).toEqual([{ line: '+CMT: ,24', pdu: '07913366003000F0040B' }])
    expect(seen.at(-2)).toEqual(['response', '+CSQ: 9,99'])
  })
})

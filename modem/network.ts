/** Ghana's mobile networks, keyed the way config, parsers and the API name them. */
export const NETWORKS = ['mtn', 'telecel', 'at'] as const
export type Network = typeof NETWORKS[number]

/** MCC 620 (Ghana): MNC 01 MTN, 02 Telecel (ex-Vodafone), 03 and 06 AT (ex-AirtelTigo). */
export function networkFromImsi (imsi: string | null): Network | null {
  if (imsi === null || !/^620\d{2}/.test(imsi)) return null
  switch (imsi.slice(3, 5)) {
    case '01': return 'mtn'
    case '02': return 'telecel'
    case '03':
    case '06': return 'at'
    default: return null
  }
}

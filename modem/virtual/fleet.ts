import type { Logger } from 'pino'
import { NETWORK_INFO } from '../../core/networks.js'
import { NETWORKS, type Network } from '../network.js'
import type { ModemConfig } from '../runner.js'
import { VirtualPorts } from './binding.js'
import { startVirtualModem, type VirtualModem } from './virtual-modem.js'

/** Wallet numbers of the virtual modems: clearly not real subscribers' numbers. */
export const VIRTUAL_MSISDN: Readonly<Record<Network, string>> = Object.fromEntries(NETWORKS.map((n) => [n, NETWORK_INFO[n].virtualMsisdn ?? '0000000000'])) as Record<Network, string>
export const VIRTUAL_MODEM_PREFIX = 'virtual-'

/** The virtual modems of a process that has no hardware (the daemon's `npm start`, a test-mode agent). */
export interface VirtualFleet {
  /** Serves `virtual:*` paths; hand `ports.over(nativeBinding)` to the modem layer. */
  readonly ports: VirtualPorts
  /** One modem per network that started. */
  readonly modems: ReadonlyMap<Network, VirtualModem>
  /** Their entries for the supervisor: id `virtual-<network>`, test mode. */
  readonly configs: readonly ModemConfig[]
  close: () => void
}

/**
 * One simulated modem per network on an in-process virtual serial port (or none when `enabled` is
 * false), read through exactly the serial path of a USB stick, in test mode. A network whose modem
 * cannot start is logged and left out: nothing here stops the process.
 */
export function startVirtualFleet (enabled: boolean, logger: Logger): VirtualFleet {
  const ports = new VirtualPorts()
  const modems = new Map<Network, VirtualModem>()
  if (enabled) {
    for (const network of NETWORKS) {
      try {
        const vm = startVirtualModem(ports, { network, msisdn: VIRTUAL_MSISDN[network] })
        modems.set(network, vm)
        logger.warn({ modem: `${VIRTUAL_MODEM_PREFIX}${network}`, port: vm.path, msisdn: vm.msisdn }, 'VIRTUAL modem started (simulated, test mode only): no real SMS will be read from it')
      } catch (err) {
        logger.error({ err, network }, 'could not start a virtual modem; test SMS for its network cannot travel through it')
      }
    }
  }
  const configs = [...modems].map(([network, vm]): ModemConfig => ({ id: `${VIRTUAL_MODEM_PREFIX}${network}`, port: vm.path, network, msisdn: vm.msisdn, mode: 'test', virtual: true }))
  return { ports, modems, configs, close: () => { for (const vm of modems.values()) vm.close() } }
}

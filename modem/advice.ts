/**
 * What an operator can do about a modem failure, logged beside it. The daemon keeps retrying the
 * modem with back-off and serves the API meanwhile, so the advice is about the cause, not the daemon.
 */
const ADVICE: Readonly<Record<string, string>> = {
  modem_open_failed: 'check this modem\'s "port" in the config: ls -l /dev/serial/by-id/ shows the sticks plugged in and harpoon modems probes them; a port another program holds (ModemManager) cannot be opened either',
  modem_timeout: 'the modem stopped answering: check its power (a powered USB hub), its baud_rate, and that no other program (ModemManager, a terminal) uses the port; unplug and replug the stick if it stays silent',
  modem_unresponsive: 'the modem does not answer AT cleanly: check its baud_rate and that no other program (ModemManager, a terminal) uses the port; unplug and replug the stick if it stays silent',
  sim_pin_required: 'set this modem\'s "pin" in the config, or switch the SIM\'s PIN lock off in a phone',
  sim_pin_rejected: 'the configured PIN is wrong: correct it in the config and restart; the daemon does not try again, as a third wrong PIN locks the SIM (PUK)',
  sim_not_inserted: 'insert the SIM (with the stick unplugged) and plug the stick in again'
}

export function adviceFor (code: string | undefined): string | undefined {
  return code === undefined ? undefined : ADVICE[code]
}

/**
 * The networks a modem's SIM can be on, and the IMSI → network rule: both from the one registry
 * (core/networks.ts). Ghana MCC 620 (MNC 01 MTN, 02 Telecel, 03 and 06 AT); Kenya MCC 639 (02
 * Safaricom M-Pesa, 03 Airtel Money).
 */
export { MODEM_NETWORKS as NETWORKS, networkFromImsi, type ModemNetwork as Network } from '../core/networks.js'

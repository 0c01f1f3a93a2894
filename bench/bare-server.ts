import Fastify from 'fastify'

/**
 * The baseline every API figure is divided by: Fastify with no logger, no plugins and no database,
 * answering a constant JSON object about the size of a payment. Run as its own process, like the
 * daemon, so both pay for the same process boundary and share the machine the same way. It answers
 * the daemon's own paths too, so the load generator sends both the very same requests (a path
 * parameter drawn per request, an Authorization header): the client shares the machine's two
 * cores, and a cheaper request for the baseline alone would give it more of them.
 */
const PAYMENT = {
  success: true,
  data: {
    reference: 'hpn_trx_00000000000000000000000000000000', hpn_code: 'HKMVR2', status: 'SUCCESS',
    expected_amount: '150.00', actual_amount: '150.00', difference: null, difference_type: 'EXACT', currency: 'GHS',
    customer_phone: null, payer_phone: '0244000000', telco_provider: 'mtn', telco_transaction_id: '91234567890',
    meta: null, client_reference: 'order_1234', mode: 'live', expires_at: '2026-01-01T00:00:00Z',
    verified_at: '2026-01-01T00:00:00Z', created_at: '2026-01-01T00:00:00Z', updated_at: '2026-01-01T00:00:00Z',
    credits: [], pay_to: []
  }
}

const app = Fastify({ logger: false })
const created = async (_request: unknown, reply: { code: (status: number) => unknown }): Promise<typeof PAYMENT> => { void reply.code(201); return PAYMENT }
app.get('/bare', async () => PAYMENT)
app.post('/bare', created)
app.get('/v1/payments/:id', async () => PAYMENT)
app.post('/v1/payments/initialize', created)
const url = await app.listen({ host: '127.0.0.1', port: 0 })
process.stdout.write(`LISTENING ${url}\n`)
const stop = (): void => { app.close().then(() => process.exit(0), (err: unknown) => { console.error(err); process.exit(1) }) }
process.on('SIGTERM', stop)
process.on('SIGINT', stop)

/**
 * The key that seals secrets at rest in every test ledger (HARPOON_SECRET_KEY in vitest's env, so a
 * daemon a test spawns and the test reading its database use the same one). Tests of the key file
 * itself spawn with an environment without it.
 */
export const TEST_SECRET_KEY_HEX = '5e'.repeat(32)

export function testSecretKey (): Buffer {
  return Buffer.from(process.env['HARPOON_SECRET_KEY'] ?? TEST_SECRET_KEY_HEX, 'hex')
}

import { createCipheriv, createDecipheriv, createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import { HarpoonError } from '../core/errors.js'

/** The length of the key that seals secrets at rest: AES-256. */
export const SECRET_KEY_BYTES = 32

/** Marks a sealed value; a stored value without it is plaintext an older release wrote. */
const PREFIX = 'enc:v1:'
const IV_BYTES = 12
const TAG_BYTES = 16
const CHECK_LABEL = 'harpoon secret key check v1'

/**
 * Secrets at rest (issue 16): what the daemon must read back (webhook signing secrets, the MoMo
 * proxy's keys, which sign its forwards) is stored sealed with AES-256-GCM under a key kept outside
 * the database, so a copied database or backup alone reveals none of them. The associated data names
 * the row a value belongs to, so a sealed value moved to another row does not open either.
 */
export class SecretBox {
  readonly #key: Buffer

  constructor (key: Buffer) {
    if (key.length !== SECRET_KEY_BYTES) throw new HarpoonError('secret_key_invalid', `the secret key must be ${SECRET_KEY_BYTES} bytes; it is ${key.length}`)
    this.#key = Buffer.from(key)
  }

  static isSealed (stored: string): boolean { return stored.startsWith(PREFIX) }

  seal (plaintext: string, context: string): string {
    const iv = randomBytes(IV_BYTES)
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv)
    cipher.setAAD(Buffer.from(context, 'utf8'))
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()])
    return PREFIX + Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url')
  }

  /** The plaintext of a sealed value; a value still in plaintext (not yet migrated) as it is. */
  open (stored: string, context: string): string {
    if (!SecretBox.isSealed(stored)) return stored
    const raw = Buffer.from(stored.slice(PREFIX.length), 'base64url')
    if (raw.length < IV_BYTES + TAG_BYTES) throw new HarpoonError('secret_unreadable', `a sealed secret of ${context} is truncated`)
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.#key, raw.subarray(0, IV_BYTES))
      decipher.setAAD(Buffer.from(context, 'utf8'))
      decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES))
      return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8')
    } catch {
      throw new HarpoonError('secret_unreadable', `a sealed secret of ${context} does not open with this key (another key, or the value was altered)`)
    }
  }

  /** What the database keeps to recognise this key (an HMAC of a fixed label; reveals nothing of the key). */
  checkValue (): string {
    return createHmac('sha256', this.#key).update(CHECK_LABEL).digest('hex')
  }

  matches (check: string): boolean {
    const mine = Buffer.from(this.checkValue(), 'utf8')
    const theirs = Buffer.from(check, 'utf8')
    return mine.length === theirs.length && timingSafeEqual(mine, theirs)
  }
}

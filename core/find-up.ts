import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/**
 * The first `relative` path that `accept`s, looking beside `fromUrl` (an `import.meta.url`) and up
 * to four folders above: the same files are found from source and from `dist/`.
 */
export function findUp (fromUrl: string, relative: string, accept: (path: string) => boolean): string | null {
  let dir = dirname(fileURLToPath(fromUrl))
  for (let i = 0; i < 5; i++) {
    const candidate = join(dir, relative)
    if (accept(candidate)) return candidate
    dir = dirname(dir)
  }
  return null
}

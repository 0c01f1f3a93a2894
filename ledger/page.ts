/**
 * Keyset paging: a store reads `limit + 1` rows after the cursor; the extra row only says whether
 * there is a next page.
 */
export function pageOf<T> (rows: T[], limit: number): { items: T[], hasMore: boolean } {
  return { items: rows.slice(0, limit), hasMore: rows.length > limit }
}

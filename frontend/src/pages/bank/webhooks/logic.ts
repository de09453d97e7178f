import type { DeliveryOut, DeliveryPage, DeliveryStatus } from '@/api'

export type Tone = 'ok' | 'warn' | 'bad' | 'neutral' | 'info'

/** The tag colour of a delivery's status: delivered is done, a failed one will be tried
 * again, a dead one will not. */
export function statusTone(status: DeliveryStatus): Tone {
  return ({ delivered: 'ok', pending: 'info', failed: 'warn', dead: 'bad' } as const)[status]
}

/** The log so far with an older page added below it: each delivery once (a delivery seen on
 * the first page and again after a reload keeps its newer state), newest first. */
export function appendPage(shown: readonly DeliveryOut[], page: DeliveryPage): DeliveryOut[] {
  const seen = new Set(shown.map((d) => d.id))
  return [...shown, ...page.items.filter((d) => !seen.has(d.id))]
}

/** What the bank's server answered last, in a few words: the HTTP status, else the error. */
export function lastAnswer(d: Pick<DeliveryOut, 'last_status_code' | 'last_error'>): string {
  if (d.last_status_code != null) return `HTTP ${d.last_status_code}`
  return d.last_error ?? ''
}

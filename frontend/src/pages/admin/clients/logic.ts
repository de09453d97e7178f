// Reading the registration form: a JWK Set pasted as JSON, redirect URIs one per line.

export type JwksProblem = 'empty' | 'json' | 'shape'

/** The pasted JWK Set, or what is wrong with it (the server checks the keys themselves). */
export function readJwks(text: string): { jwks: Record<string, unknown> } | { problem: JwksProblem } {
  if (!text.trim()) return { problem: 'empty' }
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return { problem: 'json' }
  }
  if (typeof value !== 'object' || value === null || !Array.isArray((value as { keys?: unknown }).keys)) {
    return { problem: 'shape' }
  }
  return { jwks: value as Record<string, unknown> }
}

/** The non-empty lines, trimmed, each once. */
export function readLines(text: string): string[] {
  return [...new Set(text.split('\n').map((l) => l.trim()).filter(Boolean))]
}

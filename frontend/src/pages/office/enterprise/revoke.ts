/** The strong confirmation of a revocation: the officer types the enterprise's USCC (spaces and
 * case ignored) and gives a reason the server will accept (at least two characters). */
export function revokeConfirmed(typed: string, uscc: string, reason: string): boolean {
  const clean = (s: string) => s.replace(/\s+/g, '').toUpperCase()
  return clean(typed) === clean(uscc) && uscc.length > 0 && reason.trim().length >= 2
}

import { describe, expect, it } from 'vitest'
import { revokeConfirmed } from './revoke'

describe('revocation confirmation', () => {
  const uscc = '91440104HMJKK94R9B'
  it('needs the exact USCC and a reason', () => {
    expect(revokeConfirmed(uscc, uscc, '冒名认领')).toBe(true)
    expect(revokeConfirmed(' 91440104hmjkk94r9b ', uscc, '冒名认领')).toBe(true)
    expect(revokeConfirmed('91440104HMJKK94R9', uscc, '冒名认领')).toBe(false)
    expect(revokeConfirmed(uscc, uscc, ' x ')).toBe(false)
    expect(revokeConfirmed('', '', 'reason')).toBe(false)
  })
})

import { describe, expect, it } from 'vitest'
import { intakeProblems, type IntakeForm } from './form'

const good: IntakeForm = {
  intake_url: 'https://bank.example.cn/intake', token_url: 'https://bank.example.cn/oauth/token', client_id: 'xinyidai', client_secret: 's3cret-value', scope: '',
}

describe('intakeProblems', () => {
  it('accepts a complete intake', () => {
    expect(intakeProblems(good, false)).toEqual({})
  })

  it('names each missing or malformed field', () => {
    expect(intakeProblems({ intake_url: '', token_url: 'ftp://x.example/t', client_id: ' ', client_secret: 'short', scope: '' }, false)).toEqual({
      intake_url: 'urlRequired', token_url: 'urlScheme', client_id: 'clientIdRequired', client_secret: 'secretLength',
    })
    expect(intakeProblems({ ...good, intake_url: 'not a url at all' }, false)).toEqual({ intake_url: 'urlInvalid' })
  })

  it('needs the secret only the first time: empty keeps the stored one', () => {
    expect(intakeProblems({ ...good, client_secret: '' }, false)).toEqual({ client_secret: 'secretRequired' })
    expect(intakeProblems({ ...good, client_secret: '' }, true)).toEqual({})
  })
})

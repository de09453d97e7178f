// The bank's intake form: the checks the server makes before it stores it (`relay_schemas.py`
// IntakeIn; whether a host is public the server decides).
export interface IntakeForm {
  intake_url: string
  token_url: string
  client_id: string
  client_secret: string
  scope: string
}

export type Problems = Record<string, string>

function url(value: string): string | null {
  const v = value.trim()
  if (!v) return 'urlRequired'
  if (v.length < 8 || v.length > 500) return 'urlLength'
  try {
    const u = new URL(v)
    return u.protocol === 'https:' || u.protocol === 'http:' ? null : 'urlScheme'
  } catch {
    return 'urlInvalid'
  }
}

/** Field → problem key under `bank.intake.problems`; the secret is required only when there is
 * no intake yet (left empty, the stored one is kept). */
export function intakeProblems(form: IntakeForm, exists: boolean): Problems {
  const out: Problems = {}
  const intake = url(form.intake_url)
  if (intake) out.intake_url = intake
  const token = url(form.token_url)
  if (token) out.token_url = token
  if (!form.client_id.trim()) out.client_id = 'clientIdRequired'
  else if (form.client_id.trim().length > 200) out.client_id = 'tooLong'
  if (!form.client_secret && !exists) out.client_secret = 'secretRequired'
  else if (form.client_secret && (form.client_secret.length < 8 || form.client_secret.length > 500)) out.client_secret = 'secretLength'
  if (form.scope.trim().length > 200) out.scope = 'tooLong'
  return out
}

import { useI18n } from 'vue-i18n'
import { ApiProblem } from '@/api/problem'

/** A sentence for an error in the current language: the status's own explanation, then the
 * server's detail (which names the field or rule) when it has one. */
export function useProblem() {
  const { t, te } = useI18n()
  function describe(error: unknown): string {
    if (error instanceof ApiProblem) {
      const key = `problem.${error.status}`
      const general = te(key) ? t(key) : t('problem.other')
      const fields = error.errors.map((e) => (e.field ? `${e.field}: ${e.message}` : e.message)).join('; ')
      const detail = fields || error.detail
      return detail && error.status !== 0 && error.status < 500 ? `${general} ${detail}` : general
    }
    return t('problem.other')
  }
  return { describe }
}

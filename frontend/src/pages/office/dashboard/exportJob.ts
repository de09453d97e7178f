import { ref, shallowRef } from 'vue'
import { officeExportExportStatus, officeExportRequestExport, type ExportIn, type ExportOut } from '@/api'
import { useOfficePolling } from '@/composables/useOfficePolling'
import { useProblem } from '@/composables/useProblem'

/** Where a finished export's file is downloaded (same origin: the session cookie goes along). */
export const fileUrl = (id: string) => `/api/v1/office/exports/${id}/file`

export const isFinished = (job: ExportOut) => job.status === 'done' || job.status === 'failed'

/** An export job started from the page: asked for, then followed until it is done or failed
 * (`onFinished` then, e.g. to refresh the list of exports). */
export function useExportJob(onFinished: () => void) {
  const job = shallowRef<ExportOut | null>(null)
  const error = ref<string | null>(null)
  const busy = ref(false)
  const { poll, stopAll } = useOfficePolling()
  const { describe } = useProblem()

  async function start(body: ExportIn): Promise<void> {
    stopAll()
    busy.value = true
    error.value = null
    try {
      job.value = (await officeExportRequestExport({ body })).data!
    } catch (e) {
      error.value = describe(e)
      busy.value = false
      return
    }
    const id = job.value.id
    poll(async () => (await officeExportExportStatus({ path: { export_id: id } })).data!, {
      interval: 400,
      isDone: isFinished,
      onValue: (value) => {
        job.value = value
        if (isFinished(value)) {
          busy.value = false
          onFinished()
        }
      },
      onError: (e, stopped) => {
        if (stopped) {
          error.value = describe(e)
          busy.value = false
        }
      },
    })
  }
  return { job, error, busy, start }
}

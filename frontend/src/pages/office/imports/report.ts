// The import's report as the page shows it, and the small rules around an upload.
import type { ImportOut, ImportStatus, RejectedRow } from '@/api'

export const MAX_UPLOAD_BYTES = 200 * 1024 * 1024
export const ACCEPTED_EXTENSIONS = ['.csv', '.jsonl', '.json', '.ndjson', '.txt']
/** The import's columns, as the server's vocabulary names them. */
export const IMPORT_FIELDS = ['uscc', 'name', 'record_type', 'document_no', 'decision_date', 'authority', 'severity', 'description', 'publish_until', 'grade', 'status'] as const
export const REQUIRED_FIELDS = IMPORT_FIELDS.slice(0, 6)
/** How many imports of this browser session the page remembers. */
export const REMEMBERED = 10

export function isFinished(status: ImportStatus): boolean {
  return status === 'done' || status === 'failed'
}

export type FileProblem = 'type' | 'empty' | 'size'

/** Why a chosen file cannot be sent, checked before the upload (the server checks again). */
export function checkFile(file: { name: string; size: number }): FileProblem | null {
  const name = file.name.toLowerCase()
  if (!ACCEPTED_EXTENSIONS.some((ext) => name.endsWith(ext))) return 'type'
  if (file.size === 0) return 'empty'
  if (file.size > MAX_UPLOAD_BYTES) return 'size'
  return null
}

export interface Rejection {
  row: number
  /** The column the reason names (`uscc`, `decision_date`…), when it names one. */
  field: string | null
  message: string
  /** The row this one repeats (a document number seen earlier in the file). */
  duplicateOf: number | null
}

const FIELD_PREFIX = /^([a-z_]+):\s*(.*)$/s
const REPEATS = /repeats row (\d+)/

/** The rejected rows in row order, each reason split into its column and its message. */
export function shapeRejections(rows: RejectedRow[]): Rejection[] {
  return [...rows]
    .sort((a, b) => a.row - b.row)
    .map(({ row, reason }) => {
      const match = FIELD_PREFIX.exec(reason)
      const known = match && (IMPORT_FIELDS as readonly string[]).includes(match[1]!)
      const repeat = REPEATS.exec(reason)
      return {
        row,
        field: known ? match![1]! : null,
        message: known ? match![2]! : reason,
        duplicateOf: repeat ? Number(repeat[1]) : null,
      }
    })
}

export interface Counts {
  accepted: number
  updated: number
  unchanged: number
  rejected: number
  /** Rejected because the document number repeats an earlier row (among the listed ones). */
  duplicates: number
  /** Rejections listed in the report (the server keeps the first 1000). */
  listed: number
  truncated: boolean
}

export function countsOf(item: ImportOut): Counts {
  const listed = item.rejected.length
  return {
    accepted: item.accepted,
    updated: item.updated,
    unchanged: item.unchanged,
    rejected: item.rejected_count,
    duplicates: item.rejected.filter((r) => REPEATS.test(r.reason)).length,
    listed,
    truncated: item.rejected_count > listed,
  }
}

/** The session's imports with `item` put in (replacing the same id), newest first. */
export function remember(list: ImportOut[], item: ImportOut): ImportOut[] {
  const rest = list.filter((i) => i.id !== item.id)
  return [item, ...rest]
    .sort((a, b) => b.submitted_at.localeCompare(a.submitted_at))
    .slice(0, REMEMBERED)
}

/** Imports stored in sessionStorage, if they read as a list of imports. */
export function restore(raw: string | null): ImportOut[] {
  if (!raw) return []
  try {
    const parsed: unknown = JSON.parse(raw)
    return Array.isArray(parsed)
      ? (parsed.filter((i) => i && typeof i.id === 'string' && typeof i.status === 'string' && Array.isArray(i.rejected)) as ImportOut[])
      : []
  } catch {
    return []
  }
}

/** A file to try the import with: two good rows, one with a wrong check character, one repeat. */
export const SAMPLE_CSV = [
  '统一社会信用代码,主体名称,信息类别,决定文书号,决定日期,决定机关,失信程度,内容,公示截止期',
  '91440101MA5EXAMPLE,广州示例贸易有限公司,行政处罚,穗示例罚〔2026〕1号,2026-01-15,广州市市场监督管理局,一般,未按规定公示年度报告,2027-01-15',
  '91440101MA5EXAMPLE,广州示例贸易有限公司,纳税信用等级,穗示例税〔2025〕1号,2025-04-01,国家税务总局广州市税务局,,纳税信用A级,',
  '91440101MA5EXAMPLX,校验码错误的示例,行政处罚,穗示例罚〔2026〕2号,2026-01-15,广州市市场监督管理局,一般,统一社会信用代码校验位错误,',
  '91440101MA5EXAMPLE,广州示例贸易有限公司,行政处罚,穗示例罚〔2026〕1号,2026-01-15,广州市市场监督管理局,一般,重复的决定文书号,2027-01-15',
].join('\n') + '\n'

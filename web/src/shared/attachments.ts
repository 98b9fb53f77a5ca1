// Files of meetings (minutes) and offline records: the server plans the upload and presigns a
// URL of the blob store, the browser PUTs the bytes there, and the server checks the file's real
// type on completion. Downloads go through a short-lived URL the server hands out to those who
// may see the file.
import { studyhour, must } from '@/api/client'
import type { components } from '@/api/generated/studyhour'

export type Attachment = components['schemas']['api.studyhour.v1.Attachment']

/** accept lists the file types the server takes (checked again on its side by content). */
export const accept = '.pdf,.jpg,.jpeg,.png,.docx,application/pdf,image/jpeg,image/png,application/vnd.openxmlformats-officedocument.wordprocessingml.document'

/** upload sends one file for purpose ("minutes" of meeting refId, or "offline" with refId 0). */
export async function upload(purpose: 'minutes' | 'offline', refId: string, file: File): Promise<Attachment> {
  const plan = await must(studyhour.POST('/v1/attachments', {
    body: { purpose, refId, fileName: file.name, size: String(file.size), contentType: file.type || 'application/octet-stream' },
  }))
  const res = await fetch(plan.uploadUrl ?? '', { method: 'PUT', body: file })
  if (!res.ok) throw new Error(`upload failed: ${res.status}`)
  const id = String(plan.attachment?.id)
  return must(studyhour.POST('/v1/attachments/{id}:complete', { params: { path: { id } }, body: { id } }))
}

/** download opens a file through a fresh short-lived URL. */
export async function download(a: Attachment) {
  const got = await must(studyhour.GET('/v1/attachments/{id}', { params: { path: { id: String(a.id) } } }))
  const link = document.createElement('a')
  link.href = got.url ?? ''
  link.download = a.fileName ?? ''
  link.rel = 'noopener'
  link.click()
}

// Files of meetings (minutes) and offline records: the server plans the upload and presigns a
// URL of the blob store, the browser PUTs the bytes there, and the server checks the file's real
// type on completion. Downloads go through a short-lived URL the server hands out to those who
// may see the file.
import { org, studyhour, must } from '@/api/client'
import type { components } from '@/api/generated/studyhour'
import type { components as orgComponents } from '@/api/generated/org'

export type Attachment = components['schemas']['api.studyhour.v1.Attachment']
export type StepDocument = orgComponents['schemas']['api.org.v1.StepDocument']

/** accept lists the file types the server takes (checked again on its side by content). */
export const accept = '.pdf,.jpg,.jpeg,.png,.docx,application/pdf,image/jpeg,image/png,application/vnd.openxmlformats-officedocument.wordprocessingml.document'

/** upload sends one file for purpose ("minutes" of meeting refId, or "offline" with refId 0). */
export async function upload(purpose: 'minutes' | 'offline', refId: string, file: File): Promise<Attachment> {
  const plan = await must(studyhour.POST('/v1/attachments', {
    body: { purpose, refId, fileName: file.name, size: String(file.size), contentType: file.type || 'application/octet-stream' },
  }))
  await put(plan.uploadUrl ?? '', file)
  const id = String(plan.attachment?.id)
  return must(studyhour.POST('/v1/attachments/{id}:complete', { params: { path: { id } }, body: { id } }))
}

/** download opens a file through a fresh short-lived URL. */
export async function download(a: Attachment) {
  const got = await must(studyhour.GET('/v1/attachments/{id}', { params: { path: { id: String(a.id) } } }))
  open(got.url ?? '', a.fileName ?? '')
}

/** uploadStepDocument sends a paper of a member's recorded development step. */
export async function uploadStepDocument(memberId: string, stepId: string, file: File): Promise<StepDocument> {
  const plan = await must(org.POST('/v1/members/{memberId}/development/steps/{stepId}/documents', {
    params: { path: { memberId, stepId } },
    body: { memberId, stepId, fileName: file.name, size: String(file.size), contentType: file.type || 'application/octet-stream' },
  }))
  await put(plan.uploadUrl ?? '', file)
  const id = String(plan.document?.id)
  return must(org.POST('/v1/development/documents/{id}:complete', { params: { path: { id } }, body: { id } }))
}

/** downloadStepDocument opens a step's paper through a fresh short-lived URL. */
export async function downloadStepDocument(d: StepDocument) {
  const got = await must(org.GET('/v1/development/documents/{id}', { params: { path: { id: String(d.id) } } }))
  open(got.url ?? '', d.fileName ?? '')
}

async function put(url: string, file: File) {
  const res = await fetch(url, { method: 'PUT', body: file })
  if (!res.ok) throw new Error(`upload failed: ${res.status}`)
}

function open(url: string, name: string) {
  const link = document.createElement('a')
  link.href = url
  link.download = name
  link.rel = 'noopener'
  link.click()
}

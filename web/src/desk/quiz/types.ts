// Shorthands for the quiz schemas the desk pages use.
import type { components } from '@/api/generated/quiz'

type S = components['schemas']
export type ManagedExam = S['api.quiz.v1.ManagedExam']
export type Exam = S['api.quiz.v1.Exam']
export type AttemptSummary = S['api.quiz.v1.AttemptSummary']
export type AttemptReview = S['api.quiz.v1.AttemptReview']
export type ReviewItem = S['api.quiz.v1.ReviewItem']
export type ExamStats = S['api.quiz.v1.ExamStats']

/** statusType is the tag colour of an attempt status. */
export function statusType(status?: string): 'primary' | 'success' | 'warning' | 'info' {
  return status === 'graded' ? 'success' : status === 'submitted' ? 'warning' : status === 'in_progress' ? 'primary' : 'info'
}

/** saveFile downloads a FileReply (base64 content) under its file name. */
export function saveFile(file: { fileName?: string; contentType?: string; content?: string }) {
  const bytes = Uint8Array.from(atob(file.content ?? ''), (c) => c.charCodeAt(0))
  const url = URL.createObjectURL(new Blob([bytes], { type: file.contentType }))
  const a = document.createElement('a')
  a.href = url
  a.download = file.fileName ?? 'export.xlsx'
  a.click()
  setTimeout(() => URL.revokeObjectURL(url), 10_000)
}

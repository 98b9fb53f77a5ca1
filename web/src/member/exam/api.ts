// The quiz calls of the exam page, mapped onto the answer buffer's outcomes.
import { fromBody, quiz } from '@/api/client'
import type { components } from '@/api/generated/quiz'
import type { SaveOutcome, Sender } from './buffer'

export type AttemptView = components['schemas']['api.quiz.v1.AttemptView']
export type QuestionView = components['schemas']['api.quiz.v1.QuestionView']
export type MyExam = components['schemas']['api.quiz.v1.MyExam']

/** sender saves one answer: PUT /v1/attempts/{id}/answers/{no}. */
export function sender(attemptId: string): Sender {
  return async (no, value, version): Promise<SaveOutcome> => {
    let res
    try {
      res = await quiz.PUT('/v1/attempts/{attemptId}/answers/{questionNo}', {
        params: { path: { attemptId, questionNo: no } },
        body: { value, version: String(version) },
      })
    } catch {
      return { kind: 'retry' } // offline
    }
    const { data, error, response } = res
    if (response.ok && data) {
      return { kind: 'saved', version: Number(data.version), remainingSeconds: Number(data.remainingSeconds ?? 0) }
    }
    const e = fromBody(response.status, error, response.statusText)
    if (e.reason === 'STALE_ANSWER') return { kind: 'stale' }
    if (e.reason === 'ATTEMPT_CLOSED' || e.reason === 'EXAM_CLOSED') return { kind: 'closed', message: e.message }
    if (response.status >= 400 && response.status < 500 && response.status !== 401 && response.status !== 408 && response.status !== 429) {
      return { kind: 'refused', message: e.message }
    }
    return { kind: 'retry' }
  }
}

import { describe, expect, it } from 'vitest'
import { ApiError } from '@/api/client'
import { errorText, fieldErrorText } from './i18n'

describe('fieldErrorText', () => {
  it('drops the field lead of a field error, for showing beside the field', () => {
    const e = new ApiError(400, 'INVALID_ARGUMENT', '参数 items[1].ends_on 无效：结束日期不能早于开始日期', { field: 'items[1].ends_on' })
    expect(fieldErrorText(e)).toBe('结束日期不能早于开始日期')
    expect(errorText(e)).toBe('参数 items[1].ends_on 无效：结束日期不能早于开始日期')
  })
  it('keeps any other message whole', () => {
    expect(fieldErrorText(new ApiError(403, 'FORBIDDEN', '无权修改该组织的学习计划'))).toBe('无权修改该组织的学习计划')
    expect(fieldErrorText(new ApiError(400, 'INVALID_ARGUMENT', '标题不能为空', { field: 'title' }))).toBe('标题不能为空')
  })
})

import { describe, expect, it } from 'vitest'
import { ApiError } from '@/api/client'
import { errorText, fieldErrorText } from './i18n'

describe('fieldErrorText', () => {
  it('shows the server\'s detail of a field error beside the field, the whole message elsewhere', () => {
    const e = new ApiError(400, 'INVALID_ARGUMENT', '参数 items[1].ends_on 无效：结束日期不能早于开始日期',
      { field: 'items[1].ends_on', detail: '结束日期不能早于开始日期' })
    expect(fieldErrorText(e)).toBe('结束日期不能早于开始日期')
    expect(errorText(e)).toBe('参数 items[1].ends_on 无效：结束日期不能早于开始日期')
  })
  it('falls back to the message without a detail', () => {
    expect(fieldErrorText(new ApiError(403, 'FORBIDDEN', '无权修改该组织的学习计划'))).toBe('无权修改该组织的学习计划')
  })
})

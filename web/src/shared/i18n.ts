import { createI18n } from 'vue-i18n'
import { ApiError } from '@/api/client'
import zhCN from '@/locales/zh-CN.json'
import en from '@/locales/en.json'

export type MessageSchema = typeof zhCN

/** Chinese first; English when the browser asks for it and the user has not chosen. */
export function pickLocale(saved: string | null, browser: readonly string[]): 'zh-CN' | 'en' {
  if (saved === 'zh-CN' || saved === 'en') return saved
  const first = browser[0]?.toLowerCase() ?? ''
  return first.startsWith('en') ? 'en' : 'zh-CN'
}

export const i18n = createI18n<[MessageSchema], 'zh-CN' | 'en'>({
  legacy: false,
  locale: pickLocale(typeof localStorage === 'undefined' ? null : localStorage.getItem('locale'), typeof navigator === 'undefined' ? [] : navigator.languages),
  fallbackLocale: 'zh-CN',
  messages: { 'zh-CN': zhCN, en },
})

type Locale = 'zh-CN' | 'en'

/** toggleLocale switches between Chinese and English and remembers the choice. */
export function toggleLocale(locale: { value: string }): void {
  locale.value = locale.value === 'zh-CN' ? 'en' : 'zh-CN'
  localStorage.setItem('locale', locale.value)
  document.documentElement.lang = locale.value as Locale
}

/** errorText is what to show for a failed call: the server's words, or the network notice. */
export function errorText(e: unknown): string {
  return e instanceof ApiError ? e.message : i18n.global.t('error.network')
}

/** fieldErrorText is the server's reason for a bad field, for showing beside that field. */
export function fieldErrorText(e: unknown): string {
  return e instanceof ApiError ? e.detail : errorText(e)
}

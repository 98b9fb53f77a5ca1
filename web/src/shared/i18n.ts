import { createI18n } from 'vue-i18n'
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

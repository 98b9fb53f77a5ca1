// Dates and hours the way users here read them: 2026-12-01 14:30, 学时 with one decimal.

/** formatDateTime shows an RFC 3339 time in the browser's zone as YYYY-MM-DD HH:mm. */
export function formatDateTime(iso: string | undefined | null): string {
  if (!iso) return '—'
  const d = new Date(iso)
  if (Number.isNaN(d.getTime())) return '—'
  const p = (n: number) => String(n).padStart(2, '0')
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`
}

/** formatHours shows study hours with one decimal. */
export function formatHours(h: number): string {
  return (Math.round(h * 10) / 10).toFixed(1)
}

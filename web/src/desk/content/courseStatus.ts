// How a course's state and a lesson's media read at the desk.

/** statusType is the Element Plus tag colour of a course state. */
export function statusType(s: string | undefined): 'info' | 'success' | 'warning' {
  return s === 'PUBLISHED' ? 'success' : s === 'ARCHIVED' ? 'warning' : 'info'
}

/** accept lists what a lesson kind's file picker offers; the server checks the real bytes. */
export const accept: Record<string, string> = {
  VIDEO: 'video/mp4,.mp4',
  AUDIO: 'audio/mpeg,audio/mp4,.mp3,.m4a',
  DOCUMENT: 'application/pdf,.pdf',
}

const byExtension: Record<string, string> = { mp4: 'video/mp4', mp3: 'audio/mpeg', m4a: 'audio/mp4', pdf: 'application/pdf' }

/** contentType is the MIME type to declare for a file: the browser's, else by extension. */
export function contentType(f: File): string {
  return f.type || byExtension[f.name.split('.').pop()?.toLowerCase() ?? ''] || 'application/octet-stream'
}

/** clock shows seconds as m:ss or h:mm:ss. */
export function clock(seconds: number): string {
  const s = Math.max(0, Math.round(seconds))
  const p = (n: number) => String(n).padStart(2, '0')
  const h = Math.floor(s / 3600)
  return h > 0 ? `${h}:${p(Math.floor((s % 3600) / 60))}:${p(s % 60)}` : `${Math.floor(s / 60)}:${p(s % 60)}`
}

/** size shows bytes as KB/MB/GB. */
export function size(n: number): string {
  if (n < 1 << 20) return `${(n / 1024).toFixed(0)} KB`
  if (n < 1 << 30) return `${(n / (1 << 20)).toFixed(1)} MB`
  return `${(n / (1 << 30)).toFixed(2)} GB`
}

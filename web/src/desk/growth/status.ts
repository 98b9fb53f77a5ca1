/** statusTag is the Element Plus tag type of a growth file's status. */
export function statusTag(status?: string): 'warning' | 'danger' | 'success' | 'info' {
  switch (status) {
    case 'pending':
      return 'warning'
    case 'returned':
      return 'danger'
    case 'approved':
      return 'success'
    default:
      return 'info'
  }
}

// The organisations the signed-in user may manage (their subtree; all for admins), in tree
// order, with each one's depth for indentation. Loaded once per page that needs it.
import { ref } from 'vue'
import { org, must } from '@/api/client'
import { useAuth } from '@/shared/auth'
import type { components } from '@/api/generated/org'

export type Org = components['schemas']['api.org.v1.Org']

export function useOrgs() {
  const orgs = ref<Org[]>([])
  const error = ref<unknown>(null)
  const auth = useAuth()
  const load = async () => {
    // The temporary branches the user serves as staff (临时党支部) sit outside their home subtree:
    // listed after it, for the pages that act on what is recorded there (meetings).
    const temps: Org[] = (auth.account?.tempBranches ?? []).filter((b) => b.staff).map((b) => ({
      id: b.orgId, name: b.name, path: b.path, type: 'BRANCH', temporary: true, startsOn: b.startsOn, endsOn: b.endsOn,
      depth: Math.max(0, (b.path ?? '').split('/').filter(Boolean).length - 1),
    }))
    try {
      const listed = auth.roles.some((r) => r !== 'MEMBER')
        ? (await must(org.GET('/v1/orgs', { params: { query: { pageSize: 1000 } } }))).orgs ?? []
        : []
      orgs.value = [...listed, ...temps.filter((t) => !listed.some((o) => o.id === t.id))]
    } catch (e) {
      orgs.value = temps
      error.value = e
    }
  }
  /** label is an org's name indented by its depth below the first listed org. */
  const label = (o: Org) => {
    const top = Math.min(...orgs.value.map((x) => x.depth ?? 0))
    return '　'.repeat(Math.max(0, (o.depth ?? 0) - top)) + (o.name ?? '')
  }
  return { orgs, error, load, label }
}

// The organisations the signed-in user may manage (their subtree; all for admins), in tree
// order, with each one's depth for indentation. Loaded once per page that needs it.
import { ref } from 'vue'
import { org, must } from '@/api/client'
import type { components } from '@/api/generated/org'

export type Org = components['schemas']['api.org.v1.Org']

export function useOrgs() {
  const orgs = ref<Org[]>([])
  const error = ref<unknown>(null)
  const load = async () => {
    try {
      orgs.value = (await must(org.GET('/v1/orgs', { params: { query: { pageSize: 1000 } } }))).orgs ?? []
    } catch (e) {
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

// useSearch is the state of a search page, member's or desk's: the query, the kind and order
// chosen (kept in the address, so back returns to the same results), the pages of hits, the
// total and the kinds' counts.
import { computed, onMounted, ref } from 'vue'
import { useRoute, useRouter } from 'vue-router'
import { search, must } from '@/api/client'
import type { components as S } from '@/api/generated/search'
import { errorText } from '@/shared/i18n'

export type Hit = S['schemas']['api.search.v1.SearchHit']
type Facet = S['schemas']['api.search.v1.Facet']

export function useSearch(pageSize: number) {
  const route = useRoute()
  const router = useRouter()
  const text = ref(String(route.query.q ?? ''))
  const kind = ref(String(route.query.kind ?? ''))
  const sort = ref(route.query.sort === 'date' ? 'date' : '')
  const hits = ref<Hit[] | null>(null)
  const facets = ref<Facet[]>([])
  const total = ref(0)
  const page = ref(1)
  const loading = ref(false)
  const error = ref('')

  const kinds = computed(() => facets.value.find((f) => f.name === 'kind')?.values ?? [])
  // all counts every kind (the facets count the whole result, not this page).
  const all = computed(() => kinds.value.reduce((n, v) => n + (v.count ?? 0), 0))

  // run asks for the first page, or the next one (more); the kinds' counts are kept from the
  // unfiltered query, so the other kinds stay offered.
  async function run(more = false) {
    const q = text.value.trim()
    if (!q) {
      hits.value = null
      error.value = ''
      return
    }
    loading.value = true
    error.value = ''
    try {
      const next = more ? page.value + 1 : 1
      const r = await must(search.GET('/v1/search', {
        params: { query: { q, kinds: kind.value ? [kind.value] : undefined, sort: sort.value || undefined, page: next, pageSize } },
      }))
      hits.value = more ? [...(hits.value ?? []), ...(r.hits ?? [])] : (r.hits ?? [])
      if (!kind.value) facets.value = r.facets ?? []
      total.value = r.total ?? 0
      page.value = next
    } catch (e) {
      error.value = errorText(e)
      hits.value = null
    } finally {
      loading.value = false
    }
  }

  // submit records the query in the address and runs it.
  async function submit() {
    await router.replace({ query: { q: text.value.trim() || undefined, kind: kind.value || undefined, sort: sort.value || undefined } })
    await run()
  }

  // A page opened with a query in its address (back, a shared link) shows its results.
  onMounted(() => {
    if (text.value.trim()) void run()
  })

  return { text, kind, sort, hits, total, loading, error, kinds, all, run, submit }
}

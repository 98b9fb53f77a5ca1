package authn

// CacheLen reports how many verified tokens v remembers.
func CacheLen(v *Verifier) int {
	v.mu.RLock()
	defer v.mu.RUnlock()
	return len(v.cache)
}

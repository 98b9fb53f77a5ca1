package spool

import "context"

// CrashAfterCommit makes s behave like a process that dies right after each commit: its entries
// are in the database, but nothing delivers them until a Deliver.
func CrashAfterCommit(s *Spool) { s.onCommit = func([]string) {} }

// ClaimOnly claims due entries like a delivery that then dies before appending them, and returns
// how many it claimed.
func ClaimOnly(ctx context.Context, s *Spool) (int, error) {
	_, n, err := s.claim(ctx, nil)
	return n, err
}

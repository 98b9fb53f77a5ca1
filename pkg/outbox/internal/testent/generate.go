// Package testent is the ent client pkg/outbox's tests use: the shared outbox tables plus an
// effects table that records every time a subscriber applied an event (so duplicates show).
package testent

//go:generate go tool ent generate --feature sql/upsert,sql/lock,sql/execquery,intercept ./schema

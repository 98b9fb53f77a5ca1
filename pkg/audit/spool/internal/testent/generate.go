// Package testent is the ent client pkg/audit/spool's tests use: the shared spool table plus a
// table that tests write in the same transaction as their entries (the "staff action").
package testent

//go:generate go tool ent generate --feature sql/upsert,sql/lock,sql/execquery,intercept ./schema

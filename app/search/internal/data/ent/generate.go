package ent

//go:generate go tool ent generate --feature sql/upsert,sql/lock,sql/execquery,intercept ./schema

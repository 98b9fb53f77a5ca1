package biz

// Text limits of the org service, in characters (runes), never bytes: 64 allows 64 Chinese
// characters. Each limit a request can reach is declared with the same number as a
// buf.validate max_len rule in api/org/v1/org.proto (protovalidate counts characters too); the
// ent schema sizes its columns and validators from these constants (pkg/entx), the biz checks
// of paths that bypass the API rules (imports) use them, and the standalone text-limit walk
// sends limit-long Chinese text through every endpoint to keep the three in step.
const (
	MaxUsername    = 64 // also what a failed sign-in is recorded under
	MaxPhone       = 20
	MaxDisplayName = 64
	MaxOrgName     = 100
	MaxOrgCode     = 64
	MaxEthnicity   = 32
	MaxEducation   = 32
	MaxDate        = 10 // YYYY-MM-DD
	MaxNationalID  = 18
	MaxAuditAction = 64
	MaxStepCode    = 40 // a development step's code
	MaxRuleKey     = 64 // a development rule's key

	// Stored only, never entered.
	MaxPath            = 512 // materialised org path, e.g. /1/4/9/
	MaxHash            = 64  // hex SHA-256 (national-ID hash, refresh token hash and family)
	MaxAuditTargetType = 32
	MaxAuditSummary    = 512

	// Entries other services append (api/org/v1/audit.proto).
	MaxServiceName = 32    // auth.ValidServiceName
	MaxAuditKey    = 128   // idempotency key "<service>:<op>:<id>"
	MaxAuditJSON   = 16000 // before/after JSON
)

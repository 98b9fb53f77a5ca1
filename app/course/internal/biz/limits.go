package biz

// Text limits of the course service, in characters (runes), never bytes: 100 allows 100 Chinese
// characters. Each limit a request can reach is declared with the same number as a
// buf.validate max_len rule in api/course/v1/course.proto (protovalidate counts characters
// too); the ent schema sizes its columns and validators from these constants (pkg/entx), and
// the standalone text-limit walk sends limit-long Chinese text through every endpoint to keep
// them in step.
const (
	MaxTopicName   = 32
	MaxTitle       = 100 // course, chapter, lesson, study plan and plan item titles
	MaxSummary     = 2000
	MaxCoverURL    = 512
	MaxTag         = 20
	MaxFileName    = 255
	MaxContentType = 100
	MaxDate        = 10     // YYYY-MM-DD
	MaxBody        = 200000 // article lessons and news post bodies (HTML)
	MaxTimestamp   = 40     // RFC 3339 times entered as text

	// Stored only, never entered.
	MaxPath      = 512 // materialised org path, e.g. /1/4/9/
	MaxObjectKey = 512 // media object keys and the store's multipart upload ids
	MaxReason    = 256 // why an upload was rejected or a media file could not be read
	MaxOrgName   = 100 // an org's name as copied onto a news post
	MaxExcerpt   = 120 // a news post's plain-text excerpt
)

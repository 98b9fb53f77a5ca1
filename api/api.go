// Package api links every service's API protos into a binary: importing it for its side effect
// registers their descriptors, which the gateway's route table reads (pkg/gateway).
package api

import (
	_ "github.com/vanguard/vanguard/api/course/v1"
	_ "github.com/vanguard/vanguard/api/growth/v1"
	_ "github.com/vanguard/vanguard/api/org/v1"
	_ "github.com/vanguard/vanguard/api/quiz/v1"
	_ "github.com/vanguard/vanguard/api/search/v1"
	_ "github.com/vanguard/vanguard/api/studyhour/v1"
)

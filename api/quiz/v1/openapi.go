package v1

import _ "embed"

// OpenAPI is the OpenAPI 3 document of the quiz API, generated from quiz.proto by `make api`.
//
//go:embed openapi.yaml
var OpenAPI []byte

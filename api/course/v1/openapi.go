package v1

import _ "embed"

// OpenAPI is the OpenAPI 3 document of the course API, generated from course.proto by `make api`.
//
//go:embed openapi.yaml
var OpenAPI []byte

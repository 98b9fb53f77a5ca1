package v1

import _ "embed"

// OpenAPI is the OpenAPI 3 document of the org API, generated from org.proto by `make api`.
//
//go:embed openapi.yaml
var OpenAPI []byte

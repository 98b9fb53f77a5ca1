package v1

import _ "embed"

// OpenAPI is the OpenAPI 3 document of the search API, generated from search.proto by `make api`.
//
//go:embed openapi.yaml
var OpenAPI []byte

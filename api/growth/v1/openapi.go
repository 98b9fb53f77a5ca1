package v1

import _ "embed"

// OpenAPI is the OpenAPI 3 document of the growth API, generated from growth.proto by `make api`.
//
//go:embed openapi.yaml
var OpenAPI []byte

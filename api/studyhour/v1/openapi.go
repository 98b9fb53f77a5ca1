package v1

import _ "embed"

// OpenAPI is the OpenAPI 3 document of the studyhour API, generated from studyhour.proto by `make api`.
//
//go:embed openapi.yaml
var OpenAPI []byte

# Vanguard (先锋) — see README.md. `make help` lists the targets.
SHELL := /bin/bash
GO    ?= go
BIN   := $(CURDIR)/bin
TOOLS := $(BIN)/tools
PROTO_SERVICES := org course quiz studyhour growth search
PROTO_FILES    := $(foreach s,$(PROTO_SERVICES),$(wildcard api/$(s)/v1/*.proto)) api/events/v1/events.proto
ENT_DIRS       := $(wildcard app/*/internal/data/ent) pkg/outbox/internal/testent pkg/audit/spool/internal/testent

.PHONY: manifests help run build web web-test web-bench test test-go api api-check generate generate-check lint fuzz bench bench-distributed chaos deps clean

help: ## list targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

run: build ## build and start standalone on http://127.0.0.1:8000 (prints the admin password on first start)
	$(BIN)/vanguard

build: web ## build the web app, bin/vanguard (standalone, with the web app) and the distributed service binaries (bin/org, bin/course, bin/quiz, bin/studyhour, bin/growth, bin/search) and bin/gateway (the distributed mode's public entry, with the web app)
	$(GO) build -tags webui -o $(BIN)/vanguard ./app/standalone
	$(GO) build -o $(BIN)/org ./app/org/cmd/org
	$(GO) build -o $(BIN)/course ./app/course/cmd/course
	$(GO) build -o $(BIN)/quiz ./app/quiz/cmd/quiz
	$(GO) build -o $(BIN)/studyhour ./app/studyhour/cmd/studyhour
	$(GO) build -o $(BIN)/growth ./app/growth/cmd/growth
	$(GO) build -o $(BIN)/search ./app/search/cmd/search
	$(GO) build -tags webui -o $(BIN)/gateway ./app/gateway/cmd/gateway

# The web app (web/, Node ≥ 20.19): npm ci from the committed lockfile when it changed, then a
# production build into pkg/webui/dist, which `go build -tags webui` embeds. Without the tag
# (go test, go vet, a plain go build) the binary embeds a placeholder page instead.
WEB_DEPS := web/node_modules/.vanguard-stamp
$(WEB_DEPS): web/package.json web/package-lock.json
	cd web && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

web: $(WEB_DEPS) ## build the web app into pkg/webui/dist
	cd web && npm run build

web-test: build ## the web app: type check and build, unit tests (Vitest), the Go tests of the built app's serving, and the browser journeys (playwright-core + chromium) against bin/vanguard; screenshots in web/screenshots/
	cd web && npm test
	VANGUARD_TEST_REQUIRE_SERVICES=1 $(GO) test -tags webui -count=1 ./pkg/webui ./app/standalone/standalone -run 'WebApp|ServesTheApp|PlaceholderOrBuild'
	cd web && node --test --test-concurrency=1 e2e/

manifests: ## regenerate deploy/kubernetes/base from its service table (the manifests test checks it)
	$(GO) run ./deploy/kubernetes/gen

deps: ## check for (and start or install) PostgreSQL, Redis, protoc and the MinIO test server
	./deploy/scripts/test-deps.sh
	./deploy/scripts/minio.sh

test: deps api-check generate-check lint web-test test-go fuzz ## everything CI runs: generated code checks, lint, tests with -race, short fuzzing

test-go:
	VANGUARD_TEST_REQUIRE_SERVICES=1 $(GO) test -race -count=1 -timeout 20m ./...

fuzz: ## run each fuzz target for a fixed number of inputs (FUZZN=1; FUZZN=10 runs ten times more)
	$(call fuzz,FuzzParse,./pkg/sheet/xlsx,20000)
	$(call fuzz,FuzzImportMembers,./app/org/internal/biz,1500)
	$(call fuzz,FuzzReaders,./pkg/media,50000)
	$(call fuzz,FuzzQuestionRows,./app/quiz/internal/biz,20000)
	$(call fuzz,FuzzNormaliseBlank,./app/quiz/internal/biz,50000)
	$(call fuzz,FuzzMeiliFilter,./app/search/internal/data,20000)

# fuzz runs one target for a count of inputs rather than a duration: a count has no deadline, so
# a loaded machine makes it slower, never flaky (Go reports "context deadline exceeded" when a
# duration ends while a worker is busy).
FUZZN ?= 1
fuzz = $(GO) test -run '^$$' -fuzz '^$(1)$$' -fuzztime $$(( $(3) * $(FUZZN) ))x -fuzzminimizetime 2s $(2)

$(TOOLS)/protoc-gen-go $(TOOLS)/protoc-gen-go-grpc $(TOOLS)/protoc-gen-openapi $(TOOLS)/protoc-gen-go-http $(TOOLS)/protoc-gen-go-errors: go.mod go.sum $(wildcard cmd/*/*.go)
	@mkdir -p $(TOOLS)
	$(GO) build -o $(TOOLS)/protoc-gen-go google.golang.org/protobuf/cmd/protoc-gen-go
	$(GO) build -o $(TOOLS)/protoc-gen-go-grpc google.golang.org/grpc/cmd/protoc-gen-go-grpc
	$(GO) build -o $(TOOLS)/protoc-gen-openapi github.com/google/gnostic/cmd/protoc-gen-openapi
	$(GO) build -o $(TOOLS)/protoc-gen-go-http ./cmd/protoc-gen-go-http
	$(GO) build -o $(TOOLS)/protoc-gen-go-errors ./cmd/protoc-gen-go-errors

api: $(WEB_DEPS) $(TOOLS)/protoc-gen-go $(TOOLS)/protoc-gen-go-grpc $(TOOLS)/protoc-gen-openapi $(TOOLS)/protoc-gen-go-http $(TOOLS)/protoc-gen-go-errors ## regenerate Go, gRPC, Kratos HTTP/errors code and OpenAPI from api/**/*.proto
	@echo "protoc api/events/v1"; PATH=$(TOOLS):$$PATH protoc -I third_party -I . --go_out=paths=source_relative:. api/events/v1/*.proto
	@for s in $(PROTO_SERVICES); do \
	  echo "protoc api/$$s/v1"; \
	  PATH=$(TOOLS):$$PATH protoc -I third_party -I . \
	    --go_out=paths=source_relative:. --go-grpc_out=paths=source_relative:. \
	    --go-http_out=paths=source_relative:. --go-errors_out=paths=source_relative:. \
	    --openapi_out=fq_schema_naming=true,default_response=false,enum_type=string:api/$$s/v1 \
	    api/$$s/v1/*.proto || exit 1; \
	done
	@cd web && node scripts/gen-api.mjs

api-check: api ## fail if the committed generated code differs from a fresh `make api`
	@if [ -n "$$(git status --porcelain -- api/ web/src/api/generated/)" ]; then \
	  git status --short -- api/ web/src/api/generated/; echo "generated API code is stale: run 'make api' and commit"; exit 1; fi

generate-check: generate ## fail if the committed ent code differs from a fresh `make generate`
	@if [ -n "$$(git status --porcelain -- $(ENT_DIRS))" ]; then \
	  git status --short -- $(ENT_DIRS); echo "generated ent code is stale: run 'make generate' and commit"; exit 1; fi

generate: ## regenerate ent code for every service
	@for d in $(ENT_DIRS); do echo "ent generate $$d"; (cd $$d && $(GO) generate ./...) || exit 1; done

lint: ## go vet and gofmt
	$(GO) vet ./...
	@out=$$(gofmt -l $$(git ls-files '*.go' | grep -v -e '\.pb\.go$$' -e '/ent/')); \
	  if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

bench: deps ## benchmarks as a table, raw output in bin/bench.out (not part of make test)
	@mkdir -p $(BIN)
	@set -o pipefail; VANGUARD_TEST_REQUIRE_SERVICES=1 $(GO) test -run '^$$' -bench . -benchmem -count 1 -timeout 30m \
	  ./pkg/authn ./pkg/blob/minioblob ./app/org/internal/data ./app/org/internal/biz ./app/course/internal/data ./app/quiz/bench ./app/studyhour/internal/data ./app/standalone/standalone ./app/standalone/backup ./app/search/internal/data ./pkg/outbox 2>&1 | tee $(BIN)/bench.out | $(GO) run ./deploy/benchtable -progress
	@$(MAKE) --no-print-directory web-bench

# The distributed harness (deploy/harness): a private cluster on loopback — PostgreSQL started with
# initdb on its own port, its own Redis and MinIO, every service binary its own process (API and
# worker roles apart) behind bin/gateway — never the machine's shared servers. Flags go in
# HARNESS_FLAGS (e.g. HARNESS_FLAGS='-members 2000 -keep -v'). Neither is part of `make test`.
bench-distributed: ## the distributed mode under load: exam-end storm (5,000 submits in 60 s), heartbeats, search while indexing, nightly growth compile, each beside its baseline measured in the same run, with CPU per process group
	$(GO) run ./deploy/harness bench $(HARNESS_FLAGS)

chaos: ## fault injection on the distributed mode (≤ 15 min): quiz worker kill -9 every 5 s, Redis and PostgreSQL restarts mid-storm, search stop/start; fails unless lost = 0 and duplicates = 0
	$(GO) run ./deploy/harness chaos $(HARNESS_FLAGS)

web-bench: build ## the web app's figures: first-page bytes, time to interactive with 4× CPU throttling, exam page memory
	node web/bench/web-bench.mjs

clean: ## remove build output
	rm -rf $(BIN)

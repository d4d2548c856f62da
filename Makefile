# The few commands people type. Each works on a fresh Debian/Ubuntu machine: scripts/postgres
# installs and starts PostgreSQL with pgvector under ./var/pg.
GO ?= go
PG_URL = $$(scripts/postgres url)

.PHONY: demo test eval bench lint build db stop-db browser speech

## demo: set up PostgreSQL+pgvector, ingest the demo agency sites, and answer questions
demo: build db
	DATABASE_URL=$(PG_URL) ./lots demo

## test: run every test against a real PostgreSQL+pgvector and headless Chromium (installed if needed)
test: db browser speech
	LOTS_TEST_DATABASE_URL=$(PG_URL) $(GO) test -race -count=1 ./...

## eval: ingest the demo corpus into its own database and compare quality with the baseline
eval: build
	@LOTS_PG_DB=lots_eval scripts/postgres >/dev/null
	DATABASE_URL=$$(LOTS_PG_DB=lots_eval scripts/postgres url) ./lots demo --once >/dev/null
	DATABASE_URL=$$(LOTS_PG_DB=lots_eval scripts/postgres url) ./lots eval --baseline evals/baseline.json --md var/eval/report.md

## bench: ingestion and search benchmarks (Go benchmarks and lots bench)
bench: build db speech
	LOTS_TEST_DATABASE_URL=$(PG_URL) $(GO) test -run='^$$' -bench=. -benchtime=3x $$($(GO) list ./... | grep -v /speech)
	LOTS_TEST_DATABASE_URL=$(PG_URL) $(GO) test -run='^$$' -bench=. -benchtime=1x ./speech/...
	DATABASE_URL=$(PG_URL) ./lots bench

## lint: formatting, vet and staticcheck
lint:
	@test -z "$$(gofmt -l .)" || { gofmt -l .; echo "gofmt: the files above need formatting"; exit 1; }
	$(GO) vet ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...

build:
	$(GO) build -o lots ./cmd/lots

db:
	@scripts/postgres >/dev/null

browser:
	@scripts/browser

speech:
	@scripts/speech

stop-db:
	scripts/postgres stop

package retrieval_test

import (
	"testing"

	"github.com/nyisverige/lots/ingest/ingesttest"
	"github.com/nyisverige/lots/retrieval/knownbug"
	"github.com/nyisverige/lots/retrieval/store"
)

// demoStore is a fresh database holding the crawled demo corpus.
func demoStore(t *testing.T) *store.Store {
	t.Helper()
	return ingesttest.DemoStore(t)
}

// report marks a case with a known bug (knownbug.Report, shared with the assistant and evals tests).
var report = knownbug.Report

package ingest_test

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/nyisverige/lots/ingest"
)

func TestParseSources(t *testing.T) {
	good := `sources:
  - name: skatteverket
    agency: Skatteverket
    start_urls: ["https://www.skatteverket.se/privat/folkbokforing"]
    allowed_prefixes: ["https://www.skatteverket.se/privat/"]
    languages: [sv, en]
    recrawl_interval: 48h
`
	srcs, err := ingest.ParseSources([]byte(good))
	if err != nil {
		t.Fatal(err)
	}
	if len(srcs) != 1 || srcs[0].Status != "proposed" || srcs[0].RecrawlInterval != 48*time.Hour || srcs[0].CrawlDelay != time.Second {
		t.Fatalf("parsed %+v; want one proposed source with defaults", srcs)
	}

	tests := []struct {
		name, yaml, want string
	}{
		{"no sources", "sources: []\n", "no sources"},
		{"not yaml", "sources: [\n", "sources:"},
		{"missing agency", "sources:\n  - name: a\n    start_urls: [\"https://a.se/\"]\n    allowed_prefixes: [\"https://a.se/\"]\n", "line 2: source a: agency is required"},
		{"start outside prefix", "sources:\n  - name: a\n    agency: A\n    start_urls: [\"https://b.se/\"]\n    allowed_prefixes: [\"https://a.se/\"]\n", "outside the allowed prefixes"},
		{"ftp", "sources:\n  - name: a\n    agency: A\n    start_urls: [\"ftp://a.se/\"]\n    allowed_prefixes: [\"ftp://a.se/\"]\n", "http or https"},
		{"language", "sources:\n  - name: a\n    agency: A\n    start_urls: [\"https://a.se/\"]\n    allowed_prefixes: [\"https://a.se/\"]\n    languages: [de]\n", `language "de" is not supported`},
		{"status", "sources:\n  - name: a\n    agency: A\n    start_urls: [\"https://a.se/\"]\n    allowed_prefixes: [\"https://a.se/\"]\n    status: approved\n", "status must be"},
		{"duplicate", "sources:\n  - name: a\n    agency: A\n    start_urls: [\"https://a.se/\"]\n    allowed_prefixes: [\"https://a.se/\"]\n  - name: a\n    agency: A\n    start_urls: [\"https://a.se/\"]\n    allowed_prefixes: [\"https://a.se/\"]\n", "line 6: name \"a\" is used twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ingest.ParseSources([]byte(tt.yaml))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestRepositorySourcesFileParses(t *testing.T) {
	// The registry shipped in the repository must always load.
	data, err := os.ReadFile("../sources.yaml")
	if err != nil {
		t.Fatal(err)
	}
	srcs, err := ingest.ParseSources(data)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range srcs {
		if s.Local {
			t.Errorf("%s: the production registry must not allow local addresses", s.Name)
		}
	}
}

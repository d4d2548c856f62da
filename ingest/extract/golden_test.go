package extract

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

// TestHTMLGolden extracts each testdata page and compares the Document, as
// JSON, with its golden file.
func TestHTMLGolden(t *testing.T) {
	tests := []struct {
		page string
		url  string
	}{
		{"agency.html", "https://skatteverket.example/private/personalidentitynumber.html?lang=en"},
		{"arabic.html", "https://skatteverket.example/ar/personnummer.html"},
		{"nomain.html", "https://www.skatteverket.example/privat/folkbokforing/flytt.html"},
		{"windows1252.html", "http://www.forsakringskassan.example/foraldrapenning"},
		{"mislabelled.html", "https://skatteverket.example/so/lambarka.html"},
	}
	for _, tt := range tests {
		t.Run(tt.page, func(t *testing.T) {
			body, err := os.ReadFile(filepath.Join("testdata", tt.page))
			if err != nil {
				t.Fatal(err)
			}
			doc, err := HTML(body, tt.url)
			if err != nil {
				t.Fatalf("HTML: %v", err)
			}
			checkSections(t, doc.Sections)
			got := marshal(t, doc)
			golden := filepath.Join("testdata", strings.TrimSuffix(tt.page, ".html")+".golden")
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("Document differs from %s (go test -update rewrites it):\n%s", golden, lineDiff(string(want), string(got)))
			}
		})
	}
}

// checkSections asserts what must hold for every extraction: no empty
// sections and no paragraph twice.
func checkSections(t *testing.T, sections []Section) {
	t.Helper()
	seen := make(map[string]bool)
	for i, s := range sections {
		if strings.TrimSpace(s.Text) == "" {
			t.Errorf("section %d %q is empty", i, s.Headings)
		}
		for _, p := range strings.Split(s.Text, "\n") {
			if p != "" && seen[p] {
				t.Errorf("section %d %q repeats %q", i, s.Headings, p)
			}
			seen[p] = true
		}
	}
}

// marshal renders doc as indented JSON, without HTML escaping, so golden files read easily.
func marshal(t *testing.T, doc *Document) []byte {
	t.Helper()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// lineDiff lists the lines of want and got that differ, by position.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	for i := 0; i < max(len(w), len(g)); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			b.WriteString("-" + wl + "\n+" + gl + "\n")
		}
	}
	return b.String()
}

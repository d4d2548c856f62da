package demosite_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/nyisverige/lots/ingest/demosite"
)

var languages = []string{"sv", "en", "ar", "fa", "so", "ti", "uk"}

func TestEveryTopicInEveryLanguage(t *testing.T) {
	site, err := demosite.New()
	if err != nil {
		t.Fatal(err)
	}
	byTopic := map[string]map[string]bool{}
	for _, p := range site.Pages() {
		if byTopic[p.Slug] == nil {
			byTopic[p.Slug] = map[string]bool{}
		}
		byTopic[p.Slug][p.Language] = true
		if words := len(strings.Fields(p.Body)); words < 200 {
			t.Errorf("%s has %d words; a topic page needs enough text for several passages", p.Path(), words)
		}
	}
	if len(byTopic) != 16 {
		t.Errorf("%d topics, want 16", len(byTopic))
	}
	for slug, langs := range byTopic {
		want := languages
		if slug == "moving-within-sweden" {
			want = []string{"sv", "en"} // on purpose: the fallback to another language
		}
		for _, l := range want {
			if !langs[l] {
				t.Errorf("topic %s has no %s page", slug, l)
			}
		}
		if len(langs) != len(want) {
			t.Errorf("topic %s is in %d languages, want %d", slug, len(langs), len(want))
		}
	}
}

func TestServesPagesWithLanguageAndDirection(t *testing.T) {
	site, err := demosite.New()
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(site)
	defer srv.Close()
	tests := []struct {
		path   string
		status int
		want   []string
	}{
		{"/skatteverket/ar/personal-identity-number", 200, []string{`lang="ar" dir="rtl"`, `hreflang="ti"`, `rel="canonical"`, `id="cookie-consent"`}},
		{"/skatteverket/fa/personal-identity-number", 200, []string{`lang="fa" dir="rtl"`}},
		{"/skatteverket/so/personal-identity-number", 200, []string{`lang="so" dir="ltr"`}},
		{"/skatteverket/ar/moving-within-sweden", 404, nil},
		{"/robots.txt", 200, []string{"Disallow: /*/intern/", "Sitemap: " + srv.URL + "/sitemap.xml"}},
		{"/sitemap.xml", 200, []string{"<sitemapindex", srv.URL + "/1177/sitemap.xml"}},
		{"/1177/sitemap.xml", 200, []string{srv.URL + "/1177/ti/healthcare"}},
		{"/nowhere/sv/x", 404, nil},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			resp, err := http.Get(srv.URL + tt.path)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, tt.status)
			}
			for _, w := range tt.want {
				if !strings.Contains(string(body), w) {
					t.Errorf("response lacks %q", w)
				}
			}
		})
	}
	// Conditional requests get 304, as from a real agency site.
	resp, err := http.Get(srv.URL + "/1177/sv/healthcare")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	req, _ := http.NewRequest("GET", srv.URL+"/1177/sv/healthcare", nil)
	req.Header.Set("If-None-Match", resp.Header.Get("ETag"))
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotModified {
		t.Errorf("conditional GET: %d, want 304", resp.StatusCode)
	}
}

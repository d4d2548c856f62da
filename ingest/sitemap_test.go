package ingest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"
)

func urlset(locs ...string) string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n" +
		`<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">`)
	for _, loc := range locs {
		fmt.Fprintf(&b, "<url><loc>%s</loc></url>\n", loc)
	}
	b.WriteString("</urlset>")
	return b.String()
}

func sitemapIndex(locs ...string) string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n" +
		`<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">`)
	for _, loc := range locs {
		fmt.Fprintf(&b, "<sitemap><loc>%s</loc><lastmod>2026-01-01</lastmod></sitemap>\n", loc)
	}
	b.WriteString("</sitemapindex>")
	return b.String()
}

func TestParseSitemap(t *testing.T) {
	withLastMod := `<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:image="http://www.google.com/schemas/sitemap-image/1.1">
  <url><loc> https://e.se/a </loc><lastmod>2026-03-04</lastmod><changefreq>daily</changefreq></url>
  <url><loc>https://e.se/b</loc><lastmod>2026-03-04T10:20:30+01:00</lastmod><image:image><image:loc>https://e.se/i.png</image:loc></image:image></url>
  <url><loc>https://e.se/c</loc><lastmod>2026-03-04T10:20:30.123Z</lastmod></url>
  <url><loc>https://e.se/d</loc><lastmod>2026-03-04T10:20+02:00</lastmod></url>
  <url><loc>https://e.se/e</loc><lastmod>yesterday</lastmod></url>
  <url><loc></loc></url>
  <url><loc>https://e.se/f?a=1&amp;b=2</loc></url>
</urlset>`
	tests := []struct {
		name         string
		body         []byte
		wantURLs     []SitemapURL
		wantChildren []string
		wantErr      bool
	}{
		{
			name: "urlset with lastmod",
			body: []byte(withLastMod),
			wantURLs: []SitemapURL{
				{"https://e.se/a", time.Date(2026, 3, 4, 0, 0, 0, 0, time.UTC)},
				{"https://e.se/b", time.Date(2026, 3, 4, 9, 20, 30, 0, time.UTC)},
				{"https://e.se/c", time.Date(2026, 3, 4, 10, 20, 30, 123e6, time.UTC)},
				{"https://e.se/d", time.Date(2026, 3, 4, 8, 20, 0, 0, time.UTC)},
				{"https://e.se/e", time.Time{}},
				{"https://e.se/f?a=1&b=2", time.Time{}},
			},
		},
		{
			name:         "index",
			body:         []byte(sitemapIndex("https://e.se/s1.xml", "https://e.se/s2.xml.gz")),
			wantChildren: []string{"https://e.se/s1.xml", "https://e.se/s2.xml.gz"},
		},
		{
			name:     "gzipped urlset",
			body:     gzipBytes(t, []byte(urlset("https://e.se/z"))),
			wantURLs: []SitemapURL{{Loc: "https://e.se/z"}},
		},
		{
			name:     "no namespace",
			body:     []byte("<urlset><url><loc>https://e.se/n</loc></url></urlset>"),
			wantURLs: []SitemapURL{{Loc: "https://e.se/n"}},
		},
		{name: "empty urlset", body: []byte(urlset())},
		{name: "empty body", body: nil, wantErr: true},
		{name: "html", body: []byte("<!doctype html><html><body>404</body></html>"), wantErr: true},
		{name: "truncated XML", body: []byte(urlset("https://e.se/a")[:120]), wantErr: true},
		{name: "corrupt gzip", body: []byte{0x1f, 0x8b, 0x08, 0x00, 0x01}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			urls, children, err := ParseSitemap(tt.body)
			if (err != nil) != tt.wantErr {
				t.Fatalf("ParseSitemap error = %v, want error %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			if !slices.EqualFunc(urls, tt.wantURLs, func(a, b SitemapURL) bool {
				return a.Loc == b.Loc && a.LastMod.Equal(b.LastMod)
			}) {
				t.Errorf("urls = %v, want %v", urls, tt.wantURLs)
			}
			if !slices.Equal(children, tt.wantChildren) {
				t.Errorf("children = %q, want %q", children, tt.wantChildren)
			}
		})
	}
}

// TestGunzipLimit covers the gzip bomb defence of ParseSitemap at a size the race detector can afford.
func TestGunzipLimit(t *testing.T) {
	const limit = 1 << 20
	// gzip readers concatenate members, so repeating one compressed 64 KiB member makes a cheap bomb
	member := gzipBytes(t, make([]byte, 64<<10))
	tests := []struct {
		name    string
		members int
		wantErr error
	}{
		{"at limit", limit / (64 << 10), nil},
		{"bomb", 50 * limit / (64 << 10), ErrTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := gunzip(bytes.Repeat(member, tt.members), limit)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("gunzip error = %v, want %v", err, tt.wantErr)
			}
			if err == nil && len(out) != limit {
				t.Errorf("gunzip returned %d bytes, want %d", len(out), limit)
			}
		})
	}
}

func TestFetcherSitemap(t *testing.T) {
	mux := http.NewServeMux()
	var base string // the server's URL, known once it starts
	serve := func(path string, body func() []byte) {
		mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) { w.Write(body()) })
	}
	text := func(s func() string) func() []byte { return func() []byte { return []byte(s()) } }
	serve("/index.xml", text(func() string {
		return sitemapIndex(base+"/pages.xml", base+"/news.xml.gz", base+"/nested.xml", base+"/index.xml",
			"https://elsewhere.example/sitemap.xml")
	}))
	serve("/pages.xml", text(func() string {
		return urlset(base+"/docs/a", base+"/docs/b", base+"/blog/x", "https://elsewhere.example/docs/a")
	}))
	serve("/news.xml.gz", func() []byte { return gzipBytes(t, []byte(urlset(base+"/docs/b", base+"/docs/c"))) })
	serve("/nested.xml", text(func() string { return sitemapIndex(base + "/deep.xml") }))
	serve("/deep.xml", text(func() string { return urlset(base + "/docs/d") }))
	serve("/broken-index.xml", text(func() string { return sitemapIndex(base+"/pages.xml", base+"/missing.xml") }))
	serve("/level0.xml", text(func() string { return sitemapIndex(base + "/level1.xml") }))
	serve("/level1.xml", text(func() string { return sitemapIndex(base + "/level2.xml") }))
	serve("/level2.xml", text(func() string { return sitemapIndex(base+"/leaf3.xml", base+"/level3.xml") }))
	serve("/level3.xml", text(func() string { return sitemapIndex(base + "/leaf4.xml") }))
	serve("/leaf3.xml", text(func() string { return urlset(base + "/docs/3") }))
	serve("/leaf4.xml", text(func() string { return urlset(base + "/docs/4") }))
	serve("/big-index.xml", text(func() string { return sitemapIndex(base+"/big/1.xml", base+"/big/2.xml") }))
	mux.HandleFunc("/big/{n}", func(w http.ResponseWriter, r *http.Request) {
		locs := make([]string, 30_000)
		for i := range locs {
			locs[i] = fmt.Sprintf("%s/docs/%s/%d", base, r.PathValue("n"), i)
		}
		w.Write([]byte(urlset(locs...)))
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	base = srv.URL

	docs := []string{base + "/docs/"}
	tests := []struct {
		name     string
		root     string
		prefixes []string
		want     []string // sorted locs
		count    int      // when set, only the number of URLs is checked
		wantErr  bool
	}{
		{
			name: "index with gzip and nested children",
			root: base + "/index.xml", prefixes: docs,
			want: []string{base + "/docs/a", base + "/docs/b", base + "/docs/c", base + "/docs/d"},
		},
		{
			name: "no prefixes keeps all",
			root: base + "/pages.xml",
			want: []string{base + "/blog/x", base + "/docs/a", base + "/docs/b", "https://elsewhere.example/docs/a"},
		},
		{
			name: "depth limit",
			root: base + "/level0.xml", prefixes: docs,
			want: []string{base + "/docs/3"},
		},
		{
			name: "failed child keeps the rest",
			root: base + "/broken-index.xml", prefixes: docs,
			want:    []string{base + "/docs/a", base + "/docs/b"},
			wantErr: true,
		},
		{name: "missing root", root: base + "/nothing.xml", wantErr: true},
		{name: "50,000 URLs at most", root: base + "/big-index.xml", count: maxSitemapURLs},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := NewFetcher(FetchOptions{AllowPrivate: true})
			got, err := f.Sitemap(context.Background(), tt.root, tt.prefixes)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Sitemap error = %v, want error %v", err, tt.wantErr)
			}
			if tt.count > 0 {
				if len(got) != tt.count {
					t.Errorf("Sitemap returned %d URLs, want %d", len(got), tt.count)
				}
				return
			}
			locs := make([]string, len(got))
			for i, u := range got {
				locs[i] = u.Loc
			}
			slices.Sort(locs)
			if !slices.Equal(locs, tt.want) {
				t.Errorf("Sitemap locs = %q, want %q", locs, tt.want)
			}
		})
	}
}

func FuzzParseSitemap(f *testing.F) {
	f.Add([]byte(urlset("https://e.se/a", "https://e.se/b")))
	f.Add([]byte(sitemapIndex("https://e.se/s.xml")))
	f.Add([]byte(`<urlset><url><loc>x</loc><lastmod>2026-01-02T03:04:05.6+07:00</lastmod></url></urlset>`))
	f.Add([]byte(`<?xml version="1.0" encoding="ISO-8859-1"?><urlset/>`))
	f.Add([]byte("<sitemapindex><sitemap><loc><![CDATA[https://e.se/&]]></loc></sitemap>"))
	f.Add([]byte{0x1f, 0x8b, 0x08, 0x00})
	f.Fuzz(func(t *testing.T, body []byte) {
		urls, children, err := ParseSitemap(body)
		if err != nil && (urls != nil || children != nil) {
			t.Errorf("ParseSitemap returned entries with error %v", err)
		}
		if len(urls)+len(children) > maxSitemapURLs {
			t.Errorf("ParseSitemap returned %d entries", len(urls)+len(children))
		}
	})
}

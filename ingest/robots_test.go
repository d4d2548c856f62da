package ingest

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestRobotsAllowed(t *testing.T) {
	tests := []struct {
		name   string
		robots string
		path   string
		want   bool
	}{
		{"empty file", "", "/anything", true},
		{"garbage", "\x00\xff<html><body>Not found</body></html>", "/anything", true},
		{"disallow all", "User-agent: *\nDisallow: /", "/page", false},
		{"robots.txt always allowed", "User-agent: *\nDisallow: /", "/robots.txt", true},
		{"empty path is root", "User-agent: *\nDisallow: /", "", false},
		{"empty disallow allows", "User-agent: *\nDisallow:", "/page", true},
		{"other agent ignored", "User-agent: Googlebot\nDisallow: /", "/page", true},
		{"own group beats star", "User-agent: *\nDisallow: /\n\nUser-agent: LotsBot\nDisallow: /private", "/public", true},
		{"own group rules apply", "User-agent: *\nDisallow: /\n\nUser-agent: LotsBot\nDisallow: /private", "/private/x", false},
		{"own empty group allows all", "User-agent: *\nDisallow: /\n\nUser-agent: LotsBot\nDisallow:", "/page", true},
		{"agent case and version", "User-agent: lotsbot/2.0\nDisallow: /x", "/x", false},
		{"agent prefix of other bot", "User-agent: LotsBotExtra\nDisallow: /x", "/x", true},
		{"several agents in a group", "User-agent: Other\nUser-agent: LotsBot\nDisallow: /x", "/x", false},
		{"groups for us merged", "User-agent: LotsBot\nDisallow: /a\n\nUser-agent: Other\nDisallow: /b\n\nUser-agent: LotsBot\nDisallow: /c", "/c", false},
		{"other group between not applied", "User-agent: LotsBot\nDisallow: /a\n\nUser-agent: Other\nDisallow: /b\n\nUser-agent: LotsBot\nDisallow: /c", "/b", true},
		{"rules before any agent ignored", "Disallow: /\nUser-agent: *\nAllow: /x", "/page", true},
		{"longest match allow", "User-agent: *\nDisallow: /folder\nAllow: /folder/page", "/folder/page", true},
		{"longest match disallow", "User-agent: *\nAllow: /folder/page\nDisallow: /folder", "/folder/other", false},
		{"longer disallow wins", "User-agent: *\nAllow: /p\nDisallow: /page", "/page.html", false},
		{"tie goes to allow", "User-agent: *\nDisallow: /folder\nAllow: /folder", "/folder/page", true},
		{"wildcard longer than plain", "User-agent: *\nAllow: /page\nDisallow: /*.htm", "/page.htm", false},
		{"allow root only", "User-agent: *\nAllow: /$\nDisallow: /", "/", true},
		{"allow root only, page", "User-agent: *\nAllow: /$\nDisallow: /", "/page", false},
		{"end anchor matches", "User-agent: *\nDisallow: /*.pdf$", "/docs/a.pdf", false},
		{"end anchor with query", "User-agent: *\nDisallow: /*.pdf$", "/docs/a.pdf?x=1", true},
		{"end anchor suffix", "User-agent: *\nDisallow: /*.pdf$", "/docs/a.pdfx", true},
		{"dollar mid pattern is literal", "User-agent: *\nDisallow: /a$b", "/a$bc", false},
		{"query wildcard", "User-agent: *\nDisallow: /*?", "/search?q=1", false},
		{"query wildcard no query", "User-agent: *\nDisallow: /*?", "/search", true},
		{"trailing star", "User-agent: *\nDisallow: /fish*", "/fishheads/x", false},
		{"case-sensitive paths", "User-agent: *\nDisallow: /fish", "/Fish", true},
		{"many stars", "User-agent: *\nDisallow: /***a***b***c$", "/xxaxxbxxc", false},
		{"many stars mismatch", "User-agent: *\nDisallow: /***a***b***c$", "/xxaxxcxxb", true},
		{"pattern longer than path", "User-agent: *\nDisallow: /*abcdefgh", "/abc", true},
		{"non-ASCII pattern, escaped path", "User-agent: *\nDisallow: /för", "/f%c3%b6r/x", false},
		{"escaped pattern, non-ASCII path", "User-agent: *\nDisallow: /f%C3%B6r", "/för", false},
		{"comment", "User-agent: * # everyone\nDisallow: /x # not x", "/x", false},
		{"CRLF", "User-agent: *\r\nDisallow: /x\r\n", "/x", false},
		{"CR only", "User-agent: *\rDisallow: /x\r", "/x", false},
		{"BOM and odd case", "\ufeffUSER-AGENT: *\nDISALLOW: /x", "/x", false},
		{"typo disalow", "User-agent: *\nDisalow: /x", "/x", false},
		{"line without colon skipped", "User-agent: *\nDisallow /x\nDisallow: /y", "/x", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ParseRobots([]byte(tt.robots)).Allowed(tt.path); got != tt.want {
				t.Errorf("Allowed(%q) = %v, want %v\n%s", tt.path, got, tt.want, tt.robots)
			}
		})
	}
}

func TestRobotsCrawlDelay(t *testing.T) {
	tests := []struct {
		name   string
		robots string
		want   time.Duration
	}{
		{"none", "User-agent: *\nDisallow: /x", 0},
		{"star", "User-agent: *\nCrawl-delay: 2", 2 * time.Second},
		{"fraction", "User-agent: LotsBot\nCrawl-delay: 0.5", 500 * time.Millisecond},
		{"own beats star", "User-agent: *\nCrawl-delay: 10\n\nUser-agent: LotsBot\nCrawl-delay: 1", time.Second},
		{"own group without delay", "User-agent: *\nCrawl-delay: 10\n\nUser-agent: LotsBot\nDisallow: /x", 0},
		{"other agent ignored", "User-agent: Googlebot\nCrawl-delay: 10", 0},
		{"first wins", "User-agent: *\nCrawl-delay: 3\nCrawl-delay: 4", 3 * time.Second},
		{"garbage", "User-agent: *\nCrawl-delay: soon", 0},
		{"negative", "User-agent: *\nCrawl-delay: -5", 0},
		{"NaN", "User-agent: *\nCrawl-delay: NaN", 0},
		{"huge clamped", "User-agent: *\nCrawl-delay: 1e300", 24 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ParseRobots([]byte(tt.robots)).CrawlDelay(); got != tt.want {
				t.Errorf("CrawlDelay() = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestRobotsSitemaps(t *testing.T) {
	robots := "Sitemap: https://example.com/a.xml\nUser-agent: Googlebot\nSITEMAP: https://example.com/b.xml.gz\n" +
		"Disallow: /\nSitemap: https://example.com/a.xml\nSitemap:\n"
	want := []string{"https://example.com/a.xml", "https://example.com/b.xml.gz"}
	if got := ParseRobots([]byte(robots)).Sitemaps(); !slices.Equal(got, want) {
		t.Errorf("Sitemaps() = %q, want %q", got, want)
	}
}

func TestFetcherRobots(t *testing.T) {
	long := "User-agent: *\nDisallow: /early\n" + strings.Repeat("# padding\n", 60_000) + "Disallow: /late\n"
	tests := []struct {
		name    string
		status  int
		body    string
		gzip    bool
		path    string
		want    bool
		wantErr bool
	}{
		{name: "200 rules", status: 200, body: "User-agent: LotsBot\nDisallow: /private", path: "/private/x", want: false},
		{name: "200 rules other path", status: 200, body: "User-agent: LotsBot\nDisallow: /private", path: "/public", want: true},
		{name: "gzip encoded", status: 200, body: "User-agent: *\nDisallow: /x", gzip: true, path: "/x", want: false},
		{name: "404 allows all", status: 404, body: "User-agent: *\nDisallow: /", path: "/x", want: true},
		{name: "410 allows all", status: 410, path: "/x", want: true},
		{name: "403 allows all", status: 403, path: "/x", want: true},
		{name: "429 disallows all", status: 429, path: "/x", want: false},
		{name: "500 disallows all", status: 500, path: "/x", want: false},
		{name: "503 disallows all", status: 503, path: "/x", want: false},
		{name: "over 512 KiB truncated", status: 200, body: long, path: "/early", want: false},
		{name: "rules past 512 KiB ignored", status: 200, body: long, path: "/late", want: true},
		{name: "redirect loop allows all", status: 302, path: "/x", want: true},
		{name: "network error disallows all", status: -1, path: "/x", want: false, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path != "/robots.txt" {
					http.Error(w, "unexpected path "+r.URL.Path, http.StatusBadRequest)
					return
				}
				switch {
				case tt.status == http.StatusFound:
					http.Redirect(w, r, "/robots.txt", http.StatusFound)
				case tt.gzip:
					w.Header().Set("Content-Encoding", "gzip")
					w.Write(gzipBytes(t, []byte(tt.body)))
				default:
					w.WriteHeader(tt.status)
					w.Write([]byte(tt.body))
				}
			}))
			t.Cleanup(srv.Close)
			site := srv.URL + "/some/page?q=1"
			if tt.status < 0 {
				srv.Close()
			}
			f := NewFetcher(FetchOptions{AllowPrivate: true, MaxBytes: 64 << 10})
			r, err := f.Robots(context.Background(), site)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Robots error = %v, want error %v", err, tt.wantErr)
			}
			if got := r.Allowed(tt.path); got != tt.want {
				t.Errorf("Allowed(%q) = %v, want %v", tt.path, got, tt.want)
			}
		})
	}
}

func FuzzParseRobots(f *testing.F) {
	f.Add([]byte("User-agent: *\nDisallow: /\n"), "/page")
	f.Add([]byte("User-agent: LotsBot\nAllow: /$\nDisallow: /*.pdf$\nCrawl-delay: 1.5\nSitemap: https://e.com/s.xml"), "/a.pdf")
	f.Add([]byte("user-agent:lotsbot\ndisallow:/**a*$*\nallow:/%c3%a4\n"), "/%C3%A4/a")
	f.Add([]byte("\ufeffUser-agent: *\r\nDisallow: /fish*\r\n# comment\n"), "/fish?x=1")
	f.Add([]byte("\x00\xff:\n:\n::::"), "")
	f.Fuzz(func(t *testing.T, body []byte, path string) {
		r := ParseRobots(body)
		r.Allowed(path)
		if !r.Allowed("/robots.txt") {
			t.Error("robots.txt disallowed")
		}
		if d := r.CrawlDelay(); d < 0 || d > maxCrawlDelay {
			t.Errorf("CrawlDelay() = %v", d)
		}
		r.Sitemaps()
	})
}

package ingest

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"
)

const testLastModified = "Mon, 02 Jan 2026 15:04:05 GMT"

// newTestSite starts a loopback server with one handler per behaviour the fetcher must cope with.
func newTestSite(t *testing.T, maxBytes int) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("/in/page", func(w http.ResponseWriter, r *http.Request) {
		if ua := r.Header.Get("User-Agent"); !strings.HasPrefix(ua, "LotsBot/") {
			http.Error(w, "unexpected user agent "+ua, http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "Text/HTML; Charset=UTF-8")
		w.Header().Set("ETag", `"v1"`)
		w.Header().Set("Last-Modified", testLastModified)
		fmt.Fprint(w, "hello")
	})
	mux.HandleFunc("/in/plain", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("<!doctype html><p>no content type"))
	})
	mux.HandleFunc("/in/gzip", func(w http.ResponseWriter, r *http.Request) {
		if !strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
			http.Error(w, "gzip not accepted", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Encoding", "gzip")
		w.Header().Set("Content-Type", "application/pdf")
		w.Write(gzipBytes(t, []byte("%PDF-1.7 compressed")))
	})
	mux.HandleFunc("/in/gone", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "gone", http.StatusGone)
	})
	mux.HandleFunc("/in/redirect/{n}", func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.PathValue("n"))
		if n <= 0 {
			http.Redirect(w, r, "/in/page", http.StatusFound)
			return
		}
		http.Redirect(w, r, fmt.Sprintf("/in/redirect/%d", n-1), http.StatusMovedPermanently)
	})
	mux.HandleFunc("/in/leave", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/out/page", http.StatusFound)
	})
	mux.HandleFunc("/in/ftp", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "ftp://example.com/file", http.StatusFound)
	})
	mux.HandleFunc("/out/page", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "outside")
	})
	mux.HandleFunc("/in/conditional", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("If-None-Match") == `"abc"` || r.Header.Get("If-Modified-Since") == testLastModified {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", `"abc"`)
		w.Header().Set("Last-Modified", testLastModified)
		fmt.Fprint(w, "fresh")
	})
	mux.HandleFunc("/in/big", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", strconv.Itoa(maxBytes+1))
		w.Write(bytes.Repeat([]byte("a"), maxBytes+1))
	})
	mux.HandleFunc("/in/big-chunked", func(w http.ResponseWriter, r *http.Request) {
		for range maxBytes/1024 + 2 {
			w.Write(bytes.Repeat([]byte("a"), 1024))
			w.(http.Flusher).Flush()
		}
	})
	mux.HandleFunc("/in/bomb", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Encoding", "gzip")
		w.Write(gzipBytes(t, make([]byte, 20*maxBytes)))
	})
	mux.HandleFunc("/in/hang", func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done()
	})
	mux.HandleFunc("/in/hang-body", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "partial")
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func gzipBytes(t *testing.T, data []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestFetch(t *testing.T) {
	const maxBytes = 64 << 10
	srv := newTestSite(t, maxBytes)
	in := []string{srv.URL + "/in/"}
	tests := []struct {
		name    string
		timeout time.Duration
		req     Request
		wantErr error
		want    *Response // compared field by field; nil when an error is expected
	}{
		{
			name: "ok",
			req:  Request{URL: srv.URL + "/in/page", AllowedPrefixes: in},
			want: &Response{URL: srv.URL + "/in/page", Status: 200, ContentType: "text/html", Body: []byte("hello"),
				ETag: `"v1"`, LastModified: testLastModified},
		},
		{
			name: "no prefixes means no restriction",
			req:  Request{URL: srv.URL + "/out/page"},
			want: &Response{URL: srv.URL + "/out/page", Status: 200, ContentType: "text/plain", Body: []byte("outside")},
		},
		{
			name: "content type sniffed when missing",
			req:  Request{URL: srv.URL + "/in/plain", AllowedPrefixes: in},
			want: &Response{URL: srv.URL + "/in/plain", Status: 200, ContentType: "text/html",
				Body: []byte("<!doctype html><p>no content type")},
		},
		{
			name: "gzip content encoding decoded",
			req:  Request{URL: srv.URL + "/in/gzip", AllowedPrefixes: in},
			want: &Response{URL: srv.URL + "/in/gzip", Status: 200, ContentType: "application/pdf",
				Body: []byte("%PDF-1.7 compressed")},
		},
		{
			name: "410 is a response, not an error",
			req:  Request{URL: srv.URL + "/in/gone", AllowedPrefixes: in},
			want: &Response{URL: srv.URL + "/in/gone", Status: 410},
		},
		{
			name: "five redirects followed",
			req:  Request{URL: srv.URL + "/in/redirect/4", AllowedPrefixes: in},
			want: &Response{URL: srv.URL + "/in/page", Status: 200, ContentType: "text/html", Body: []byte("hello"),
				ETag: `"v1"`, LastModified: testLastModified},
		},
		{
			name:    "six redirects refused",
			req:     Request{URL: srv.URL + "/in/redirect/5", AllowedPrefixes: in},
			wantErr: ErrTooManyRedirects,
		},
		{
			name:    "redirect out of prefix",
			req:     Request{URL: srv.URL + "/in/leave", AllowedPrefixes: in},
			wantErr: ErrOutOfScope,
		},
		{
			name:    "start out of prefix",
			req:     Request{URL: srv.URL + "/out/page", AllowedPrefixes: in},
			wantErr: ErrOutOfScope,
		},
		{
			name:    "redirect to ftp",
			req:     Request{URL: srv.URL + "/in/ftp", AllowedPrefixes: in},
			wantErr: ErrUnsupportedScheme,
		},
		{
			name:    "ftp scheme",
			req:     Request{URL: "ftp://example.com/file"},
			wantErr: ErrUnsupportedScheme,
		},
		{
			name:    "file scheme",
			req:     Request{URL: "file:///etc/passwd"},
			wantErr: ErrUnsupportedScheme,
		},
		{
			name:    "javascript scheme",
			req:     Request{URL: "javascript:alert(1)"},
			wantErr: ErrUnsupportedScheme,
		},
		{
			name: "first fetch of conditional resource",
			req:  Request{URL: srv.URL + "/in/conditional", AllowedPrefixes: in},
			want: &Response{URL: srv.URL + "/in/conditional", Status: 200, ContentType: "text/plain",
				Body: []byte("fresh"), ETag: `"abc"`, LastModified: testLastModified},
		},
		{
			name: "304 with ETag",
			req:  Request{URL: srv.URL + "/in/conditional", ETag: `"abc"`, AllowedPrefixes: in},
			want: &Response{URL: srv.URL + "/in/conditional", Status: 304, NotModified: true, ETag: `"abc"`},
		},
		{
			name: "304 with Last-Modified",
			req:  Request{URL: srv.URL + "/in/conditional", LastModified: testLastModified, AllowedPrefixes: in},
			want: &Response{URL: srv.URL + "/in/conditional", Status: 304, NotModified: true,
				LastModified: testLastModified},
		},
		{
			name:    "oversize body with content length",
			req:     Request{URL: srv.URL + "/in/big", AllowedPrefixes: in},
			wantErr: ErrTooLarge,
		},
		{
			name:    "oversize chunked body",
			req:     Request{URL: srv.URL + "/in/big-chunked", AllowedPrefixes: in},
			wantErr: ErrTooLarge,
		},
		{
			name:    "gzip bomb",
			req:     Request{URL: srv.URL + "/in/bomb", AllowedPrefixes: in},
			wantErr: ErrTooLarge,
		},
		{
			name:    "server hangs before headers",
			timeout: 100 * time.Millisecond,
			req:     Request{URL: srv.URL + "/in/hang", AllowedPrefixes: in},
			wantErr: context.DeadlineExceeded,
		},
		{
			name:    "server hangs in body",
			timeout: 100 * time.Millisecond,
			req:     Request{URL: srv.URL + "/in/hang-body", AllowedPrefixes: in},
			wantErr: context.DeadlineExceeded,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := NewFetcher(FetchOptions{AllowPrivate: true, MaxBytes: maxBytes, Timeout: tt.timeout})
			got, err := f.Fetch(context.Background(), tt.req)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("Fetch error = %v, want %v", err, tt.wantErr)
				}
				if !strings.Contains(err.Error(), tt.req.URL) {
					t.Errorf("error %q does not name the URL", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Fetch: %v", err)
			}
			checkResponse(t, got, tt.want)
		})
	}
}

func checkResponse(t *testing.T, got, want *Response) {
	t.Helper()
	if got.URL != want.URL || got.Status != want.Status || got.NotModified != want.NotModified ||
		got.ContentType != want.ContentType || !bytes.Equal(got.Body, want.Body) ||
		got.ETag != want.ETag || got.LastModified != want.LastModified {
		t.Errorf("Fetch =\n %+v\nwant\n %+v", *got, *want)
	}
}

func TestFetchRefusesPrivateByDefault(t *testing.T) {
	srv := newTestSite(t, 1024)
	_, port, err := net.SplitHostPort(srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	f := NewFetcher(FetchOptions{})
	for _, u := range []string{
		srv.URL + "/in/page",                         // 127.0.0.1
		"http://localhost:" + port + "/in/page",      // checked after resolution
		"http://[::1]:" + port + "/in/page",          // IPv6 loopback
		"http://0.0.0.0:" + port + "/in/page",        // reaches the local host on Linux
		"http://[::ffff:127.0.0.1]:" + port + "/in/", // IPv4-mapped loopback
	} {
		t.Run(u, func(t *testing.T) {
			_, err := f.Fetch(context.Background(), Request{URL: u})
			if !errors.Is(err, ErrBlockedAddress) {
				t.Fatalf("Fetch error = %v, want ErrBlockedAddress", err)
			}
		})
	}
}

func TestInScope(t *testing.T) {
	prefixes := []string{"https://example.com/docs/", "http://Example.org"}
	tests := []struct {
		url  string
		want bool
	}{
		{"https://example.com/docs/", true},
		{"https://example.com/docs/a?b=c", true},
		{"https://EXAMPLE.com:443/docs/a", true},
		{"https://example.com/doc", false},
		{"https://example.com/", false},
		{"http://example.com/docs/a", false},
		{"https://example.com.evil.org/docs/a", false},
		{"https://example.com:8443/docs/a", false},
		{"http://example.org", true},
		{"http://example.org/anything", true},
		{"http://example.org.evil/", false},
		{"http://user@example.org@evil.org/", false},
		{"::not a url", false},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			if got := InScope(tt.url, prefixes); got != tt.want {
				t.Errorf("InScope(%q) = %v, want %v", tt.url, got, tt.want)
			}
		})
	}
}

package ingest

import (
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Errors that callers act on; Fetch wraps them with the URL that failed.
var (
	// ErrUnsupportedScheme means the URL, or a redirect target, is not http or https.
	ErrUnsupportedScheme = errors.New("unsupported URL scheme")
	// ErrTooManyRedirects means a request was redirected more than five times.
	ErrTooManyRedirects = errors.New("too many redirects")
	// ErrOutOfScope means the URL, or a redirect target, is outside the request's allowed prefixes.
	ErrOutOfScope = errors.New("URL outside allowed prefixes")
	// ErrBlockedAddress means the host resolved to a loopback, private or otherwise non-public address.
	ErrBlockedAddress = errors.New("blocked non-public address")
	// ErrTooLarge means the body, compressed or decompressed, exceeded the size limit.
	ErrTooLarge = errors.New("response body too large")
)

const (
	defaultUserAgent = "LotsBot/1.0 (+https://github.com/nyisverige/lots)"
	defaultMaxBytes  = 10 << 20
	defaultTimeout   = 30 * time.Second
	maxRedirects     = 5
)

// FetchOptions configures a Fetcher.
type FetchOptions struct {
	UserAgent    string        // default "LotsBot/1.0 (+https://github.com/nyisverige/lots)"
	MaxBytes     int64         // default 10 MiB; also enforced after decompression (gzip bombs)
	Timeout      time.Duration // whole request incl. body, default 30s
	AllowPrivate bool          // allow loopback/private/link-local targets (sources marked local: true)
}

// Fetcher gets pages politely and safely: bounded in time and size, confined to allowed prefixes, and
// unable to reach non-public addresses unless told otherwise. It is safe for concurrent use.
type Fetcher struct {
	opts      FetchOptions
	transport *http.Transport
}

// NewFetcher returns a Fetcher with opts, filling in defaults for zero values.
func NewFetcher(opts FetchOptions) *Fetcher {
	if opts.UserAgent == "" {
		opts.UserAgent = defaultUserAgent
	}
	if opts.MaxBytes <= 0 {
		opts.MaxBytes = defaultMaxBytes
	}
	if opts.Timeout <= 0 {
		opts.Timeout = defaultTimeout
	}
	dialer := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	if !opts.AllowPrivate {
		dialer.Control = guardDial
	}
	return &Fetcher{
		opts: opts,
		transport: &http.Transport{
			Proxy:                  nil, // a proxy would dial for us, past the address guard
			DialContext:            dialer.DialContext,
			ForceAttemptHTTP2:      true,
			MaxIdleConns:           100,
			IdleConnTimeout:        90 * time.Second,
			TLSHandshakeTimeout:    10 * time.Second,
			MaxResponseHeaderBytes: 1 << 20,
			DisableCompression:     true, // we decompress ourselves, under the size limit
		},
	}
}

// Request is what to fetch: the URL, the validators from the previous fetch for a conditional GET, and
// the prefixes every URL (including each redirect) must stay inside; no prefixes means no restriction.
type Request struct {
	URL, ETag, LastModified string
	AllowedPrefixes         []string
}

// Response is the outcome of a fetch that reached the server. Body is read only for 2xx statuses.
type Response struct {
	URL                string // final URL after redirects
	Status             int
	NotModified        bool   // 304
	ContentType        string // media type only, lower-case, e.g. "text/html", "application/pdf"
	Body               []byte
	ETag, LastModified string
}

// Fetch gets req.URL. Statuses other than 2xx and 304 are returned as a Response without error, so the
// caller decides what a 404 or 503 means.
func (f *Fetcher) Fetch(ctx context.Context, req Request) (*Response, error) {
	return f.fetch(ctx, req, f.opts.MaxBytes, false)
}

// fetch is Fetch with a size limit; with truncate, a longer body is cut at limit instead of failing.
func (f *Fetcher) fetch(ctx context.Context, req Request, limit int64, truncate bool) (*Response, error) {
	resp, err := f.get(ctx, req, limit, truncate)
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", req.URL, err)
	}
	return resp, nil
}

func (f *Fetcher) get(ctx context.Context, req Request, limit int64, truncate bool) (*Response, error) {
	u, err := url.Parse(req.URL)
	if err != nil {
		return nil, err
	}
	if err := checkURL(u, req.AllowedPrefixes); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, f.opts.Timeout)
	defer cancel()

	hreq, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, err
	}
	hreq.Header.Set("User-Agent", f.opts.UserAgent)
	hreq.Header.Set("Accept-Encoding", "gzip")
	if req.ETag != "" {
		hreq.Header.Set("If-None-Match", req.ETag)
	}
	if req.LastModified != "" {
		hreq.Header.Set("If-Modified-Since", req.LastModified)
	}
	client := &http.Client{
		Transport: f.transport,
		CheckRedirect: func(next *http.Request, via []*http.Request) error {
			if len(via) > maxRedirects {
				return ErrTooManyRedirects
			}
			return checkURL(next.URL, req.AllowedPrefixes)
		},
	}
	hresp, err := client.Do(hreq)
	if err != nil {
		return nil, timeoutCause(ctx, err)
	}
	defer func() {
		io.CopyN(io.Discard, hresp.Body, 4<<10) // a short remainder read lets the connection be reused
		hresp.Body.Close()
	}()

	resp := &Response{
		URL:          hresp.Request.URL.String(),
		Status:       hresp.StatusCode,
		ETag:         hresp.Header.Get("ETag"),
		LastModified: hresp.Header.Get("Last-Modified"),
	}
	switch {
	case hresp.StatusCode == http.StatusNotModified:
		resp.NotModified = true
		if resp.ETag == "" {
			resp.ETag = req.ETag
		}
		if resp.LastModified == "" {
			resp.LastModified = req.LastModified
		}
		return resp, nil
	case hresp.StatusCode < 200 || hresp.StatusCode > 299:
		return resp, nil
	}
	resp.Body, err = readBody(hresp, limit, truncate)
	if err != nil {
		return nil, timeoutCause(ctx, err)
	}
	resp.ContentType = mediaType(hresp.Header.Get("Content-Type"), resp.Body)
	return resp, nil
}

// timeoutCause makes a failure caused by our deadline say so, whichever layer noticed it first.
func timeoutCause(ctx context.Context, err error) error {
	if ctx.Err() != nil && !errors.Is(err, ctx.Err()) {
		return fmt.Errorf("%w: %w", ctx.Err(), err)
	}
	return err
}

// checkURL enforces the scheme and scope rules on the first URL and on every redirect target.
func checkURL(u *url.URL, prefixes []string) error {
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("%q: %w", u.Scheme, ErrUnsupportedScheme)
	}
	if u.Host == "" {
		return errors.New("URL has no host")
	}
	if len(prefixes) > 0 && !InScope(u.String(), prefixes) {
		return ErrOutOfScope
	}
	return nil
}

// InScope reports whether rawURL lies inside one of prefixes: same scheme and host (default ports
// ignored), and a path that starts with the prefix's path. Unlike a plain string prefix test,
// "https://example.com" does not admit "https://example.com.evil.org/".
func InScope(rawURL string, prefixes []string) bool {
	u, err := url.Parse(rawURL)
	if err != nil {
		return false
	}
	for _, prefix := range prefixes {
		p, err := url.Parse(prefix)
		if err != nil || p.Host == "" {
			continue
		}
		if strings.EqualFold(u.Scheme, p.Scheme) && hostPort(u) == hostPort(p) &&
			strings.HasPrefix(pathOf(u), pathOf(p)) {
			return true
		}
	}
	return false
}

func hostPort(u *url.URL) string {
	host, port := strings.ToLower(u.Hostname()), u.Port()
	if port == "" || (port == "80" && strings.EqualFold(u.Scheme, "http")) ||
		(port == "443" && strings.EqualFold(u.Scheme, "https")) {
		return host
	}
	return net.JoinHostPort(host, port)
}

func pathOf(u *url.URL) string {
	if p := u.EscapedPath(); p != "" {
		return p
	}
	return "/"
}

// readBody reads at most limit bytes, before and after decompression.
func readBody(resp *http.Response, limit int64, truncate bool) ([]byte, error) {
	if resp.ContentLength > limit && !truncate {
		return nil, fmt.Errorf("content length %d over %d bytes: %w", resp.ContentLength, limit, ErrTooLarge)
	}
	var r io.Reader = &capReader{r: resp.Body, n: limit}
	switch enc := strings.ToLower(strings.TrimSpace(resp.Header.Get("Content-Encoding"))); enc {
	case "", "identity":
	case "gzip", "x-gzip":
		zr, err := gzip.NewReader(r)
		if err == io.EOF {
			return nil, nil // an empty body, labelled gzip
		}
		if err != nil {
			return nil, fmt.Errorf("gzip: %w", err)
		}
		defer zr.Close()
		r = &capReader{r: zr, n: limit}
	default:
		return nil, fmt.Errorf("unsupported content encoding %q", enc)
	}
	body, err := io.ReadAll(r)
	if err != nil {
		if truncate && errors.Is(err, ErrTooLarge) {
			return body[:min(int64(len(body)), limit)], nil
		}
		return nil, fmt.Errorf("read body: %w", err)
	}
	return body, nil
}

// capReader reads from r and fails with ErrTooLarge once more than n bytes have come through.
type capReader struct {
	r io.Reader
	n int64 // bytes still allowed
}

func (c *capReader) Read(p []byte) (int, error) {
	if c.n < 0 {
		return 0, ErrTooLarge
	}
	if int64(len(p))-1 > c.n {
		p = p[:c.n+1] // one byte past the limit is enough to know it was exceeded
	}
	n, err := c.r.Read(p)
	c.n -= int64(n)
	if c.n < 0 {
		return n, ErrTooLarge
	}
	return n, err
}

// mediaType returns the lower-case media type from a Content-Type header, sniffing the body when the
// header is missing.
func mediaType(header string, body []byte) string {
	if header == "" {
		header = http.DetectContentType(body)
	}
	if mt, _, err := mime.ParseMediaType(header); err == nil {
		return mt
	}
	mt, _, _ := strings.Cut(header, ";")
	return strings.ToLower(strings.TrimSpace(mt))
}

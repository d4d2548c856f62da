package alexa

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"
)

// The cases of Amazon's documentation, and the tricks they must also stop.
func TestCertChainURL(t *testing.T) {
	const want = "https://s3.amazonaws.com/echo.api/echo-api-cert.pem"
	tests := []struct {
		name, url string
		want      string // "" when refused
	}{
		{"valid", "https://s3.amazonaws.com/echo.api/echo-api-cert.pem", want},
		{"port 443", "https://s3.amazonaws.com:443/echo.api/echo-api-cert.pem", want},
		{"dot segments back into echo.api", "https://s3.amazonaws.com/echo.api/../echo.api/echo-api-cert.pem", want},
		{"dot segment", "https://s3.amazonaws.com/echo.api/./echo-api-cert.pem", want},
		{"upper-case host", "https://S3.AMAZONAWS.COM/echo.api/echo-api-cert.pem", want},
		{"upper-case scheme", "HTTPS://s3.amazonaws.com/echo.api/echo-api-cert.pem", want},
		{"double slash", "https://s3.amazonaws.com//echo.api/echo-api-cert.pem", want},
		{"http", "http://s3.amazonaws.com/echo.api/echo-api-cert.pem", ""},
		{"ftp", "ftp://s3.amazonaws.com/echo.api/echo-api-cert.pem", ""},
		{"wrong host", "https://notamazon.com/echo.api/echo-api-cert.pem", ""},
		{"host as prefix", "https://s3.amazonaws.com.evil.example/echo.api/echo-api-cert.pem", ""},
		{"subdomain", "https://evil.s3.amazonaws.com/echo.api/echo-api-cert.pem", ""},
		{"trailing dot", "https://s3.amazonaws.com./echo.api/echo-api-cert.pem", ""},
		{"host in user information", "https://s3.amazonaws.com@evil.example/echo.api/echo-api-cert.pem", ""},
		{"user information", "https://user@s3.amazonaws.com/echo.api/echo-api-cert.pem", ""},
		{"IP address", "https://52.216.0.1/echo.api/echo-api-cert.pem", ""},
		{"path case", "https://s3.amazonaws.com/EcHo.aPi/echo-api-cert.pem", ""},
		{"wrong path", "https://s3.amazonaws.com/invalid.path/echo-api-cert.pem", ""},
		{"dot segments out of echo.api", "https://s3.amazonaws.com/echo.api/../invalid.path/echo-api-cert.pem", ""},
		{"encoded dot segments", "https://s3.amazonaws.com/echo.api/%2e%2e/invalid.path/echo-api-cert.pem", ""},
		{"encoded slashes", "https://s3.amazonaws.com/echo.api%2f..%2finvalid.path/echo-api-cert.pem", ""},
		{"prefix without slash", "https://s3.amazonaws.com/echo.apix/echo-api-cert.pem", ""},
		{"the folder itself", "https://s3.amazonaws.com/echo.api/", ""},
		{"wrong port", "https://s3.amazonaws.com:563/echo.api/echo-api-cert.pem", ""},
		{"port 80", "https://s3.amazonaws.com:80/echo.api/echo-api-cert.pem", ""},
		{"relative", "/echo.api/echo-api-cert.pem", ""},
		{"opaque", "https:s3.amazonaws.com/echo.api/echo-api-cert.pem", ""},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := certChainURL(tt.url)
			if tt.want == "" {
				if err == nil {
					t.Fatalf("certChainURL(%q) = %q, want it refused", tt.url, got)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("certChainURL(%q) = %q, %v; want %q", tt.url, got, err, tt.want)
			}
		})
	}
}

func TestVerify(t *testing.T) {
	ca := newTestCA(t, "Test")
	other := newTestCA(t, "Other")
	body := fixture(t, "question_en.json")
	key := signingKey(t)
	valid := ca.validChain(t)
	leafWith := func(names []string, from, to time.Time) []byte {
		return ca.chain(ca.leaf(t, key, names, from, to))
	}
	tests := []struct {
		name      string
		chain     []byte // served at testChainURL; nil: none
		header    string // SignatureCertChainUrl; default testChainURL
		signature string // Signature-256; default a valid one
		now       time.Time
		ok        bool
	}{
		{name: "valid", chain: valid, ok: true},
		{name: "equivalent URL", chain: valid, header: "https://S3.amazonaws.com:443/echo.api/../echo.api/echo-api-cert-12.pem", ok: true},
		{name: "a year after the request", chain: valid, now: fixtureTime.AddDate(1, 0, 1)},
		{name: "forged signature", chain: valid, signature: sign(t, forgersKey(t), body)},
		{name: "signature of another body", chain: valid, signature: sign(t, key, bytes.Replace(body, []byte("identity"), []byte("identify"), 1))},
		{name: "SHA-1 signature", chain: valid, signature: signSHA1(t, key, body)},
		{name: "no signature", chain: valid, signature: "-"},
		{name: "signature not base64", chain: valid, signature: "not base64!"},
		{name: "URL breaks the rules", chain: valid, header: "http://s3.amazonaws.com/echo.api/echo-api-cert-12.pem"},
		{name: "no URL", chain: valid, header: "-"},
		{name: "no chain at the URL"},
		{name: "not PEM", chain: []byte("hello")},
		{name: "chain too large", chain: append(bytes.Repeat([]byte("# padding\n"), maxCertChain/10), valid...)},
		{name: "leaf alone", chain: pemCerts(ca.leaf(t, key, []string{"echo-api.amazon.com"}, fixtureTime.AddDate(0, -1, 0), fixtureTime.AddDate(1, 0, 0)))},
		{name: "untrusted root", chain: other.validChain(t)},
		{name: "other name", chain: leafWith([]string{"example.com"}, fixtureTime.AddDate(0, -1, 0), fixtureTime.AddDate(1, 0, 0))},
		{name: "wildcard name", chain: leafWith([]string{"*.amazon.com"}, fixtureTime.AddDate(0, -1, 0), fixtureTime.AddDate(1, 0, 0))},
		{name: "name among others", chain: leafWith([]string{"example.com", "ECHO-API.amazon.com"}, fixtureTime.AddDate(0, -1, 0), fixtureTime.AddDate(1, 0, 0)), ok: true},
		{name: "expired", chain: leafWith([]string{"echo-api.amazon.com"}, fixtureTime.AddDate(-1, 0, 0), fixtureTime.Add(-time.Second))},
		{name: "not yet valid", chain: leafWith([]string{"echo-api.amazon.com"}, fixtureTime.Add(time.Second), fixtureTime.AddDate(1, 0, 0))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newChainServer()
			if tt.chain != nil {
				srv.serve(testChainURL, tt.chain)
			}
			v := newVerifier(srv.client(), ca.roots)
			header := cmp.Or(tt.header, testChainURL)
			signature := cmp.Or(tt.signature, sign(t, key, body))
			header, signature = strings.TrimPrefix(header, "-"), strings.TrimPrefix(signature, "-")
			now := cmp.Or(tt.now, fixtureTime)
			err := v.verify(context.Background(), now, header, signature, body)
			switch {
			case tt.ok && err != nil:
				t.Fatalf("verify: %v", err)
			case !tt.ok && err == nil:
				t.Fatal("verify accepted the request")
			case !tt.ok && !errors.Is(err, errUnverified):
				t.Fatalf("verify: %v, not errUnverified", err)
			}
			t.Logf("%v", err)
		})
	}
}

// Redirects are not followed: the URL checked is the URL downloaded.
func TestVerifyRefusesRedirect(t *testing.T) {
	ca := newTestCA(t, "Test")
	srv := newChainServer()
	const elsewhere = "https://s3.amazonaws.com/elsewhere/cert.pem"
	srv.serve(elsewhere, ca.validChain(t))
	srv.redirects[testChainURL] = elsewhere
	v := newVerifier(srv.client(), ca.roots)
	body := fixture(t, "launch.json")
	if err := v.verify(context.Background(), fixtureTime, testChainURL, sign(t, signingKey(t), body), body); err == nil {
		t.Fatal("verify followed a redirect")
	}
	if n := srv.count(elsewhere); n != 0 {
		t.Fatalf("the redirect's target was fetched %d times", n)
	}
}

func TestVerifyCachesChains(t *testing.T) {
	ca := newTestCA(t, "Test")
	srv := newChainServer()
	srv.serve(testChainURL, ca.validChain(t))
	v := newVerifier(srv.client(), ca.roots)
	body := fixture(t, "launch.json")
	sig := sign(t, signingKey(t), body)
	verify := func(now time.Time, header string) {
		t.Helper()
		if err := v.verify(context.Background(), now, header, sig, body); err != nil {
			t.Fatal(err)
		}
	}
	verify(fixtureTime, testChainURL)
	verify(fixtureTime.Add(time.Minute), testChainURL)
	verify(fixtureTime.Add(2*time.Minute), strings.Replace(testChainURL, "/echo.api/", "/echo.api/../echo.api/", 1))
	if n := srv.count(testChainURL); n != 1 {
		t.Fatalf("chain downloaded %d times within the cache time, want 1", n)
	}
	verify(fixtureTime.Add(certCacheTime+time.Second), testChainURL)
	if n := srv.count(testChainURL); n != 2 {
		t.Fatalf("chain downloaded %d times after the cache time, want 2", n)
	}

	// Many URLs do not grow the cache without bound.
	for i := range 3 * maxCachedChains {
		u := fmt.Sprintf("https://s3.amazonaws.com/echo.api/cert-%d.pem", i)
		srv.serve(u, ca.validChain(t))
		verify(fixtureTime.Add(time.Duration(i)*time.Second), u)
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if len(v.chains) > maxCachedChains {
		t.Fatalf("%d chains cached, want at most %d", len(v.chains), maxCachedChains)
	}
}

// Whatever certChainURL accepts is on Amazon's host, under /echo.api/.
func FuzzCertChainURL(f *testing.F) {
	f.Add("https://s3.amazonaws.com/echo.api/echo-api-cert.pem")
	f.Add("https://s3.amazonaws.com:443/echo.api/../echo.api/x.pem")
	f.Add("https://s3.amazonaws.com/echo.api/%2e%2e/x")
	f.Add("https://user@s3.amazonaws.com/echo.api/x")
	f.Fuzz(func(t *testing.T, raw string) {
		got, err := certChainURL(raw)
		if err != nil {
			return
		}
		u, err := url.Parse(got)
		if err != nil {
			t.Fatalf("accepted %q as %q, which does not parse: %v", raw, got, err)
		}
		if u.Scheme != "https" || u.Host != certHost || u.User != nil || !strings.HasPrefix(u.Path, certPathPrefix) ||
			strings.Contains(u.Path, "/../") || strings.HasSuffix(u.Path, "/..") {
			t.Fatalf("accepted %q as %q", raw, got)
		}
	})
}

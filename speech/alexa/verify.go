package alexa

import (
	"context"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strings"
	"sync"
	"time"
)

// Amazon's documented rules for a request's signing certificate: where the chain may be
// downloaded from, and the name the signing certificate must carry.
const (
	certHost       = "s3.amazonaws.com"
	certPathPrefix = "/echo.api/"
	signingName    = "echo-api.amazon.com"
)

const (
	maxCertChain    = 64 << 10 // Amazon's chain is a few KiB
	certFetchTime   = 5 * time.Second
	certCacheTime   = time.Hour // a new chain comes with a new URL; re-reading hourly costs nothing
	maxCachedChains = 16
)

// errUnverified wraps every reason a request is refused as not verifiably from Alexa.
var errUnverified = errors.New("the request is not verifiably from Alexa")

// verifier checks that a request body was signed by Alexa: the signing certificate's URL, its
// chain of trust, its name, and the signature over the body.
type verifier struct {
	client *http.Client
	roots  *x509.CertPool // nil: the system's roots

	mu     sync.Mutex
	chains map[string]cachedChain // by normalised URL
}

type cachedChain struct {
	leaf          *x509.Certificate
	intermediates *x509.CertPool
	expires       time.Time
}

func newVerifier(client *http.Client, roots *x509.CertPool) *verifier {
	c := http.Client{Timeout: certFetchTime}
	if client != nil {
		c = *client
	}
	// The URL was checked, not wherever it might redirect to.
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &verifier{client: &c, roots: roots, chains: map[string]cachedChain{}}
}

// verify checks the signature of body given the request's SignatureCertChainUrl and
// Signature-256 headers. The legacy SHA-1 Signature header is not accepted: Amazon sends
// Signature-256 with every request.
func (v *verifier) verify(ctx context.Context, now time.Time, chainURL, signature string, body []byte) error {
	u, err := certChainURL(chainURL)
	if err != nil {
		return fmt.Errorf("%w: %w", errUnverified, err)
	}
	if signature == "" {
		return fmt.Errorf("%w: no Signature-256 header", errUnverified)
	}
	sig, err := base64.StdEncoding.DecodeString(signature)
	if err != nil {
		return fmt.Errorf("%w: Signature-256 is not base64: %w", errUnverified, err)
	}
	leaf, err := v.signingCert(ctx, u, now)
	if err != nil {
		return fmt.Errorf("%w: %w", errUnverified, err)
	}
	// RSA PKCS #1 v1.5 over the SHA-256 hash of the raw body.
	if err := leaf.CheckSignature(x509.SHA256WithRSA, body, sig); err != nil {
		return fmt.Errorf("%w: signature: %w", errUnverified, err)
	}
	return nil
}

// certChainURL checks a SignatureCertChainUrl against Amazon's rules — scheme https and host
// s3.amazonaws.com (both case-insensitive), port 443 if one is given, and a path that starts
// with /echo.api/ (case-sensitive) once dot segments are resolved — and returns the normalised
// URL, which is what is downloaded and cached.
func certChainURL(raw string) (string, error) {
	if raw == "" {
		return "", errors.New("no SignatureCertChainUrl header")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("certificate URL: %w", err)
	}
	switch {
	case u.Scheme != "https": // url.Parse lower-cases the scheme
		return "", fmt.Errorf("certificate URL %q: scheme is not https", raw)
	case u.User != nil:
		return "", fmt.Errorf("certificate URL %q: has user information", raw)
	case !strings.EqualFold(u.Hostname(), certHost):
		return "", fmt.Errorf("certificate URL %q: host is not %s", raw, certHost)
	case u.Port() != "" && u.Port() != "443":
		return "", fmt.Errorf("certificate URL %q: port is not 443", raw)
	}
	// u.Path is decoded, so %2e%2e and %2f are resolved here too.
	p := path.Clean("/" + u.Path)
	if !strings.HasPrefix(p, certPathPrefix) {
		return "", fmt.Errorf("certificate URL %q: path is not under %s", raw, certPathPrefix)
	}
	return (&url.URL{Scheme: "https", Host: certHost, Path: p}).String(), nil
}

// signingCert returns the verified signing certificate of the chain at u: it chains to a
// trusted root, every certificate of the chain is valid now, and it is issued to
// echo-api.amazon.com.
func (v *verifier) signingCert(ctx context.Context, u string, now time.Time) (*x509.Certificate, error) {
	chain, err := v.chain(ctx, u, now)
	if err != nil {
		return nil, err
	}
	leaf := chain.leaf
	if now.Before(leaf.NotBefore) || now.After(leaf.NotAfter) {
		return nil, fmt.Errorf("signing certificate is not valid at %s (valid %s to %s)",
			now.UTC().Format(time.RFC3339), leaf.NotBefore.UTC().Format(time.RFC3339), leaf.NotAfter.UTC().Format(time.RFC3339))
	}
	// Exactly the name: a wildcard such as *.amazon.com does not qualify.
	if !slices.ContainsFunc(leaf.DNSNames, func(n string) bool { return strings.EqualFold(n, signingName) }) {
		return nil, fmt.Errorf("signing certificate is not issued to %s (names %v)", signingName, leaf.DNSNames)
	}
	opts := x509.VerifyOptions{
		Roots:         v.roots,
		Intermediates: chain.intermediates,
		CurrentTime:   now,
		// Amazon documents no extended key usage for the signing certificate.
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny},
	}
	if _, err := leaf.Verify(opts); err != nil {
		return nil, fmt.Errorf("signing certificate chain: %w", err)
	}
	return leaf, nil
}

// chain returns the certificate chain at u, from the cache or downloaded.
func (v *verifier) chain(ctx context.Context, u string, now time.Time) (cachedChain, error) {
	v.mu.Lock()
	c, ok := v.chains[u]
	v.mu.Unlock()
	if ok && now.Before(c.expires) {
		return c, nil
	}
	c, err := v.download(ctx, u)
	if err != nil {
		return cachedChain{}, err
	}
	c.expires = now.Add(certCacheTime)
	v.mu.Lock()
	defer v.mu.Unlock()
	if len(v.chains) >= maxCachedChains {
		v.evict(now)
	}
	v.chains[u] = c
	return c, nil
}

// evict drops the expired chains, or else the one that expires first. v.mu is held.
func (v *verifier) evict(now time.Time) {
	first := ""
	for u, c := range v.chains {
		if !now.Before(c.expires) {
			delete(v.chains, u)
			continue
		}
		if first == "" || c.expires.Before(v.chains[first].expires) {
			first = u
		}
	}
	if len(v.chains) >= maxCachedChains {
		delete(v.chains, first)
	}
}

// download fetches and parses the PEM chain at u: the signing certificate first, then the
// certificates that chain it to a root.
func (v *verifier) download(ctx context.Context, u string) (cachedChain, error) {
	ctx, cancel := context.WithTimeout(ctx, certFetchTime)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return cachedChain{}, fmt.Errorf("download certificate chain %s: %w", u, err)
	}
	resp, err := v.client.Do(req)
	if err != nil {
		return cachedChain{}, fmt.Errorf("download certificate chain: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return cachedChain{}, fmt.Errorf("download certificate chain %s: %s", u, resp.Status)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxCertChain+1))
	if err != nil {
		return cachedChain{}, fmt.Errorf("download certificate chain %s: %w", u, err)
	}
	if len(data) > maxCertChain {
		return cachedChain{}, fmt.Errorf("certificate chain %s is larger than %d bytes", u, maxCertChain)
	}
	certs, err := parseChain(data)
	if err != nil {
		return cachedChain{}, fmt.Errorf("certificate chain %s: %w", u, err)
	}
	pool := x509.NewCertPool()
	for _, c := range certs[1:] {
		pool.AddCert(c)
	}
	return cachedChain{leaf: certs[0], intermediates: pool}, nil
}

// parseChain reads the CERTIFICATE blocks of a PEM file, in order.
func parseChain(data []byte) ([]*x509.Certificate, error) {
	var certs []*x509.Certificate
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, err
		}
		certs = append(certs, c)
	}
	if len(certs) == 0 {
		return nil, errors.New("no certificate in it")
	}
	return certs, nil
}

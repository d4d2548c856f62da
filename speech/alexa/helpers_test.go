package alexa

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"io"
	"math/big"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// What the fixtures under testdata say: their skill and when they were sent.
const (
	testAppID    = "amzn1.ask.skill.6b7d2a0e-3f4c-4c1a-9e8b-1d2f3a4b5c6d"
	testChainURL = "https://s3.amazonaws.com/echo.api/echo-api-cert-12.pem"
)

var fixtureTime = time.Date(2026, 11, 23, 10, 15, 30, 0, time.UTC)

// testCA is a root and an intermediate certificate authority made by the test, standing in
// for the public CA that issues Amazon's signing certificate.
type testCA struct {
	root, inter       *x509.Certificate
	rootKey, interKey *ecdsa.PrivateKey
	roots             *x509.CertPool
}

func newTestCA(t testing.TB, name string) *testCA {
	t.Helper()
	ca := &testCA{rootKey: ecKey(t), interKey: ecKey(t)}
	ca.root = issue(t, &x509.Certificate{
		Subject: pkix.Name{CommonName: name + " Root CA"}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage:  x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		NotBefore: fixtureTime.AddDate(-5, 0, 0), NotAfter: fixtureTime.AddDate(10, 0, 0),
	}, nil, &ca.rootKey.PublicKey, ca.rootKey)
	ca.inter = issue(t, &x509.Certificate{
		Subject: pkix.Name{CommonName: name + " Intermediate CA"}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage:  x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		NotBefore: fixtureTime.AddDate(-2, 0, 0), NotAfter: fixtureTime.AddDate(5, 0, 0),
	}, ca.root, &ca.interKey.PublicKey, ca.rootKey)
	ca.roots = x509.NewCertPool()
	ca.roots.AddCert(ca.root)
	return ca
}

// leaf issues a signing certificate for key with the given DNS names and validity.
func (ca *testCA) leaf(t testing.TB, key *rsa.PrivateKey, names []string, notBefore, notAfter time.Time) *x509.Certificate {
	t.Helper()
	return issue(t, &x509.Certificate{
		Subject: pkix.Name{CommonName: "echo-api.amazon.com"}, DNSNames: names,
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		NotBefore:   notBefore, NotAfter: notAfter,
	}, ca.inter, &key.PublicKey, ca.interKey)
}

// chain is the PEM file Amazon serves: the signing certificate, then the intermediate.
func (ca *testCA) chain(leaf *x509.Certificate) []byte {
	return pemCerts(leaf, ca.inter)
}

// validChain is a chain whose signing certificate is valid around fixtureTime for signingKey.
func (ca *testCA) validChain(t testing.TB) []byte {
	t.Helper()
	return ca.chain(ca.leaf(t, signingKey(t), []string{"echo-api.amazon.com"},
		fixtureTime.AddDate(0, -1, 0), fixtureTime.AddDate(1, 0, 0)))
}

func pemCerts(certs ...*x509.Certificate) []byte {
	var b bytes.Buffer
	for _, c := range certs {
		pem.Encode(&b, &pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
	}
	return b.Bytes()
}

func issue(t testing.TB, tmpl, parent *x509.Certificate, pub any, signer crypto.Signer) *x509.Certificate {
	t.Helper()
	serial, err := rand.Int(rand.Reader, big.NewInt(1<<62))
	if err != nil {
		t.Fatal(err)
	}
	tmpl.SerialNumber = serial
	if parent == nil {
		parent = tmpl
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, signer)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func ecKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// RSA keys are slow to make, so the tests share two: the signing certificate's, and a
// forger's.
var rsaKeys struct {
	once             sync.Once
	signing, forgers *rsa.PrivateKey
	err              error
}

func makeRSAKeys(t testing.TB) {
	t.Helper()
	rsaKeys.once.Do(func() {
		if rsaKeys.signing, rsaKeys.err = rsa.GenerateKey(rand.Reader, 2048); rsaKeys.err != nil {
			return
		}
		rsaKeys.forgers, rsaKeys.err = rsa.GenerateKey(rand.Reader, 2048)
	})
	if rsaKeys.err != nil {
		t.Fatal(rsaKeys.err)
	}
}

func signingKey(t testing.TB) *rsa.PrivateKey { makeRSAKeys(t); return rsaKeys.signing }
func forgersKey(t testing.TB) *rsa.PrivateKey { makeRSAKeys(t); return rsaKeys.forgers }

// sign is the Signature-256 header for body: RSA PKCS #1 v1.5 over its SHA-256 hash.
func sign(t testing.TB, key *rsa.PrivateKey, body []byte) string {
	t.Helper()
	h := sha256.Sum256(body)
	sig, err := rsa.SignPKCS1v15(nil, key, crypto.SHA256, h[:])
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(sig)
}

// signSHA1 is the legacy Signature header for body, over its SHA-1 hash.
func signSHA1(t testing.TB, key *rsa.PrivateKey, body []byte) string {
	t.Helper()
	h := sha1.Sum(body)
	sig, err := rsa.SignPKCS1v15(nil, key, crypto.SHA1, h[:])
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(sig)
}

// chainServer stands in for Amazon's S3 bucket: it serves files by URL, as the transport of
// the verifier's HTTP client, and counts the downloads.
type chainServer struct {
	mu        sync.Mutex
	files     map[string][]byte
	redirects map[string]string
	fetches   map[string]int
}

func newChainServer() *chainServer {
	return &chainServer{files: map[string][]byte{}, redirects: map[string]string{}, fetches: map[string]int{}}
}

func (c *chainServer) serve(url string, data []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.files[url] = data
}

func (c *chainServer) count(url string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.fetches[url]
}

func (c *chainServer) RoundTrip(r *http.Request) (*http.Response, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	u := r.URL.String()
	c.fetches[u]++
	resp := &http.Response{Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1, Header: http.Header{}, Request: r}
	switch data, ok := c.files[u]; {
	case ok:
		resp.StatusCode, resp.Status = 200, "200 OK"
		resp.Body = io.NopCloser(bytes.NewReader(data))
	case c.redirects[u] != "":
		resp.StatusCode, resp.Status = 302, "302 Found"
		resp.Header.Set("Location", c.redirects[u])
		resp.Body = http.NoBody
	default:
		resp.StatusCode, resp.Status = 404, "404 Not Found"
		resp.Body = io.NopCloser(strings.NewReader("<Error><Code>NoSuchKey</Code></Error>"))
	}
	return resp, nil
}

func (c *chainServer) client() *http.Client { return &http.Client{Transport: c} }

// fixture reads testdata/name.
func fixture(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// edit returns body with change applied to its decoded JSON.
func edit(t testing.TB, body []byte, change func(env map[string]any)) []byte {
	t.Helper()
	var env map[string]any
	if err := json.Unmarshal(body, &env); err != nil {
		t.Fatal(err)
	}
	change(env)
	out, err := json.Marshal(env)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// field is the map at path in a decoded JSON object.
func field(env map[string]any, path ...string) map[string]any {
	m := env
	for _, p := range path {
		m = m[p].(map[string]any)
	}
	return m
}

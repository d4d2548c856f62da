// Package oidctest runs a real OpenID Connect provider on loopback for tests: the OpenID-certified
// provider of github.com/zitadel/oidc (pkg/op) with discovery, the authorization code flow with
// PKCE, signed ID tokens, a key set and userinfo, over an in-memory store of users and clients,
// and a password login page. Switches make it misbehave the ways a sign-in must survive.
package oidctest

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"fmt"
	"html/template"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/zitadel/oidc/v3/pkg/op"
)

// User is someone who can sign in at the provider.
type User struct {
	Subject       string
	Username      string
	Password      string
	Email         string
	EmailVerified bool
}

// Provider is a running OpenID Connect provider.
type Provider struct {
	Issuer string // its URL, http://127.0.0.1:port

	store *storage
}

// Start runs a provider with the users until the test ends.
func Start(t testing.TB, users ...User) *Provider {
	t.Helper()
	ts := httptest.NewUnstartedServer(nil)
	issuer := "http://" + ts.Listener.Addr().String()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	st := &storage{
		users:    map[string]User{},
		clients:  map[string]*client{},
		requests: map[string]*authRequest{},
		codes:    map[string]string{},
		tokens:   map[string]*token{},
		key:      key,
		keyID:    "oidctest-" + randomID()[:8],
	}
	for _, u := range users {
		st.users[u.Subject] = u
	}
	p := &Provider{Issuer: issuer, store: st}
	issuerFn := func(bool) (op.IssuerFromRequest, error) {
		return func(r *http.Request) string {
			// A provider that is not the one it claims to be: its tokens name another issuer.
			if st.wrongIssuer.Load() && strings.HasSuffix(r.URL.Path, "/token") {
				return "http://wrong-issuer.invalid"
			}
			return issuer
		}, nil
	}
	opCfg := &op.Config{CryptoKey: sha256.Sum256([]byte(issuer)), CodeMethodS256: true, AuthMethodPost: true}
	provider, err := op.NewProvider(opCfg, st, issuerFn, op.WithAllowInsecure())
	if err != nil {
		t.Fatal(err)
	}
	callback := op.AuthCallbackURL(provider)
	mux := http.NewServeMux()
	login := op.NewIssuerInterceptor(provider.IssuerFromRequest).HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st.login(w, r, callback)
	})
	mux.HandleFunc("/login", login)
	mux.Handle("/", provider)
	ts.Config.Handler = mux
	ts.Start()
	t.Cleanup(ts.Close)
	return p
}

// AddClient registers a relying party: its id and secret, and where it may be sent back to.
func (p *Provider) AddClient(id, secret string, redirectURIs ...string) {
	p.store.mu.Lock()
	defer p.store.mu.Unlock()
	p.store.clients[id] = &client{id: id, secret: secret, redirectURIs: redirectURIs}
}

// ForgeNonce makes the provider put another nonce in its ID tokens than the one asked for, as
// a replayed token would carry.
func (p *Provider) ForgeNonce(on bool) { p.store.forgeNonce.Store(on) }

// WrongIssuer makes the provider's tokens name another issuer than its discovery document.
func (p *Provider) WrongIssuer(on bool) { p.store.wrongIssuer.Store(on) }

// SignIn follows the sign-in that begins at startURL (the relying party's "sign in with" link)
// with c, a client with a cookie jar: to the provider's login page, where it signs in as
// username, and back. It returns the last response, where the relying party led after its
// callback.
func (p *Provider) SignIn(t testing.TB, c *http.Client, startURL, username, password string) *http.Response {
	t.Helper()
	resp, err := c.Get(startURL)
	if err != nil {
		t.Fatalf("start sign-in at %s: %v", startURL, err)
	}
	resp.Body.Close()
	if !strings.HasPrefix(resp.Request.URL.String(), p.Issuer+"/login") {
		t.Fatalf("start sign-in at %s led to %s (HTTP %d), not the provider's login page", startURL, resp.Request.URL, resp.StatusCode)
	}
	id := resp.Request.URL.Query().Get("authRequestID")
	resp, err = c.PostForm(p.Issuer+"/login", url.Values{"id": {id}, "username": {username}, "password": {password}})
	if err != nil {
		t.Fatalf("sign in at the provider: %v", err)
	}
	return resp
}

// LoginURL is the provider's login page for an authorization request, as clients are sent to.
func loginURL(id string) string { return "/login?authRequestID=" + url.QueryEscape(id) }

var loginPage = template.Must(template.New("login").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Test provider – sign in</title></head>
<body><main><h1>Test provider</h1>
{{if .Error}}<p role="alert">{{.Error}}</p>{{end}}
<form method="post" action="/login">
<input type="hidden" name="id" value="{{.ID}}">
<p><label for="username">User name</label> <input id="username" name="username" autocomplete="username"></p>
<p><label for="password">Password</label> <input id="password" name="password" type="password" autocomplete="current-password"></p>
<p><button type="submit">Sign in</button></p>
</form></main></body></html>`))

// login is the provider's login page: a user name and password complete the authorization
// request, and the browser goes back to the provider's callback.
func (s *storage) login(w http.ResponseWriter, r *http.Request, callback func(context.Context, string) string) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	id := r.FormValue("authRequestID")
	if r.Method == http.MethodPost {
		id = r.FormValue("id")
		if err := s.authenticate(id, r.FormValue("username"), r.FormValue("password")); err != nil {
			w.WriteHeader(http.StatusUnauthorized)
			loginPage.Execute(w, map[string]string{"ID": id, "Error": err.Error()})
			return
		}
		http.Redirect(w, r, callback(r.Context(), id), http.StatusFound)
		return
	}
	loginPage.Execute(w, map[string]string{"ID": id})
}

func (s *storage) authenticate(requestID, username, password string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	req, ok := s.requests[requestID]
	if !ok {
		return fmt.Errorf("no such authorization request")
	}
	for _, u := range s.users {
		if u.Username == username && u.Password == password {
			req.subject = u.Subject
			req.done = true
			return nil
		}
	}
	return fmt.Errorf("wrong user name or password")
}

func randomID() string {
	b := make([]byte, 16)
	rand.Read(b)
	return fmt.Sprintf("%x", b)
}

// The store is in memory; its methods guard it with mu.
type storage struct {
	mu       sync.Mutex
	users    map[string]User
	clients  map[string]*client
	requests map[string]*authRequest
	codes    map[string]string // code → request id
	tokens   map[string]*token
	key      *rsa.PrivateKey
	keyID    string

	forgeNonce  atomic.Bool
	wrongIssuer atomic.Bool
}

var _ op.Storage = (*storage)(nil)

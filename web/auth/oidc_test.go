package auth_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"

	"github.com/nyisverige/lots/web/auth"
	"github.com/nyisverige/lots/web/auth/oidctest"
)

// site is where the relying party pretends to live; nothing listens there: the test's client
// stops at the callback and hands its query to Finish.
const site = "http://lots.test"

var (
	anna   = oidctest.User{Subject: "sub-anna", Username: "anna", Password: "pw-anna", Email: "Anna@Skatteverket.se", EmailVerified: true}
	bertil = oidctest.User{Subject: "sub-bertil", Username: "bertil", Password: "pw-bertil", Email: "bertil@skatteverket.se", EmailVerified: false}
)

func startProvider(t *testing.T) *oidctest.Provider {
	t.Helper()
	p := oidctest.Start(t, anna, bertil)
	p.AddClient("lots", "s3cret", site+"/signin/oidc/staff/callback")
	return p
}

func newOIDC(t *testing.T, a *auth.Accounts, issuer string) *auth.OIDC {
	t.Helper()
	o, err := auth.NewOIDC(a, site, []auth.ProviderConfig{{Name: "staff", Label: "Agency staff", Issuer: issuer, ClientID: "lots", ClientSecret: "s3cret"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// signInAt begins a sign-in, signs in at the provider as username and returns the flow's token
// and the query the provider sent the browser back with.
func signInAt(t *testing.T, p *oidctest.Provider, o *auth.OIDC, username, password string) (string, url.Values) {
	t.Helper()
	authURL, token, err := o.Begin(context.Background(), "staff", "sv", "/console")
	if err != nil {
		t.Fatal(err)
	}
	jar, _ := cookiejar.New(nil)
	var back url.Values
	c := &http.Client{Jar: jar, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if strings.HasPrefix(req.URL.String(), site+"/") {
			back = req.URL.Query()
			return http.ErrUseLastResponse
		}
		return nil
	}}
	resp := p.SignIn(t, c, authURL, username, password)
	resp.Body.Close()
	if back == nil {
		t.Fatalf("the provider did not send the browser back (HTTP %d at %s)", resp.StatusCode, resp.Request.URL)
	}
	return token, back
}

func TestOIDCSignIn(t *testing.T) {
	ctx := context.Background()
	a, _ := newAccounts(t)
	p := startProvider(t)
	o := newOIDC(t, a, p.Issuer)
	if err := a.Grant(ctx, "anna@skatteverket.se", auth.Role{Name: auth.RoleSteward, Agency: "skatteverket"}, "cli:test"); err != nil {
		t.Fatal(err)
	}

	var annaID string
	t.Run("a verified e-mail address gets its granted role", func(t *testing.T) {
		token, back := signInAt(t, p, o, "anna", "pw-anna")
		in, err := o.Finish(ctx, "staff", token, back)
		if err != nil {
			t.Fatal(err)
		}
		if !in.NewUser || in.Next != "/console" || in.Language != "sv" {
			t.Errorf("sign-in %+v; want a new user, back to /console in sv", in)
		}
		u, err := a.User(ctx, in.UserID)
		if err != nil {
			t.Fatal(err)
		}
		if u.Email != "anna@skatteverket.se" || !u.CanSteward("skatteverket") {
			t.Errorf("user %+v; want anna@skatteverket.se, steward of skatteverket", u)
		}
		annaID = in.UserID
	})
	t.Run("the same person again is the same user", func(t *testing.T) {
		token, back := signInAt(t, p, o, "anna", "pw-anna")
		in, err := o.Finish(ctx, "staff", token, back)
		if err != nil {
			t.Fatal(err)
		}
		if in.UserID != annaID || in.NewUser {
			t.Errorf("second sign-in %+v; want user %s, not new", in, annaID)
		}
	})
	t.Run("an unverified e-mail address is neither kept nor given roles", func(t *testing.T) {
		if err := a.Grant(ctx, "bertil@skatteverket.se", auth.Role{Name: auth.RoleAdmin}, "cli:test"); err != nil {
			t.Fatal(err)
		}
		token, back := signInAt(t, p, o, "bertil", "pw-bertil")
		in, err := o.Finish(ctx, "staff", token, back)
		if err != nil {
			t.Fatal(err)
		}
		u, _ := a.User(ctx, in.UserID)
		if u.Email != "" || u.IsStaff() {
			t.Errorf("user %+v; want no e-mail address and no roles", u)
		}
	})
}

func TestOIDCRefused(t *testing.T) {
	ctx := context.Background()
	a, pool := newAccounts(t)
	p := startProvider(t)
	o := newOIDC(t, a, p.Issuer)

	cases := []struct {
		name    string
		setup   func()
		tamper  func(token string, back url.Values) (string, url.Values)
		want    error
		cleanup func()
	}{
		{name: "a forged state", want: auth.ErrSignIn,
			tamper: func(token string, back url.Values) (string, url.Values) {
				back.Set("state", back.Get("state")+"x")
				return token, back
			}},
		{name: "a state from another sign-in", want: auth.ErrSignIn,
			tamper: func(token string, back url.Values) (string, url.Values) {
				other, _ := signInAt(t, p, o, "anna", "pw-anna")
				return other, back
			}},
		{name: "no flow cookie", want: auth.ErrFlowExpired,
			tamper: func(token string, back url.Values) (string, url.Values) { return "", back }},
		{name: "a forged nonce", want: auth.ErrSignIn,
			setup: func() { p.ForgeNonce(true) }, cleanup: func() { p.ForgeNonce(false) }},
		{name: "ID tokens of another issuer", want: auth.ErrSignIn,
			setup: func() { p.WrongIssuer(true) }, cleanup: func() { p.WrongIssuer(false) }},
		{name: "the provider's error", want: auth.ErrSignIn,
			tamper: func(token string, back url.Values) (string, url.Values) {
				back.Del("code")
				back.Set("error", "access_denied")
				return token, back
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.setup != nil {
				tc.setup()
				t.Cleanup(tc.cleanup)
			}
			token, back := signInAt(t, p, o, "anna", "pw-anna")
			if tc.tamper != nil {
				token, back = tc.tamper(token, back)
			}
			in, err := o.Finish(ctx, "staff", token, back)
			t.Logf("refused: %v", err)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Finish = %+v, %v; want %v", in, err, tc.want)
			}
		})
	}
	t.Run("a callback is taken once", func(t *testing.T) {
		token, back := signInAt(t, p, o, "anna", "pw-anna")
		if _, err := o.Finish(ctx, "staff", token, back); err != nil {
			t.Fatal(err)
		}
		if _, err := o.Finish(ctx, "staff", token, back); !errors.Is(err, auth.ErrFlowExpired) {
			t.Fatalf("the same callback again: %v; want ErrFlowExpired", err)
		}
	})
	t.Run("a provider whose discovery names another issuer", func(t *testing.T) {
		// The same provider, configured by another name for its host: go-oidc refuses it.
		other := newOIDC(t, a, strings.Replace(p.Issuer, "127.0.0.1", "localhost", 1))
		_, _, err := other.Begin(ctx, "staff", "sv", "")
		t.Logf("refused: %v", err)
		if !errors.Is(err, auth.ErrSignIn) || !strings.Contains(err.Error(), "issuer") {
			t.Fatalf("Begin = %v; want ErrSignIn", err)
		}
	})
	var users int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM users`).Scan(&users); err != nil {
		t.Fatal(err)
	}
	if users != 1 {
		t.Errorf("%d users; want 1, from the one sign-in that succeeded", users)
	}
}

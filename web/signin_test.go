package web_test

// Sign-in as people use it, over HTTP against a real database and a real OpenID Connect
// provider on loopback: recovery codes, OpenID Connect, sign-out, and the attacks sign-in must
// shrug off (CSRF, session fixation, open redirects, expired sessions). The passkey ceremonies
// are in signin_browser_test.go, driven in Chromium with a virtual authenticator.

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/nyisverige/lots/assistant"
	"github.com/nyisverige/lots/retrieval"
	"github.com/nyisverige/lots/retrieval/store/storetest"
	"github.com/nyisverige/lots/web"
	"github.com/nyisverige/lots/web/auth"
	"github.com/nyisverige/lots/web/auth/oidctest"
)

// authSite is the server with sign-in configured, and the OpenID Connect provider "staff".
type authSite struct {
	URL      string
	pool     *pgxpool.Pool
	accounts *auth.Accounts
	idp      *oidctest.Provider
}

var (
	staffAnna = oidctest.User{Subject: "sub-anna", Username: "anna", Password: "pw-anna", Email: "anna@skatteverket.se", EmailVerified: true}
	staffCarl = oidctest.User{Subject: "sub-carl", Username: "carl", Password: "pw-carl", Email: "carl@csn.se", EmailVerified: true}
)

// startAuthSite starts the server at http://localhost:port: passkeys need a domain, not an IP address.
func startAuthSite(t *testing.T) *authSite {
	t.Helper()
	log := slog.New(slog.DiscardHandler)
	st := storetest.New(t)
	pool := st.Pool()
	ts := httptest.NewUnstartedServer(nil)
	_, port, _ := net.SplitHostPort(ts.Listener.Addr().String())
	base := "http://localhost:" + port

	idp := oidctest.Start(t, staffAnna, staffCarl)
	idp.AddClient("lots", "s3cret", base+"/signin/oidc/staff/callback")
	accounts := auth.NewAccounts(pool, log, auth.AccountsConfig{})
	passkeys, err := auth.NewPasskeys(accounts, auth.PasskeyConfig{PublicURL: base})
	if err != nil {
		t.Fatal(err)
	}
	oidc, err := auth.NewOIDC(accounts, base, []auth.ProviderConfig{
		{Name: "staff", Label: "Agency Login", Issuer: idp.Issuer, ClientID: "lots", ClientSecret: "s3cret"},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}

	cfg := web.Config{AsksPerMinute: 600, Auth: web.AuthConfig{Accounts: accounts, Passkeys: passkeys, OIDC: oidc}}
	srv, err := web.New(assistantFor(t, st), assistant.NewConversations(pool, time.Hour), pool, log, cfg)
	if err != nil {
		t.Fatal(err)
	}
	ts.Config.Handler = srv.Handler()
	ts.Start()
	t.Cleanup(ts.Close)
	return &authSite{URL: base, pool: pool, accounts: accounts, idp: idp}
}

// browserClient is an HTTP client with a cookie jar that does not follow redirects.
func browserClient(t *testing.T) *http.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, Timeout: 20 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// following is c, following redirects.
func following(c *http.Client) *http.Client {
	return &http.Client{Jar: c.Jar, Timeout: c.Timeout}
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// page GETs path and returns its status, body and the form's CSRF token.
func page(t *testing.T, c *http.Client, rawURL string) (int, string, string) {
	t.Helper()
	resp, err := c.Get(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	token := ""
	if m := csrfField.FindSubmatch(body); m != nil {
		token = string(m[1])
	}
	return resp.StatusCode, string(body), token
}

func post(t *testing.T, c *http.Client, rawURL string, form url.Values) *http.Response {
	t.Helper()
	resp, err := c.PostForm(rawURL, form)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func cookie(c *http.Client, rawURL, name string) string {
	u, _ := url.Parse(rawURL)
	for _, k := range c.Jar.Cookies(u) {
		if k.Name == name {
			return k.Value
		}
	}
	return ""
}

// newcomer creates a user with recovery codes, as a space created with a passkey has.
func (s *authSite) newcomer(t *testing.T) (auth.User, []string) {
	t.Helper()
	u, err := s.accounts.CreateUser(context.Background(), "sv")
	if err != nil {
		t.Fatal(err)
	}
	codes, err := s.accounts.NewRecoveryCodes(context.Background(), u.ID)
	if err != nil {
		t.Fatal(err)
	}
	return u, codes
}

// recoverySignIn signs c in with code from the sign-in page for next, and returns the response.
func (s *authSite) recoverySignIn(t *testing.T, c *http.Client, code, next string) *http.Response {
	t.Helper()
	_, _, token := page(t, c, s.URL+"/signin?lang=sv&next="+url.QueryEscape(next))
	return post(t, c, s.URL+"/signin/recovery", url.Values{"csrf": {token}, "code": {code}, "next": {next}, "language": {"sv"}})
}

func TestSigninPage(t *testing.T) {
	site := startAuthSite(t)
	c := browserClient(t)
	for _, lang := range retrieval.Languages {
		t.Run(lang, func(t *testing.T) {
			strs := uiStrings(t, "signin."+lang)
			status, body, token := page(t, c, site.URL+"/signin?lang="+lang+"&next=/space/drafts")
			if status != http.StatusOK || token == "" {
				t.Fatalf("GET /signin: HTTP %d, CSRF token %q", status, token)
			}
			want := []string{
				`<html lang="` + lang + `" dir="` + map[bool]string{true: "rtl", false: "ltr"}[lang == "ar" || lang == "fa"] + `"`,
				`href="/signin/oidc/staff?lang=` + lang + `&amp;next=%2fspace%2fdrafts"`,
				`src="/static/signin.js"`,
			}
			for _, key := range []string{"signin_create_button", "signin_passkey_button", "signin_recovery_label", "signin_stored_text"} {
				want = append(want, escapeText(strs[key]))
			}
			for _, w := range want {
				if !strings.Contains(body, w) {
					t.Errorf("the sign-in page lacks %q", w)
				}
			}
		})
	}
}

// escapeText escapes s as html/template escapes text.
func escapeText(s string) string {
	return strings.NewReplacer("&", "&amp;", "'", "&#39;", `"`, "&#34;", "+", "&#43;", "<", "&lt;", ">", "&gt;").Replace(s)
}

func TestRecoveryCodeSignIn(t *testing.T) {
	site := startAuthSite(t)
	u, codes := site.newcomer(t)

	t.Run("a code signs in and leads to next", func(t *testing.T) {
		c := browserClient(t)
		resp := site.recoverySignIn(t, c, strings.ToLower(codes[0]), "/account?lang=sv")
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/account?lang=sv" {
			t.Fatalf("recovery sign-in: HTTP %d to %q; want 303 to /account?lang=sv", resp.StatusCode, resp.Header.Get("Location"))
		}
		status, body, _ := page(t, c, site.URL+"/account?lang=sv")
		if status != http.StatusOK || !strings.Contains(body, uiStrings(t, "signin.sv")["account_title"]) {
			t.Fatalf("the account page after signing in: HTTP %d", status)
		}
		if !strings.Contains(body, "Oanvända återställningskoder: 9.") {
			t.Errorf("the account page does not say 9 codes are left")
		}
	})
	t.Run("the same code does not work twice", func(t *testing.T) {
		c := browserClient(t)
		resp := site.recoverySignIn(t, c, codes[0], "/account")
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(string(body), uiStrings(t, "signin.sv")["signin_error_recovery"]) {
			t.Fatalf("a used code: HTTP %d; want 401 with the error shown", resp.StatusCode)
		}
		if !strings.Contains(string(body), `aria-invalid="true"`) || !strings.Contains(string(body), `role="alert"`) {
			t.Errorf("the error is not announced (role=alert) nor the field marked invalid")
		}
		if cookie(c, site.URL, auth.SessionCookie) != "" {
			t.Errorf("a session cookie was set for a failed sign-in")
		}
	})
	t.Run("no open redirect", func(t *testing.T) {
		cases := []struct{ name, next, want string }{
			{"scheme-relative", "//evil.example/x", "/space?lang=sv"},
			{"absolute", "https://evil.example/", "/space?lang=sv"},
			{"backslash", `/\evil.example`, "/space?lang=sv"},
			{"local", "/space/drafts?lang=sv", "/space/drafts?lang=sv"},
			{"none", "", "/space?lang=sv"},
		}
		for i, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				resp := site.recoverySignIn(t, browserClient(t), codes[1+i], tc.next)
				if got := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || got != tc.want {
					t.Errorf("next=%q: HTTP %d to %q; want 303 to %q", tc.next, resp.StatusCode, got, tc.want)
				}
			})
		}
	})
	t.Run("the sign-ins are in the audit log", func(t *testing.T) {
		entries, err := site.accounts.Audit().List(context.Background(), auth.Filter{OwnerID: u.ID, Action: "auth.signin"})
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) != 6 || entries[0].Detail["method"] != "recovery" {
			t.Errorf("audit entries %+v; want 6 recovery sign-ins", entries)
		}
	})
}

func TestSignOut(t *testing.T) {
	site := startAuthSite(t)
	_, codes := site.newcomer(t)
	c := browserClient(t)
	site.recoverySignIn(t, c, codes[0], "")
	session := cookie(c, site.URL, auth.SessionCookie)
	_, body, token := page(t, c, site.URL+"/account?lang=en")
	if !strings.Contains(body, `action="/signout"`) {
		t.Fatal("the menu has no sign-out button for a signed-in user")
	}

	t.Run("without the CSRF token it is refused", func(t *testing.T) {
		resp := post(t, c, site.URL+"/signout", url.Values{"lang": {"en"}})
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("sign-out without a CSRF token: HTTP %d; want 403", resp.StatusCode)
		}
		if status, _, _ := page(t, c, site.URL+"/account"); status != http.StatusOK {
			t.Errorf("after a refused sign-out the account page gives HTTP %d; want 200, still signed in", status)
		}
	})
	t.Run("with it the session ends", func(t *testing.T) {
		resp := post(t, c, site.URL+"/signout", url.Values{"lang": {"en"}, "csrf": {token}})
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/signin?done=signedout") {
			t.Fatalf("sign-out: HTTP %d to %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		if _, err := site.accounts.Session(context.Background(), session); err == nil {
			t.Error("the session still works after signing out")
		}
		if status, _, _ := page(t, c, site.URL+"/account"); status != http.StatusSeeOther {
			t.Errorf("the account page after signing out: HTTP %d; want 303 to sign in", status)
		}
	})
}

func TestCSRF(t *testing.T) {
	site := startAuthSite(t)
	_, codes := site.newcomer(t)
	c := browserClient(t)
	_, _, token := page(t, c, site.URL+"/signin")

	t.Run("a recovery code posted without the token is refused and not used up", func(t *testing.T) {
		resp := post(t, c, site.URL+"/signin/recovery", url.Values{"code": {codes[0]}})
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("HTTP %d; want 403", resp.StatusCode)
		}
		if left, _ := site.accounts.RecoveryCodesLeft(context.Background(), mustUserOf(t, site, codes[1])); left != auth.RecoveryCodeCount-1 {
			t.Errorf("%d codes left; want %d: only the code used to check is gone", left, auth.RecoveryCodeCount-1)
		}
	})
	for _, path := range []string{"/signin/passkey/create/begin", "/signin/passkey/login/begin", "/signin/passkey/login/finish"} {
		for name, header := range map[string]string{"without the header": "", "with a wrong header": token + "x"} {
			t.Run(path+" "+name, func(t *testing.T) {
				req, _ := http.NewRequest(http.MethodPost, site.URL+path, strings.NewReader(`{"language":"sv"}`))
				req.Header.Set("Content-Type", "application/json")
				if header != "" {
					req.Header.Set("X-CSRF-Token", header)
				}
				resp, err := c.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusForbidden {
					t.Errorf("HTTP %d; want 403", resp.StatusCode)
				}
			})
		}
	}
	t.Run("the ceremony with the header begins", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodPost, site.URL+"/signin/passkey/login/begin", strings.NewReader(`{"language":"sv"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-CSRF-Token", token)
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"challenge"`) {
			t.Errorf("HTTP %d %s; want 200 with a challenge", resp.StatusCode, body)
		}
	})
}

// mustUserOf signs in with code to find whose it is (using the code up).
func mustUserOf(t *testing.T, site *authSite, code string) string {
	t.Helper()
	id, err := site.accounts.UseRecoveryCode(context.Background(), code)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func TestSessionFixation(t *testing.T) {
	site := startAuthSite(t)
	victim, codes := site.newcomer(t)
	attacker, attackerCodes := site.newcomer(t)

	cases := []struct {
		name    string
		planted func(t *testing.T) string
	}{
		{"a made-up session token", func(*testing.T) string { return "attacker-chosen-token-0123456789abcdefghijklmnop" }},
		{"the attacker's own session", func(t *testing.T) string {
			c := browserClient(t)
			site.recoverySignIn(t, c, attackerCodes[0], "")
			return cookie(c, site.URL, auth.SessionCookie)
		}},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			planted := tc.planted(t)
			c := browserClient(t)
			u, _ := url.Parse(site.URL)
			c.Jar.SetCookies(u, []*http.Cookie{{Name: auth.SessionCookie, Value: planted, Path: "/"}})
			_, _, _ = page(t, c, site.URL+"/signin")
			csrfBefore := cookie(c, site.URL, "lots_csrf")
			site.recoverySignIn(t, c, codes[i], "")
			session := cookie(c, site.URL, auth.SessionCookie)
			if session == "" || session == planted {
				t.Fatalf("after signing in the session cookie is %q; want a new one, not the planted one", session)
			}
			if csrf := cookie(c, site.URL, "lots_csrf"); csrf == "" || csrf == csrfBefore {
				t.Errorf("the CSRF cookie was not replaced at sign-in")
			}
			got, err := site.accounts.Session(context.Background(), session)
			if err != nil || got.ID != victim.ID {
				t.Fatalf("the new session is %v, %v; want the victim's", got.ID, err)
			}
			if got, err := site.accounts.Session(context.Background(), planted); err == nil {
				t.Errorf("the planted token signs in as %s (victim %s, attacker %s)", got.ID, victim.ID, attacker.ID)
			}
		})
	}
}

func TestExpiredSession(t *testing.T) {
	site := startAuthSite(t)
	_, codes := site.newcomer(t)
	c := browserClient(t)
	site.recoverySignIn(t, c, codes[0], "")
	if status, _, _ := page(t, c, site.URL+"/account"); status != http.StatusOK {
		t.Fatalf("the account page: HTTP %d", status)
	}
	if _, err := site.pool.Exec(context.Background(), `UPDATE sessions SET expires_at = now() - interval '1 second'`); err != nil {
		t.Fatal(err)
	}
	resp, err := c.Get(site.URL + "/account?lang=fa")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || loc != "/signin?lang=fa&next=%2Faccount%3Flang%3Dfa" {
		t.Errorf("an expired session on /account: HTTP %d to %q; want 303 to sign in and back", resp.StatusCode, loc)
	}
	if cookie(c, site.URL, auth.SessionCookie) != "" {
		t.Error("the expired session's cookie was not cleared")
	}
}

func TestOIDCWebSignIn(t *testing.T) {
	site := startAuthSite(t)
	ctx := context.Background()
	if err := site.accounts.Grant(ctx, "anna@skatteverket.se", auth.Role{Name: auth.RoleSteward, Agency: "skatteverket"}, "cli:test"); err != nil {
		t.Fatal(err)
	}

	t.Run("staff sign in and get their role", func(t *testing.T) {
		c := browserClient(t)
		resp := site.idp.SignIn(t, following(c), site.URL+"/signin/oidc/staff?lang=uk&next=%2Faccount%3Flang%3Duk", "anna", "pw-anna")
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || resp.Request.URL.Path != "/account" {
			t.Fatalf("after the provider: HTTP %d at %s; want the account page", resp.StatusCode, resp.Request.URL)
		}
		if want := "Відповідальний за джерела: skatteverket"; !strings.Contains(string(body), want) {
			t.Errorf("the account page does not show the role %q", want)
		}
		if !strings.Contains(string(body), `href="/console?lang=uk"`) {
			t.Errorf("the menu has no link to the stewards' console for a steward")
		}
	})
	t.Run("someone with no grant is signed in without a role", func(t *testing.T) {
		c := browserClient(t)
		resp := site.idp.SignIn(t, following(c), site.URL+"/signin/oidc/staff?next=/account", "carl", "pw-carl")
		resp.Body.Close()
		u, err := site.accounts.Session(ctx, cookie(c, site.URL, auth.SessionCookie))
		if err != nil || u.IsStaff() || u.Email != "carl@csn.se" {
			t.Errorf("user %+v, %v; want carl@csn.se without roles", u, err)
		}
	})
	t.Run("a forged state sends back to sign-in with an error", func(t *testing.T) {
		c := browserClient(t)
		var callback *url.URL
		f := &http.Client{Jar: c.Jar, CheckRedirect: func(req *http.Request, _ []*http.Request) error {
			if strings.HasPrefix(req.URL.String(), site.URL+"/signin/oidc/staff/callback") {
				callback = req.URL
				return http.ErrUseLastResponse
			}
			return nil
		}}
		resp := site.idp.SignIn(t, f, site.URL+"/signin/oidc/staff?lang=sv", "anna", "pw-anna")
		resp.Body.Close()
		if callback == nil {
			t.Fatal("the provider did not send the browser back")
		}
		q := callback.Query()
		q.Set("state", "forged")
		callback.RawQuery = q.Encode()
		resp, err := c.Get(callback.String())
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/signin?error=oidc") {
			t.Errorf("a forged state: HTTP %d to %q; want 303 to /signin?error=oidc", resp.StatusCode, loc)
		}
		if cookie(c, site.URL, auth.SessionCookie) != "" {
			t.Error("a forged state signed in")
		}
		status, body, _ := page(t, c, site.URL+"/signin?error=oidc&lang=sv")
		if status != http.StatusOK || !strings.Contains(body, uiStrings(t, "signin.sv")["signin_error_oidc"]) {
			t.Errorf("the sign-in page does not show the error")
		}
	})
	t.Run("an unknown provider is not found", func(t *testing.T) {
		resp, err := browserClient(t).Get(site.URL + "/signin/oidc/nobody")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("HTTP %d; want 404", resp.StatusCode)
		}
	})
}

func TestAccountRecoveryCodes(t *testing.T) {
	site := startAuthSite(t)
	_, codes := site.newcomer(t)
	c := browserClient(t)
	site.recoverySignIn(t, c, codes[0], "")
	_, _, token := page(t, c, site.URL+"/account?lang=en")
	resp := post(t, c, site.URL+"/account/codes", url.Values{"csrf": {token}, "language": {"en"}})
	body, _ := io.ReadAll(resp.Body)
	fresh := regexp.MustCompile(`<code>([0-9A-Z-]{19})</code>`).FindAllStringSubmatch(string(body), -1)
	if resp.StatusCode != http.StatusOK || len(fresh) != auth.RecoveryCodeCount {
		t.Fatalf("new codes: HTTP %d with %d codes; want 200 with %d", resp.StatusCode, len(fresh), auth.RecoveryCodeCount)
	}
	if resp.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("the page with the codes may be cached: Cache-Control %q", resp.Header.Get("Cache-Control"))
	}
	if r := site.recoverySignIn(t, browserClient(t), codes[1], ""); r.StatusCode != http.StatusUnauthorized {
		t.Errorf("an old code after making new ones: HTTP %d; want 401", r.StatusCode)
	}
	if r := site.recoverySignIn(t, browserClient(t), fresh[0][1], ""); r.StatusCode != http.StatusSeeOther {
		t.Errorf("a new code: HTTP %d; want 303", r.StatusCode)
	}
}

func TestSigninRateLimit(t *testing.T) {
	site := startAuthSite(t)
	_, codes := site.newcomer(t)
	c := browserClient(t)
	_, _, token := page(t, c, site.URL+"/signin?lang=en")
	for i := range 10 {
		resp := post(t, c, site.URL+"/signin/recovery", url.Values{"csrf": {token}, "language": {"en"}, "code": {"AAAA-BBBB-CCCC-DDD" + string(rune('2'+i%8))}})
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("wrong code %d: HTTP %d; want 401", i+1, resp.StatusCode)
		}
	}
	resp := post(t, c, site.URL+"/signin/recovery", url.Values{"csrf": {token}, "language": {"en"}, "code": {codes[0]}})
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusTooManyRequests || !strings.Contains(string(body), uiStrings(t, "signin.en")["signin_error_rate"]) {
		t.Fatalf("the 11th try in a minute: HTTP %d; want 429 saying to wait:\n%s", resp.StatusCode, body)
	}
	if left, _ := site.accounts.RecoveryCodesLeft(context.Background(), mustUserOf(t, site, codes[1])); left != auth.RecoveryCodeCount-1 {
		t.Errorf("%d codes left; want the code tried while limited unused", left)
	}
}

package web_test

// Passkeys in headless Chromium with a virtual authenticator (the DevTools protocol's WebAuthn
// domain: CTAP2, built in, resident keys, user verification), and an axe-core scan of the
// sign-in pages. Helpers (newBrowser, tab, eval, runAxe) are browser_helpers_test.go's.

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"

	"github.com/nyisverige/lots/web/auth"
)

// addAuthenticator gives the tab a platform authenticator that holds passkeys and verifies its
// user (as a phone's fingerprint reader does), answering at once.
func addAuthenticator(t *testing.T, tb *tab) webauthn.AuthenticatorID {
	t.Helper()
	if _, err := chromedp.Call(tb.ctx, webauthn.Enable, webauthn.EnableParams{}); err != nil {
		t.Fatalf("WebAuthn.enable: %v", err)
	}
	res, err := chromedp.Call(tb.ctx, webauthn.AddVirtualAuthenticator, webauthn.AddVirtualAuthenticatorParams{
		Options: &webauthn.VirtualAuthenticatorOptions{
			Protocol:                    webauthn.AuthenticatorProtocolCtap2,
			Ctap2version:                webauthn.Ctap2versionCtap21,
			Transport:                   webauthn.AuthenticatorTransportInternal,
			HasResidentKey:              true,
			HasUserVerification:         true,
			IsUserVerified:              true,
			AutomaticPresenceSimulation: true,
		},
	})
	if err != nil {
		t.Fatalf("WebAuthn.addVirtualAuthenticator: %v", err)
	}
	return res.AuthenticatorID
}

func TestBrowserPasskeys(t *testing.T) {
	site := startAuthSite(t)
	tb := newBrowser(t).tab(t)
	id := addAuthenticator(t, tb)
	en := uiStrings(t, "signin.en")
	const wanted = "/account?lang=en" // a page only a signed-in user may see

	// Nobody signed in: the page sends to sign in, and back after.
	if got := tb.visit(site.URL + wanted); got != "/signin?lang=en&next=%2Faccount%3Flang%3Den" {
		t.Fatalf("%s without signing in led to %s; want the sign-in page with next", wanted, got)
	}

	// Create a space: one passkey, resident on the authenticator; then its recovery codes.
	tb.do(chromedp.Click(chromedp.ID("passkey-create")))
	tb.waitLocation("/signin/codes?lang=en", "the recovery codes page")
	codes := eval[[]string](tb, `Array.from(document.querySelectorAll('.recovery-codes code'), (c) => c.textContent)`)
	if len(codes) != auth.RecoveryCodeCount {
		t.Fatalf("the new space shows %d recovery codes; want %d", len(codes), auth.RecoveryCodeCount)
	}
	creds, err := chromedp.Call(tb.ctx, webauthn.GetCredentials, webauthn.GetCredentialsParams{AuthenticatorID: id})
	if err != nil {
		t.Fatal(err)
	}
	if len(creds.Credentials) != 1 || !creds.Credentials[0].IsResidentCredential || creds.Credentials[0].RpID != "localhost" {
		t.Fatalf("the authenticator holds %+v; want one resident credential for localhost", creds.Credentials)
	}
	tb.screenshot("signin-codes-en.png")
	if got := eval[string](tb, `document.querySelector('main .actions a.button').textContent`); got != en["signin_codes_continue"] {
		t.Errorf("the codes page's link says %q; want %q", got, en["signin_codes_continue"])
	}
	tb.do(chromedp.Click(chromedp.CSS(`main .actions a.button`)))
	tb.waitLocation(wanted, "the page asked for")

	// The account page lists the passkey; the last one cannot be removed.
	if n := eval[int](tb, `document.querySelectorAll('#passkey-panel tbody tr').length`); n != 1 {
		t.Errorf("the account page lists %d passkeys; want 1", n)
	}
	tb.do(chromedp.Click(chromedp.CSS(`#passkey-panel tbody button[type=submit]`)))
	tb.waitLocation("/account/passkeys/remove", "the account page with an error")
	tb.expectLoadError("409")
	if got := eval[string](tb, `document.querySelector('main .error[role=alert]')?.textContent`); got != en["account_error_last"] {
		t.Errorf("removing the last passkey says %q; want %q", got, en["account_error_last"])
	}

	// Sign out, then sign in with the passkey alone: no user name asked.
	tb.do(chromedp.Click(chromedp.CSS(`form[action="/signout"] button`)))
	tb.waitLocation("/signin?done=signedout&lang=en", "the sign-in page after signing out")
	if got := tb.visit(site.URL + wanted); !strings.HasPrefix(got, "/signin?") {
		t.Fatalf("after signing out %s led to %s; want sign-in", wanted, got)
	}
	tb.do(chromedp.Click(chromedp.ID("passkey-signin")))
	tb.waitLocation(wanted, "the page asked for, after the passkey sign-in")
	cookies := eval[string](tb, `document.cookie`)
	if strings.Contains(cookies, auth.SessionCookie) {
		t.Errorf("scripts can read the session cookie (document.cookie = %q); want HttpOnly", cookies)
	}

	// A recovery code of the new space signs in too.
	tb2 := newBrowser(t).tab(t)
	tb2.visit(site.URL + "/signin?lang=en&next=" + url.QueryEscape(wanted))
	tb2.do(chromedp.SendKeys(chromedp.ID("recovery-code"), codes[0]), chromedp.Submit(chromedp.ID("recovery-code")))
	tb2.waitLocation(wanted, "the page asked for, after the recovery code")

	// The sign-ins went into the audit log.
	var signins int
	if err := site.pool.QueryRow(context.Background(), `SELECT count(*) FROM audit_log WHERE action = 'auth.signin'`).Scan(&signins); err != nil {
		t.Fatal(err)
	}
	if signins != 3 {
		t.Errorf("%d sign-ins in the audit log; want 3 (creating the space, the passkey, the code)", signins)
	}
}

// TestBrowserSigninAxe scans the sign-in pages for WCAG 2.1 A and AA violations: none at all.
func TestBrowserSigninAxe(t *testing.T) {
	b := newBrowser(t)
	axeSource := loadAxe(t)
	site := startAuthSite(t)
	strict := func(t *testing.T, tb *tab) {
		t.Helper()
		res := runAxe(tb, axeSource)
		reportAxe(t, res)
		for _, v := range res.Violations {
			if v.Impact != "serious" && v.Impact != "critical" {
				t.Errorf("axe %s (%s): %s", v.ID, v.Impact, v.Help)
			}
		}
	}
	for _, lang := range []string{"sv", "ar"} {
		t.Run("sign-in "+lang, func(t *testing.T) {
			tb := b.tab(t)
			tb.visit(site.URL + "/signin?lang=" + lang)
			if d := eval[string](tb, `document.documentElement.dir`); d != pageDir(lang) {
				t.Errorf("dir=%q; want %q", d, pageDir(lang))
			}
			strict(t, tb)
			tb.screenshot("signin-" + lang + ".png")
		})
		t.Run("sign-in with an error "+lang, func(t *testing.T) {
			tb := b.tab(t)
			tb.visit(site.URL + "/signin?lang=" + lang)
			tb.do(chromedp.SendKeys(chromedp.ID("recovery-code"), "WRONG-CODE"), chromedp.Submit(chromedp.ID("recovery-code")))
			tb.waitLocation("/signin/recovery", "the sign-in page with the error")
			tb.expectLoadError("401")
			if invalid := eval[string](tb, `document.getElementById('recovery-code').getAttribute('aria-invalid')`); invalid != "true" {
				t.Errorf("the recovery code field has aria-invalid=%q; want true", invalid)
			}
			strict(t, tb)
		})
	}
	t.Run("account ar", func(t *testing.T) {
		_, codes := site.newcomer(t)
		tb := b.tab(t)
		tb.visit(site.URL + "/signin?lang=ar&next=" + url.QueryEscape("/account?lang=ar"))
		tb.do(chromedp.SendKeys(chromedp.ID("recovery-code"), codes[0]), chromedp.Submit(chromedp.ID("recovery-code")))
		tb.waitLocation("/account?lang=ar", "the account page after signing in")
		strict(t, tb)
		tb.screenshot("account-ar.png")
	})
}

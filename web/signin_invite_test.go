package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/nyisverige/lots/web/auth"
)

// A one-time invitation link gives a staff role to whoever signs in and accepts it — once.
func TestStaffInvitation(t *testing.T) {
	site := startAuthSite(t)
	token, err := site.accounts.Invite(t.Context(), auth.Role{Name: auth.RoleSteward, Agency: "CSN"}, "cli:test", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	link := site.URL + "/signin/invite/" + token
	sv := uiStrings(t, "signin.sv")

	c := browserClient(t)
	resp, err := c.Get(link + "?lang=sv")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/signin?") ||
		!strings.Contains(loc, url.QueryEscape("/signin/invite/"+token)) {
		t.Fatalf("the link before signing in: HTTP %d to %q; want the sign-in page, back to the link", resp.StatusCode, loc)
	}

	u, codes := site.newcomer(t)
	site.recoverySignIn(t, c, codes[0], "/signin/invite/"+token)
	status, body, csrf := page(t, c, link+"?lang=sv")
	want := strings.Replace(sv["invite_lead_steward"], "%s", "CSN", 1)
	if status != http.StatusOK || !strings.Contains(body, want) {
		t.Fatalf("the invitation page: HTTP %d; want it to say %q", status, want)
	}

	t.Run("without the CSRF token nothing is granted", func(t *testing.T) {
		if resp := post(t, c, link, url.Values{}); resp.StatusCode != http.StatusForbidden {
			t.Errorf("accept without the token: HTTP %d; want 403", resp.StatusCode)
		}
		if got, _ := site.accounts.User(t.Context(), u.ID); got.IsStaff() {
			t.Errorf("the role was granted without the token: %+v", got.Roles)
		}
	})
	t.Run("accepting grants the role and leads to the console", func(t *testing.T) {
		resp := post(t, c, link+"?lang=sv", url.Values{"csrf": {csrf}})
		if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || loc != "/console?lang=sv" {
			t.Fatalf("accept: HTTP %d to %q; want 303 to /console?lang=sv", resp.StatusCode, loc)
		}
		got, err := site.accounts.User(t.Context(), u.ID)
		if err != nil || !got.CanSteward("CSN") || got.CanSteward("Skatteverket") || got.IsAdmin() {
			t.Errorf("roles after accepting: %+v (%v); want steward of CSN only", got.Roles, err)
		}
	})
	t.Run("the link works once", func(t *testing.T) {
		other, codes := site.newcomer(t)
		c2 := browserClient(t)
		site.recoverySignIn(t, c2, codes[0], "/space")
		if status, body, _ := page(t, c2, link+"?lang=sv"); status != http.StatusNotFound || !strings.Contains(body, sv["invite_invalid"]) {
			t.Errorf("the used link: HTTP %d; want 404 saying it is not valid", status)
		}
		if got, _ := site.accounts.User(t.Context(), other.ID); got.IsStaff() {
			t.Errorf("a used invitation granted %+v", got.Roles)
		}
	})
	t.Run("the grant is in the audit log without the token", func(t *testing.T) {
		entries, err := site.accounts.Audit().List(t.Context(), auth.Filter{Agencies: []string{"CSN"}})
		if err != nil {
			t.Fatal(err)
		}
		actions := map[string]bool{}
		for _, e := range entries {
			actions[e.Action] = true
			if strings.Contains(e.SubjectID, token) || strings.Contains(e.Actor, token) {
				t.Errorf("the audit log holds the invitation token: %+v", e)
			}
		}
		if !actions["role.invite"] || !actions["role.accept"] {
			t.Errorf("audit actions %v; want role.invite and role.accept", actions)
		}
	})
	t.Run("an expired invitation is refused", func(t *testing.T) {
		old, err := site.accounts.Invite(t.Context(), auth.Role{Name: auth.RoleAdmin}, "cli:test", time.Millisecond)
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Millisecond)
		if _, err := site.accounts.AcceptInvite(t.Context(), old, u.ID); err == nil {
			t.Error("an expired invitation was accepted")
		}
		if got, _ := site.accounts.User(t.Context(), u.ID); got.IsAdmin() {
			t.Error("an expired invitation made the user an admin")
		}
	})
}

package web

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/nyisverige/lots/web/auth"
)

func TestLocalPath(t *testing.T) {
	cases := []struct {
		next, want string
	}{
		{"/space", "/space"},
		{"/space/drafts/1?lang=ar#top", "/space/drafts/1?lang=ar#top"},
		{"", ""},
		{"space", ""},
		{"//evil.example", ""},
		{"///evil.example", ""},
		{`/\evil.example`, ""},
		{"https://evil.example/space", ""},
		{"javascript:alert(1)", ""},
		{"/space\r\nSet-Cookie: x=1", ""},
		{"/%0d%0aLocation:x", "/%0d%0aLocation:x"}, // escaped: a path, harmless
	}
	for _, tc := range cases {
		t.Run(tc.next, func(t *testing.T) {
			if got := localPath(tc.next); got != tc.want {
				t.Errorf("localPath(%q) = %q; want %q", tc.next, got, tc.want)
			}
		})
	}
}

// TestRequireRole checks the guards other pages use: who is let through, who is sent to sign
// in, who is told 401 or 403.
func TestRequireRole(t *testing.T) {
	s, err := New(nil, nil, nil, slog.New(slog.DiscardHandler), Config{})
	if err != nil {
		t.Fatal(err)
	}
	ok := func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "welcome") }
	steward := auth.User{ID: "u1", Roles: []auth.Role{{Name: auth.RoleSteward, Agency: "csn"}}}
	newcomer := auth.User{ID: "u2"}
	cases := []struct {
		name     string
		user     *auth.User
		path     string
		json     bool
		status   int
		location string
	}{
		{"steward", &steward, "/console/csn?lang=sv", false, http.StatusOK, ""},
		{"newcomer", &newcomer, "/console/csn?lang=sv", false, http.StatusForbidden, ""},
		{"newcomer, API", &newcomer, "/api/console", false, http.StatusForbidden, ""},
		{"nobody", nil, "/console/csn?lang=sv", false, http.StatusSeeOther, "/signin?lang=sv&next=%2Fconsole%2Fcsn%3Flang%3Dsv"},
		{"nobody, API", nil, "/api/console", false, http.StatusUnauthorized, ""},
		{"nobody, script", nil, "/account/passkeys/begin", true, http.StatusUnauthorized, ""},
	}
	h := s.requireRole(func(u auth.User) bool { return u.CanSteward("csn") }, ok)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, tc.path, nil)
			if tc.json {
				r.Header.Set("Content-Type", "application/json")
			}
			if tc.user != nil {
				r = r.WithContext(auth.WithUser(r.Context(), *tc.user))
			}
			w := httptest.NewRecorder()
			h(w, r)
			if w.Code != tc.status || w.Header().Get("Location") != tc.location {
				t.Fatalf("HTTP %d to %q; want %d to %q", w.Code, w.Header().Get("Location"), tc.status, tc.location)
			}
			switch {
			case tc.status == http.StatusOK && w.Body.String() != "welcome":
				t.Errorf("body %q; want the page", w.Body)
			case tc.status == http.StatusForbidden && !tc.json && !strings.HasPrefix(tc.path, "/api/") &&
				!strings.Contains(w.Body.String(), s.strings["sv"]["signin_forbidden_text"]):
				t.Errorf("the 403 page does not say why")
			}
		})
	}
}

package auth_test

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/nyisverige/lots/retrieval/store/storetest"
	"github.com/nyisverige/lots/web/auth"
)

func newAccounts(t *testing.T) (*auth.Accounts, *pgxpool.Pool) {
	t.Helper()
	pool := storetest.New(t).Pool()
	return auth.NewAccounts(pool, slog.New(slog.DiscardHandler), auth.AccountsConfig{}), pool
}

func TestSessions(t *testing.T) {
	ctx := context.Background()
	a, pool := newAccounts(t)
	u, err := a.CreateUser(ctx, "ar")
	if err != nil {
		t.Fatal(err)
	}
	token, expires, err := a.StartSession(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(token) < 43 || time.Until(expires) <= 0 {
		t.Fatalf("session token %d characters expiring %v; want 32 random bytes, in the future", len(token), expires)
	}
	var stored int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM sessions WHERE token_hash = $1`, []byte(token)).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if stored != 0 {
		t.Error("the sessions table holds the token itself; want only its hash")
	}

	t.Run("the token signs in", func(t *testing.T) {
		got, err := a.Session(ctx, token)
		if err != nil {
			t.Fatal(err)
		}
		if got.ID != u.ID || got.Language != "ar" {
			t.Errorf("session user %+v; want %s speaking ar", got, u.ID)
		}
	})
	t.Run("an unknown token does not", func(t *testing.T) {
		for _, bad := range []string{"", "x", token + "x", strings.ToUpper(token)} {
			if _, err := a.Session(ctx, bad); !errors.Is(err, auth.ErrNoSession) {
				t.Errorf("Session(%.10q…) = %v; want ErrNoSession", bad, err)
			}
		}
	})
	t.Run("use moves the idle expiry, never past the maximum", func(t *testing.T) {
		// A session signed in 6 days 20 hours ago, last used an hour ago: the next use may keep it
		// only to its seventh day.
		if _, err := pool.Exec(ctx, `UPDATE sessions SET created_at = now() - interval '164 hours',
			last_seen_at = now() - interval '1 hour', expires_at = now() + interval '7 hours'`); err != nil {
			t.Fatal(err)
		}
		if _, err := a.Session(ctx, token); err != nil {
			t.Fatal(err)
		}
		var left time.Duration
		if err := pool.QueryRow(ctx, `SELECT expires_at - now() FROM sessions`).Scan(&left); err != nil {
			t.Fatal(err)
		}
		if left > 4*time.Hour+time.Minute || left < 3*time.Hour {
			t.Errorf("after use the session has %v left; want the 4 hours to its seventh day", left)
		}
	})
	t.Run("an expired session is refused", func(t *testing.T) {
		if _, err := pool.Exec(ctx, `UPDATE sessions SET expires_at = now() - interval '1 second'`); err != nil {
			t.Fatal(err)
		}
		if _, err := a.Session(ctx, token); !errors.Is(err, auth.ErrNoSession) {
			t.Fatalf("expired session: %v; want ErrNoSession", err)
		}
	})
	t.Run("sign out ends one session, sign out everywhere all", func(t *testing.T) {
		t1, _, _ := a.StartSession(ctx, u.ID)
		t2, _, _ := a.StartSession(ctx, u.ID)
		t3, _, _ := a.StartSession(ctx, u.ID)
		if err := a.EndSession(ctx, t1); err != nil {
			t.Fatal(err)
		}
		if _, err := a.Session(ctx, t1); !errors.Is(err, auth.ErrNoSession) {
			t.Errorf("signed-out session: %v; want ErrNoSession", err)
		}
		if _, err := a.Session(ctx, t2); err != nil {
			t.Errorf("another session ended with the first: %v", err)
		}
		if err := a.EndSessions(ctx, u.ID); err != nil {
			t.Fatal(err)
		}
		for _, tok := range []string{t2, t3} {
			if _, err := a.Session(ctx, tok); !errors.Is(err, auth.ErrNoSession) {
				t.Errorf("after sign out everywhere: %v; want ErrNoSession", err)
			}
		}
	})
	t.Run("deleting the user ends their sessions", func(t *testing.T) {
		tok, _, _ := a.StartSession(ctx, u.ID)
		if err := a.DeleteUser(ctx, u.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := a.Session(ctx, tok); !errors.Is(err, auth.ErrNoSession) {
			t.Errorf("session of a deleted user: %v; want ErrNoSession", err)
		}
	})
}

func TestRecoveryCodes(t *testing.T) {
	ctx := context.Background()
	a, _ := newAccounts(t)
	u, _ := a.CreateUser(ctx, "so")
	codes, err := a.NewRecoveryCodes(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(codes) != auth.RecoveryCodeCount {
		t.Fatalf("%d codes; want %d", len(codes), auth.RecoveryCodeCount)
	}
	if len(slices.Compact(slices.Sorted(slices.Values(codes)))) != len(codes) {
		t.Errorf("codes repeat: %q", codes)
	}
	for _, c := range codes {
		if len(c) != 19 || strings.Count(c, "-") != 3 || strings.ContainsAny(c, "01ILO") {
			t.Errorf("code %q: want four groups of four symbols, none of 0 1 I L O", c)
		}
	}

	wrong := []byte(codes[3])
	wrong[18] = map[bool]byte{true: '3', false: '2'}[wrong[18] == '2']
	cases := []struct {
		name  string
		typed string
		want  error
	}{
		{"as shown", codes[0], nil},
		{"a second time", codes[0], auth.ErrBadCode},
		{"typed in lower case with spaces", strings.ToLower(strings.ReplaceAll(codes[1], "-", " ")), nil},
		{"without dashes", strings.ReplaceAll(codes[2], "-", ""), nil},
		{"one symbol wrong", string(wrong), auth.ErrBadCode},
		{"empty", "", auth.ErrBadCode},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := a.UseRecoveryCode(ctx, tc.typed)
			if !errors.Is(err, tc.want) {
				t.Fatalf("UseRecoveryCode: %v; want %v", err, tc.want)
			}
			if err == nil && got != u.ID {
				t.Errorf("the code signed in %s; want %s", got, u.ID)
			}
		})
	}
	if left, _ := a.RecoveryCodesLeft(ctx, u.ID); left != auth.RecoveryCodeCount-3 {
		t.Errorf("%d codes left after using 3; want %d", left, auth.RecoveryCodeCount-3)
	}
	t.Run("new codes replace the old", func(t *testing.T) {
		fresh, err := a.NewRecoveryCodes(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.UseRecoveryCode(ctx, codes[4]); !errors.Is(err, auth.ErrBadCode) {
			t.Errorf("an old code after regenerating: %v; want ErrBadCode", err)
		}
		if _, err := a.UseRecoveryCode(ctx, fresh[0]); err != nil {
			t.Errorf("a new code: %v", err)
		}
	})
}

func TestFlows(t *testing.T) {
	ctx := context.Background()
	a, pool := newAccounts(t)
	type state struct{ Nonce string }
	token, err := a.SaveFlow(ctx, auth.FlowOIDC, state{Nonce: "n1"})
	if err != nil {
		t.Fatal(err)
	}
	t.Run("another kind's token is refused and used up", func(t *testing.T) {
		other, _ := a.SaveFlow(ctx, auth.FlowPasskeyLogin, state{})
		var s state
		if err := a.TakeFlow(ctx, auth.FlowOIDC, other, &s); !errors.Is(err, auth.ErrFlowExpired) {
			t.Errorf("TakeFlow of another kind: %v; want ErrFlowExpired", err)
		}
		if err := a.TakeFlow(ctx, auth.FlowPasskeyLogin, other, &s); !errors.Is(err, auth.ErrFlowExpired) {
			t.Errorf("TakeFlow after a wrong try: %v; want ErrFlowExpired", err)
		}
	})
	t.Run("taken once", func(t *testing.T) {
		var s state
		if err := a.TakeFlow(ctx, auth.FlowOIDC, token, &s); err != nil || s.Nonce != "n1" {
			t.Fatalf("TakeFlow = %+v, %v; want the saved state", s, err)
		}
		if err := a.TakeFlow(ctx, auth.FlowOIDC, token, &s); !errors.Is(err, auth.ErrFlowExpired) {
			t.Errorf("TakeFlow again: %v; want ErrFlowExpired", err)
		}
	})
	t.Run("expired", func(t *testing.T) {
		old, _ := a.SaveFlow(ctx, auth.FlowOIDC, state{})
		if _, err := pool.Exec(ctx, `UPDATE signin_flows SET expires_at = now() - interval '1 second'`); err != nil {
			t.Fatal(err)
		}
		var s state
		if err := a.TakeFlow(ctx, auth.FlowOIDC, old, &s); !errors.Is(err, auth.ErrFlowExpired) {
			t.Errorf("TakeFlow of an expired flow: %v; want ErrFlowExpired", err)
		}
	})
}

func TestGrants(t *testing.T) {
	ctx := context.Background()
	a, pool := newAccounts(t)
	staff, _ := a.CreateUser(ctx, "sv")
	if _, err := pool.Exec(ctx, `UPDATE users SET email = 'anna@skatteverket.se' WHERE id = $1`, staff.ID); err != nil {
		t.Fatal(err)
	}

	bad := []struct {
		name  string
		email string
		role  auth.Role
	}{
		{"not an e-mail address", "anna", auth.Role{Name: auth.RoleAdmin}},
		{"an address with a name", "Anna <anna@skatteverket.se>", auth.Role{Name: auth.RoleAdmin}},
		{"steward without an agency", "anna@skatteverket.se", auth.Role{Name: auth.RoleSteward}},
		{"admin of one agency", "anna@skatteverket.se", auth.Role{Name: auth.RoleAdmin, Agency: "skatteverket"}},
		{"unknown role", "anna@skatteverket.se", auth.Role{Name: "owner"}},
	}
	for _, tc := range bad {
		t.Run("refused: "+tc.name, func(t *testing.T) {
			if err := a.Grant(ctx, tc.email, tc.role, "cli:test"); err == nil {
				t.Error("Grant succeeded; want an error")
			}
		})
	}

	t.Run("granted at once to a user who has signed in", func(t *testing.T) {
		if err := a.Grant(ctx, " Anna@Skatteverket.se ", auth.Role{Name: auth.RoleSteward, Agency: "skatteverket"}, "cli:test"); err != nil {
			t.Fatal(err)
		}
		u, _ := a.User(ctx, staff.ID)
		if !u.CanSteward("skatteverket") || u.CanSteward("csn") || u.IsAdmin() {
			t.Errorf("roles %+v; want steward of skatteverket only", u.Roles)
		}
	})
	t.Run("pending for an address nobody has signed in with", func(t *testing.T) {
		if err := a.Grant(ctx, "boss@lots.example", auth.Role{Name: auth.RoleAdmin}, "cli:test"); err != nil {
			t.Fatal(err)
		}
		grants, err := a.Grants(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(grants) != 2 {
			t.Fatalf("grants %+v; want 2", grants)
		}
		if g := grants[0]; g.Email != "anna@skatteverket.se" || !g.Active || g.UserID != staff.ID {
			t.Errorf("first grant %+v; want Anna's, active", g)
		}
		if g := grants[1]; g.Email != "boss@lots.example" || g.Active || g.UserID != "" || g.GrantedBy != "cli:test" {
			t.Errorf("second grant %+v; want the pending admin", g)
		}
	})
	t.Run("revoked from the grant and the user", func(t *testing.T) {
		if err := a.Revoke(ctx, "anna@skatteverket.se", auth.Role{Name: auth.RoleSteward, Agency: "skatteverket"}, "cli:test"); err != nil {
			t.Fatal(err)
		}
		if u, _ := a.User(ctx, staff.ID); u.IsStaff() {
			t.Errorf("roles after revoking %+v; want none", u.Roles)
		}
		if err := a.Revoke(ctx, "anna@skatteverket.se", auth.Role{Name: auth.RoleSteward, Agency: "skatteverket"}, "cli:test"); !errors.Is(err, auth.ErrNoGrant) {
			t.Errorf("revoking again: %v; want ErrNoGrant", err)
		}
	})
	t.Run("the audit log has the grants, without e-mail addresses", func(t *testing.T) {
		entries, err := a.Audit().List(ctx, auth.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		var actions []string
		for _, e := range entries {
			actions = append(actions, e.Action)
			if strings.Contains(e.Actor+e.SubjectID+e.Agency+e.OwnerID, "@") || len(e.Detail) > 0 && strings.Contains(stringify(e.Detail), "@") {
				t.Errorf("audit entry %+v holds an e-mail address", e)
			}
		}
		if !slices.Contains(actions, "role.grant") || !slices.Contains(actions, "role.revoke") {
			t.Errorf("audit actions %q; want role.grant and role.revoke", actions)
		}
	})
}

func stringify(m map[string]any) string {
	var b strings.Builder
	for k, v := range m {
		b.WriteString(k)
		if s, ok := v.(string); ok {
			b.WriteString(s)
		}
	}
	return b.String()
}

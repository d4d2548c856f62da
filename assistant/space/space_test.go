package space_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/nyisverige/lots/assistant/space"
	"github.com/nyisverige/lots/retrieval/store/storetest"
)

const identityNumber = "19900101-1234"

// fixture is a fresh database with the own space, a process and two users.
type fixture struct {
	pool  *pgxpool.Pool
	space *space.Store
	alice string
	bob   string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	pool := storetest.New(t).Pool()
	sealer, err := space.NewSealer(randomKey())
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{pool: pool, space: space.New(pool, sealer, time.Hour)}
	exec(t, pool, `INSERT INTO processes (id, agency, definition) VALUES ('personal-identity-number', 'Skatteverket', '{}')`)
	f.alice = newUser(t, pool, "alice@example.org")
	f.bob = newUser(t, pool, "bob@example.org")
	return f
}

func randomKey() []byte {
	k := make([]byte, space.KeySize)
	rand.Read(k)
	return k
}

func newUser(t *testing.T, pool *pgxpool.Pool, email string) string {
	t.Helper()
	var id string
	if err := pool.QueryRow(t.Context(), "INSERT INTO users (email) VALUES ($1) RETURNING id::text", email).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

func exec(t *testing.T, pool *pgxpool.Pool, sql string, args ...any) {
	t.Helper()
	if _, err := pool.Exec(t.Context(), sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

func count(t *testing.T, pool *pgxpool.Pool, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := pool.QueryRow(t.Context(), sql, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

func newDraft() space.NewDraft {
	return space.NewDraft{
		ProcessID: "personal-identity-number", Language: "sv",
		Fields:    map[string]string{"arrival_date": "2025-03-01", "municipality": "Malmö", "identity_number": identityNumber},
		Sensitive: []string{"identity_number"},
	}
}

func TestSealer(t *testing.T) {
	old, current := randomKey(), randomKey()
	before, err := space.NewSealer(old)
	if err != nil {
		t.Fatal(err)
	}
	sealed := before.Seal([]byte(identityNumber), "draft:1")
	if bytes.Contains(sealed, []byte(identityNumber)) {
		t.Fatal("the sealed value holds the plain text")
	}
	rotated, err := space.NewSealer(current, old)
	if err != nil {
		t.Fatal(err)
	}
	onlyNew, err := space.NewSealer(current)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		sealer *space.Sealer
		sealed []byte
		bound  string
		ok     bool
	}{
		{"same key", before, sealed, "draft:1", true},
		{"previous key after rotation", rotated, sealed, "draft:1", true},
		{"retired key", onlyNew, sealed, "draft:1", false},
		{"moved to another draft", before, sealed, "draft:2", false},
		{"tampered", before, append(bytes.Clone(sealed[:len(sealed)-1]), sealed[len(sealed)-1]^1), "draft:1", false},
		{"truncated", before, sealed[:8], "draft:1", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			plain, err := tc.sealer.Open(tc.sealed, tc.bound)
			if tc.ok && (err != nil || string(plain) != identityNumber) {
				t.Fatalf("Open = %q, %v; want %q", plain, err, identityNumber)
			}
			if !tc.ok && !errors.Is(err, space.ErrSealed) {
				t.Fatalf("Open = %q, %v; want ErrSealed", plain, err)
			}
		})
	}
	if _, err := space.NewSealer([]byte("too short")); err == nil {
		t.Error("a 9-byte key was accepted")
	}
}

func TestDraftsAreTheirOwnersOnly(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	d, err := f.space.CreateDraft(ctx, f.alice, newDraft())
	if err != nil {
		t.Fatal(err)
	}
	got, err := f.space.Draft(ctx, f.alice, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Fields["identity_number"] != identityNumber || got.Fields["municipality"] != "Malmö" || got.Status != space.StatusDraft {
		t.Fatalf("Alice reads %+v", got)
	}
	if len(got.Sealed) != 1 || got.Sealed[0] != "identity_number" {
		t.Errorf("sealed fields %q; want [identity_number]", got.Sealed)
	}

	bobs := []struct {
		name string
		do   func() error
	}{
		{"read", func() error { _, err := f.space.Draft(ctx, f.bob, d.ID); return err }},
		{"update", func() error {
			_, err := f.space.UpdateDraft(ctx, f.bob, d.ID, space.Update{Fields: map[string]string{"municipality": "Lund"}})
			return err
		}},
		{"mark ready", func() error { return f.space.SetStatus(ctx, f.bob, d.ID, space.StatusReady) }},
		{"delete", func() error { return f.space.DeleteDraft(ctx, f.bob, d.ID) }},
		{"malformed id", func() error { _, err := f.space.Draft(ctx, f.alice, "not-a-uuid"); return err }},
	}
	for _, tc := range bobs {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.do(); !errors.Is(err, space.ErrNotFound) {
				t.Fatalf("got %v; want ErrNotFound", err)
			}
		})
	}
	if list, err := f.space.Drafts(ctx, f.bob); err != nil || len(list) != 0 {
		t.Errorf("Bob's list: %v, %v; want none", list, err)
	}
	after, err := f.space.Draft(ctx, f.alice, d.ID)
	if err != nil || after.Fields["municipality"] != "Malmö" || after.Status != space.StatusDraft {
		t.Errorf("after Bob's attempts Alice's draft is %+v, %v", after, err)
	}
	list, err := f.space.Drafts(ctx, f.alice)
	if err != nil || len(list) != 1 {
		t.Fatalf("Alice's list: %v, %v", list, err)
	}
	if _, ok := list[0].Fields["identity_number"]; ok {
		t.Error("the list of drafts opened the sealed identity number")
	}
	if n := count(t, f.pool, "SELECT count(*) FROM consents WHERE user_id = $1 AND purpose = 'drafts' AND withdrawn_at IS NULL", f.alice); n != 1 {
		t.Errorf("consent to drafts recorded %d times; want once", n)
	}
}

func TestIdentityNumberIsNotInTheDatabase(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	d, err := f.space.CreateDraft(ctx, f.alice, newDraft())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.space.CreateHandoff(ctx, newDraft()); err != nil {
		t.Fatal(err)
	}
	for _, table := range []string{"drafts", "handoffs"} {
		// The whole row as text, bytea in hex and in escape form.
		n := count(t, f.pool, "SELECT count(*) FROM "+table+" t WHERE t::text LIKE '%' || $1 || '%' OR position(convert_to($1, 'UTF8') in t.sealed) > 0",
			identityNumber)
		if n != 0 {
			t.Errorf("%s: %d rows hold the identity number in plain text", table, n)
		}
	}
	if n := count(t, f.pool, "SELECT count(*) FROM drafts WHERE id = $1 AND sealed IS NOT NULL AND NOT fields ? 'identity_number'", d.ID); n != 1 {
		t.Error("the identity number is not in the sealed column")
	}

	// Editing keeps it sealed; clearing it removes it.
	u := space.Update{Fields: map[string]string{"identity_number": "20000101-0000", "municipality": "Lund"}, Sensitive: []string{"identity_number"}}
	if _, err := f.space.UpdateDraft(ctx, f.alice, d.ID, u); err != nil {
		t.Fatal(err)
	}
	if n := count(t, f.pool, "SELECT count(*) FROM drafts t WHERE t::text LIKE '%20000101-0000%'"); n != 0 {
		t.Error("the edited identity number is in plain text")
	}
	got, err := f.space.UpdateDraft(ctx, f.alice, d.ID, space.Update{Fields: map[string]string{"municipality": "Lund"}, Sensitive: []string{"identity_number"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := got.Fields["identity_number"]; ok || count(t, f.pool, "SELECT count(*) FROM drafts WHERE sealed IS NOT NULL") != 0 {
		t.Errorf("a cleared identity number is still kept: %v", got.Fields)
	}
}

func TestHandoffIsClaimedOnce(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	token, err := f.space.CreateHandoff(ctx, newDraft())
	if err != nil {
		t.Fatal(err)
	}
	if n := count(t, f.pool, "SELECT count(*) FROM handoffs t WHERE t::text LIKE '%' || $1 || '%'", token); n != 0 {
		t.Error("the handoff's token is stored as it is, not hashed")
	}
	d, err := f.space.ClaimHandoff(ctx, token, f.alice)
	if err != nil {
		t.Fatal(err)
	}
	if d.Fields["identity_number"] != identityNumber || d.Fields["arrival_date"] != "2025-03-01" || d.ProcessID != "personal-identity-number" {
		t.Errorf("claimed draft %+v", d)
	}
	if _, err := f.space.ClaimHandoff(ctx, token, f.bob); !errors.Is(err, space.ErrNotFound) {
		t.Errorf("claiming again: %v; want ErrNotFound", err)
	}
	if n := count(t, f.pool, "SELECT count(*) FROM handoffs"); n != 0 {
		t.Errorf("%d handoffs left after the claim", n)
	}

	expired, err := f.space.CreateHandoff(ctx, newDraft())
	if err != nil {
		t.Fatal(err)
	}
	exec(t, f.pool, "UPDATE handoffs SET expires_at = now() - interval '1 second'")
	if _, err := f.space.ClaimHandoff(ctx, expired, f.alice); !errors.Is(err, space.ErrNotFound) {
		t.Errorf("claiming an expired handoff: %v; want ErrNotFound", err)
	}
	if _, err := f.space.ClaimHandoff(ctx, "made-up", f.alice); !errors.Is(err, space.ErrNotFound) {
		t.Errorf("claiming a made-up token: %v; want ErrNotFound", err)
	}
}

func TestRetention(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	abandoned, _ := f.space.CreateDraft(ctx, f.alice, newDraft())
	ready, _ := f.space.CreateDraft(ctx, f.alice, newDraft())
	handedOff, _ := f.space.CreateDraft(ctx, f.alice, newDraft())
	fresh, _ := f.space.CreateDraft(ctx, f.alice, newDraft())
	if err := f.space.SetStatus(ctx, f.alice, ready.ID, space.StatusReady); err != nil {
		t.Fatal(err)
	}
	if err := f.space.SetStatus(ctx, f.alice, handedOff.ID, space.StatusHandedOff); err != nil {
		t.Fatal(err)
	}
	exec(t, f.pool, "UPDATE drafts SET updated_at = now() - interval '100 days' WHERE id = ANY ($1::uuid[])",
		[]string{abandoned.ID, ready.ID, handedOff.ID})
	if _, err := f.space.CreateHandoff(ctx, newDraft()); err != nil {
		t.Fatal(err)
	}
	live, _ := f.space.CreateHandoff(ctx, newDraft())
	exec(t, f.pool, "UPDATE handoffs SET expires_at = now() - interval '1 minute' WHERE token_hash = (SELECT token_hash FROM handoffs ORDER BY created_at LIMIT 1)")

	drafts, handoffs, err := f.space.Retain(ctx, space.DefaultAbandonAfter)
	if err != nil {
		t.Fatal(err)
	}
	if drafts != 2 || handoffs != 1 {
		t.Errorf("retention deleted %d drafts and %d handoffs; want 2 and 1", drafts, handoffs)
	}
	for _, tc := range []struct {
		name string
		id   string
		kept bool
	}{{"abandoned draft", abandoned.ID, false}, {"abandoned ready draft", ready.ID, false},
		{"handed off long ago", handedOff.ID, true}, {"fresh draft", fresh.ID, true}} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.space.Draft(ctx, f.alice, tc.id)
			if tc.kept && err != nil || !tc.kept && !errors.Is(err, space.ErrNotFound) {
				t.Errorf("after retention: %v; kept should be %v", err, tc.kept)
			}
		})
	}
	if _, err := f.space.ClaimHandoff(ctx, live, f.bob); err != nil {
		t.Errorf("the live handoff went: %v", err)
	}
}

func TestReseal(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	old := randomKey()
	oldSealer, _ := space.NewSealer(old)
	before := space.New(f.pool, oldSealer, time.Hour)
	d, err := before.CreateDraft(ctx, f.alice, newDraft())
	if err != nil {
		t.Fatal(err)
	}
	token, err := before.CreateHandoff(ctx, newDraft())
	if err != nil {
		t.Fatal(err)
	}
	current := randomKey()
	rotated, _ := space.NewSealer(current, old)
	n, err := space.New(f.pool, rotated, time.Hour).Reseal(ctx)
	if err != nil || n != 2 {
		t.Fatalf("Reseal = %d, %v; want 2", n, err)
	}
	onlyNew, _ := space.NewSealer(current)
	after := space.New(f.pool, onlyNew, time.Hour)
	if got, err := after.Draft(ctx, f.alice, d.ID); err != nil || got.Fields["identity_number"] != identityNumber {
		t.Errorf("after resealing, the new key alone reads %v, %v", got.Fields, err)
	}
	if got, err := after.ClaimHandoff(ctx, token, f.bob); err != nil || got.Fields["identity_number"] != identityNumber {
		t.Errorf("after resealing, the new key alone claims %v, %v", got.Fields, err)
	}
}

func TestWithdrawDraftsConsentDeletesDrafts(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if _, err := f.space.CreateDraft(ctx, f.alice, newDraft()); err != nil {
		t.Fatal(err)
	}
	if _, err := f.space.CreateDraft(ctx, f.bob, newDraft()); err != nil {
		t.Fatal(err)
	}
	if err := f.space.Withdraw(ctx, f.alice, space.PurposeDrafts); err != nil {
		t.Fatal(err)
	}
	if n := count(t, f.pool, "SELECT count(*) FROM drafts WHERE user_id = $1", f.alice); n != 0 {
		t.Errorf("%d drafts left after withdrawing consent", n)
	}
	if n := count(t, f.pool, "SELECT count(*) FROM drafts WHERE user_id = $1", f.bob); n != 1 {
		t.Errorf("Bob has %d drafts after Alice withdrew; want 1", n)
	}
	cs, err := f.space.Consents(ctx, f.alice)
	if err != nil || len(cs) != 1 || cs[0].Active() {
		t.Errorf("consents after withdrawal: %+v, %v; want one withdrawn", cs, err)
	}
}

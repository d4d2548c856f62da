package space_test

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/nyisverige/lots/assistant"
	"github.com/nyisverige/lots/assistant/space"
	"github.com/nyisverige/lots/assistant/space/spacetest"
)

// personalTables are the tables that hold rows about a person, each with what the export must
// show of the row seeded for Alice. A table missing from here and from otherTables fails the
// test: whoever adds a table decides whether it holds personal data, and exports it if so.
var personalTables = map[string]string{
	"users":               "alice@example.org",
	"user_identities":     "alice-subject-7431",
	"passkeys":            base64.RawURLEncoding.EncodeToString([]byte("alice-passkey")),
	"recovery_codes":      `"unused": 2`,
	"sessions":            "2031-01-02T03:04:05Z", // the session's expiry
	"user_roles":          `"agency": "Skatteverket"`,
	"role_grants":         "grantor@example.org",
	"consents":            `"purpose": "conversations"`,
	"drafts":              identityNumber, // sealed in the table, opened in the export
	"saved_conversations": `"saved_at"`,
	"conversations":       `"saved_conversations"`,
	"turns":               "Var bor Alices katt Smulan?",
	"feedback":            "Smulans kommentar",
	"audit_log":           `"action": "draft.read"`,
}

// otherTables hold no rows about a person: agency content, the index, staff work (which names its
// staff by e-mail in *_by columns: the export counts those, NamedIn), handoffs not yet claimed
// (anonymous until someone signs in) and sign-ins under way (minutes, anonymous).
var otherTables = []string{
	"schema_migrations", "sources", "crawl_runs", "crawl_urls", "pages", "index_versions", "chunks", "processes",
	"handoffs", "jobs", "page_changes", "page_exclusions", "index_evals", "passage_rules", "signin_flows",
}

// seedEverything gives the user a row in every personal table, and returns strings that only
// that data holds.
func seedEverything(t *testing.T, f *fixture, userID, email, who string) []string {
	t.Helper()
	ctx := t.Context()
	exec(t, f.pool, "INSERT INTO user_identities (issuer, subject, user_id) VALUES ('https://id.example', $1, $2)", who+"-subject-7431", userID)
	exec(t, f.pool, "INSERT INTO passkeys (id, user_id, credential) VALUES ($1, $2, '{}')", []byte(who+"-passkey"), userID)
	exec(t, f.pool, "INSERT INTO recovery_codes (code_hash, user_id) VALUES ($1, $3), ($2, $3)", []byte(who+"1"), []byte(who+"2"), userID)
	exec(t, f.pool, "INSERT INTO sessions (token_hash, user_id, expires_at) VALUES ($1, $2, '2031-01-02T03:04:05Z')", []byte(who+"-session"), userID)
	exec(t, f.pool, "INSERT INTO user_roles (user_id, role, agency) VALUES ($1, 'steward', 'Skatteverket')", userID)
	exec(t, f.pool, "INSERT INTO role_grants (email, role, agency, granted_by) VALUES ($1, 'steward', 'Migrationsverket', 'grantor@example.org')", email)
	exec(t, f.pool, "INSERT INTO page_exclusions (url, created_by) VALUES ($1, $2)", "https://example.org/"+who, email)
	d := newDraft()
	d.Fields["municipality"] = who + "-kommun"
	draft, err := f.space.CreateDraft(ctx, userID, d)
	if err != nil {
		t.Fatal(err)
	}
	convs := assistant.NewConversations(f.pool, time.Hour)
	conv := spacetest.NewUUID(t, f.pool)
	if err := convs.Start(ctx, conv, "sv"); err != nil {
		t.Fatal(err)
	}
	question := "Var bor " + who + "s katt Smulan?"
	if strings.EqualFold(who, "alice") {
		question = "Var bor Alices katt Smulan?"
	}
	turn, err := convs.AddTurn(ctx, conv, assistant.Turn{AnswerID: spacetest.NewUUID(t, f.pool), Question: question, Language: "sv",
		Answer: "Det vet inte Skatteverket.", Citations: []assistant.Citation{}})
	if err != nil {
		t.Fatal(err)
	}
	if err := convs.SaveFeedback(ctx, turn.AnswerID, "not_helpful", "Smulans kommentar "+who); err != nil {
		t.Fatal(err)
	}
	if err := f.space.SaveConversation(ctx, userID, conv); err != nil {
		t.Fatal(err)
	}
	exec(t, f.pool, `INSERT INTO audit_log (actor_id, actor, action, subject_type, subject_id, owner_id)
		VALUES ($1, 'self', 'draft.read', 'draft', $2, $1)`, userID, draft.ID)
	return []string{userID, email, who + "-subject-7431", who + "-kommun", question, "Smulans kommentar " + who, conv, draft.ID}
}

func TestExportHoldsEveryTable(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	seedEverything(t, f, f.alice, "alice@example.org", "alice")
	seedEverything(t, f, f.bob, "bob@example.org", "bob")

	e, err := f.space.Export(ctx, f.alice)
	if err != nil {
		t.Fatal(err)
	}
	b, err := space.MarshalExport(e)
	if err != nil {
		t.Fatal(err)
	}
	export := string(b)
	for _, table := range spacetest.Tables(t, f.pool) {
		t.Run(table, func(t *testing.T) {
			want, personal := personalTables[table]
			switch {
			case personal:
				if !strings.Contains(export, want) {
					t.Errorf("the export does not show Alice's %s row (%q)", table, want)
				}
			case !slices.Contains(otherTables, table):
				t.Errorf("table %s is new: if it holds rows about a person, add them to space.Export and DeleteAll and the table to personalTables; if not, to otherTables", table)
			}
		})
	}
	// Every table that refers to users is a personal one.
	rows, err := f.pool.Query(ctx, `SELECT DISTINCT tc.table_name::text FROM information_schema.table_constraints tc
		JOIN information_schema.constraint_column_usage cu ON cu.constraint_name = tc.constraint_name AND cu.table_schema = tc.table_schema
		WHERE tc.constraint_type = 'FOREIGN KEY' AND cu.table_name = 'users' AND tc.table_schema = current_schema()`)
	if err != nil {
		t.Fatal(err)
	}
	refs, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	for _, table := range refs {
		if _, ok := personalTables[table]; !ok {
			t.Errorf("table %s refers to users but is not in personalTables", table)
		}
	}
	if !slices.Contains(e.NamedIn, space.NamedIn{Table: "page_exclusions", Column: "created_by", Rows: 1}) {
		t.Errorf("the export does not count the work record naming Alice: %+v", e.NamedIn)
	}
	for _, bobs := range []string{"bob@example.org", "bob-subject-7431", "bob-kommun", "bobs katt", "Smulans kommentar bob"} {
		if strings.Contains(export, bobs) {
			t.Errorf("Alice's export holds Bob's %q", bobs)
		}
	}
	if len(e.Drafts) != 1 || e.Drafts[0].Fields["municipality"] != "alice-kommun" || len(e.SavedConversations) != 1 ||
		len(e.SavedConversations[0].Turns) != 1 || e.SavedConversations[0].Turns[0].Feedback == nil {
		t.Errorf("export: %s", export)
	}
	var generic map[string]any
	if err := json.Unmarshal(b, &generic); err != nil {
		t.Fatalf("the export is not JSON: %v", err)
	}
}

func TestDeleteAllLeavesNothing(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	alices := seedEverything(t, f, f.alice, "alice@example.org", "alice")
	bobs := seedEverything(t, f, f.bob, "bob@example.org", "bob")
	// Alice, a steward, read Bob's draft: the record stays, without her.
	exec(t, f.pool, `INSERT INTO audit_log (actor_id, actor, action, subject_type, subject_id, owner_id, detail)
		VALUES ($1, 'alice@example.org', 'draft.read', 'draft', $2, $3, jsonb_build_object('by', $4::text))`, f.alice, bobs[7], f.bob, f.alice)

	if err := f.space.DeleteAll(ctx, f.alice); err != nil {
		t.Fatal(err)
	}
	for _, value := range alices {
		for table, n := range spacetest.Holding(t, f.pool, value) {
			t.Errorf("after deleting Alice, %d rows of %s still hold %q", n, table, value)
		}
	}
	// Bob keeps all of his, and the record of Alice's read of his draft.
	e, err := f.space.Export(ctx, f.bob)
	if err != nil {
		t.Fatal(err)
	}
	if len(e.Drafts) != 1 || len(e.SavedConversations) != 1 || len(e.Sessions) != 1 || len(e.Audit) != 2 {
		t.Errorf("Bob's data after Alice's deletion: %d drafts, %d conversations, %d sessions, %d audit entries; want 1, 1, 1, 2",
			len(e.Drafts), len(e.SavedConversations), len(e.Sessions), len(e.Audit))
	}
	if _, err := f.space.Export(ctx, f.alice); !errors.Is(err, space.ErrNotFound) {
		t.Errorf("exporting a deleted account: %v; want ErrNotFound", err)
	}
	if err := f.space.DeleteAll(ctx, f.alice); !errors.Is(err, space.ErrNotFound) {
		t.Errorf("deleting twice: %v; want ErrNotFound", err)
	}
}

func TestSavedConversationOutlivesRetention(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	convs := assistant.NewConversations(f.pool, time.Hour)
	conv := spacetest.NewUUID(t, f.pool)
	if err := convs.Start(ctx, conv, "ar"); err != nil {
		t.Fatal(err)
	}
	if err := f.space.SaveConversation(ctx, f.alice, conv); err != nil {
		t.Fatal(err)
	}
	// An hour and more later the chat's retention runs.
	exec(t, f.pool, "UPDATE conversations SET updated_at = now() - interval '2 hours', created_at = now() - interval '2 hours'")
	if _, err := convs.DeleteExpired(ctx); err != nil {
		t.Fatal(err)
	}
	if _, _, err := convs.Turns(ctx, conv); err != nil {
		t.Fatalf("the saved conversation is gone after retention: %v", err)
	}
	saved, err := f.space.SavedConversations(ctx, f.alice)
	if err != nil || len(saved) != 1 || saved[0].Language != "ar" {
		t.Fatalf("saved conversations: %+v, %v", saved, err)
	}
	if others, _ := f.space.SavedConversations(ctx, f.bob); len(others) != 0 {
		t.Errorf("Bob sees Alice's saved conversations: %+v", others)
	}
	if err := f.space.UnsaveConversation(ctx, f.bob, conv); !errors.Is(err, space.ErrNotFound) {
		t.Errorf("Bob unsaving Alice's conversation: %v; want ErrNotFound", err)
	}
	// Unsaved, it expires as usual: its last turn was two hours ago, so at once.
	if err := f.space.UnsaveConversation(ctx, f.alice, conv); err != nil {
		t.Fatal(err)
	}
	if n, err := convs.DeleteExpired(ctx); err != nil || n != 1 {
		t.Errorf("retention after unsaving deleted %d, %v; want the conversation", n, err)
	}
	for _, id := range []string{spacetest.NewUUID(t, f.pool), "not-a-uuid"} {
		if err := f.space.SaveConversation(ctx, f.alice, id); !errors.Is(err, space.ErrNotFound) {
			t.Errorf("saving conversation %q that does not exist: %v; want ErrNotFound", id, err)
		}
	}
}

package space

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Export is everything Lots holds about a user, as they download it.
type Export struct {
	ExportedAt         time.Time           `json:"exported_at"`
	Account            Account             `json:"account"`
	Identities         []Identity          `json:"identities"`
	Passkeys           []Passkey           `json:"passkeys"`
	RecoveryCodes      RecoveryCodes       `json:"recovery_codes"`
	Sessions           []Session           `json:"sessions"`
	Roles              []Role              `json:"roles"`
	RoleGrants         []Role              `json:"role_grants"` // roles granted to the user's e-mail address
	Consents           []Consent           `json:"consents"`
	Drafts             []Draft             `json:"drafts"`
	SavedConversations []SavedConversation `json:"saved_conversations"`
	Audit              []AuditEntry        `json:"audit_log"` // reads and changes of the user's data, and their own actions
	// NamedIn counts the work records (crawl jobs, reviewed changes, index versions…) that name a
	// staff member by e-mail as who made them.
	NamedIn []NamedIn `json:"named_in"`
}

// NamedIn is how many rows of a table name the user (by e-mail) in a column such as created_by.
type NamedIn struct {
	Table  string `json:"table"`
	Column string `json:"column"`
	Rows   int    `json:"rows"`
}

// Account is the user's row.
type Account struct {
	ID         string    `json:"id"`
	Language   string    `json:"language"`
	Email      string    `json:"email,omitempty"`
	CreatedAt  time.Time `json:"created_at"`
	LastSeenAt time.Time `json:"last_seen_at"`
}

// Identity is a sign-in through an OpenID Connect provider.
type Identity struct {
	Issuer    string    `json:"issuer"`
	Subject   string    `json:"subject"`
	CreatedAt time.Time `json:"created_at"`
}

// Passkey is a passkey's metadata (its public key stays out: it is no use to its owner).
type Passkey struct {
	ID         string     `json:"id"` // base64url credential id
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
}

// RecoveryCodes says how many unused recovery codes the user has (the codes are stored only
// as hashes).
type RecoveryCodes struct {
	Unused    int        `json:"unused"`
	CreatedAt *time.Time `json:"created_at,omitempty"`
}

// Session is a signed-in session's times (its token is stored only as a hash).
type Session struct {
	CreatedAt  time.Time `json:"created_at"`
	LastSeenAt time.Time `json:"last_seen_at"`
	ExpiresAt  time.Time `json:"expires_at"`
}

// Role is a staff role.
type Role struct {
	Role      string    `json:"role"`
	Agency    string    `json:"agency,omitempty"`
	GrantedBy string    `json:"granted_by,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

// AuditEntry is a line of the audit log about the user's data or by the user.
type AuditEntry struct {
	At          time.Time      `json:"at"`
	Actor       string         `json:"actor"`
	Action      string         `json:"action"`
	SubjectType string         `json:"subject_type,omitempty"`
	SubjectID   string         `json:"subject_id,omitempty"`
	Agency      string         `json:"agency,omitempty"`
	Detail      map[string]any `json:"detail,omitempty"`
}

// Export gathers everything Lots holds about the user, sealed fields opened, in one consistent
// snapshot. It returns ErrNotFound when there is no such user.
func (s *Store) Export(ctx context.Context, userID string) (Export, error) {
	var e Export
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		var email *string
		a := &e.Account
		err := tx.QueryRow(ctx, `SELECT id::text, language, email, created_at, last_seen_at, now() FROM users WHERE id = $1::uuid`,
			userID).Scan(&a.ID, &a.Language, &email, &a.CreatedAt, &a.LastSeenAt, &e.ExportedAt)
		if err != nil {
			return fmt.Errorf("export account: %w", notFound(err))
		}
		if email != nil {
			a.Email = *email
		}
		if e.Identities, err = collect(ctx, tx, `SELECT issuer, subject, created_at FROM user_identities
			WHERE user_id = $1::uuid ORDER BY created_at`, userID, func(r pgx.CollectableRow, v *Identity) error {
			return r.Scan(&v.Issuer, &v.Subject, &v.CreatedAt)
		}); err != nil {
			return err
		}
		if e.Passkeys, err = collect(ctx, tx, `SELECT id, created_at, last_used_at FROM passkeys
			WHERE user_id = $1::uuid ORDER BY created_at`, userID, func(r pgx.CollectableRow, v *Passkey) error {
			var id []byte
			err := r.Scan(&id, &v.CreatedAt, &v.LastUsedAt)
			v.ID = base64.RawURLEncoding.EncodeToString(id)
			return err
		}); err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `SELECT count(*), max(created_at) FROM recovery_codes WHERE user_id = $1::uuid`,
			userID).Scan(&e.RecoveryCodes.Unused, &e.RecoveryCodes.CreatedAt); err != nil {
			return fmt.Errorf("export recovery codes: %w", err)
		}
		if e.Sessions, err = collect(ctx, tx, `SELECT created_at, last_seen_at, expires_at FROM sessions
			WHERE user_id = $1::uuid ORDER BY created_at`, userID, func(r pgx.CollectableRow, v *Session) error {
			return r.Scan(&v.CreatedAt, &v.LastSeenAt, &v.ExpiresAt)
		}); err != nil {
			return err
		}
		if e.Roles, err = collect(ctx, tx, `SELECT role, agency, '', created_at FROM user_roles
			WHERE user_id = $1::uuid ORDER BY role, agency`, userID, scanRole); err != nil {
			return err
		}
		if e.RoleGrants, err = collect(ctx, tx, `SELECT g.role, g.agency, g.granted_by, g.created_at
			FROM role_grants g JOIN users u ON u.email = g.email WHERE u.id = $1::uuid ORDER BY g.role, g.agency`,
			userID, scanRole); err != nil {
			return err
		}
		if e.Consents, err = collect(ctx, tx, `SELECT purpose, granted_at, withdrawn_at FROM consents
			WHERE user_id = $1::uuid ORDER BY purpose`, userID, func(r pgx.CollectableRow, v *Consent) error {
			return r.Scan(&v.Purpose, &v.GrantedAt, &v.WithdrawnAt)
		}); err != nil {
			return err
		}
		if e.Drafts, err = s.exportDrafts(ctx, tx, userID); err != nil {
			return err
		}
		if e.SavedConversations, err = s.savedConversations(ctx, tx, userID); err != nil {
			return fmt.Errorf("export: %w", err)
		}
		if e.Audit, err = collect(ctx, tx, `SELECT at, actor, action, subject_type, subject_id, agency, detail FROM audit_log
			WHERE owner_id = $1::uuid OR actor_id = $1::uuid ORDER BY at, id`, userID, func(r pgx.CollectableRow, v *AuditEntry) error {
			return r.Scan(&v.At, &v.Actor, &v.Action, &v.SubjectType, &v.SubjectID, &v.Agency, &v.Detail)
		}); err != nil {
			return err
		}
		e.NamedIn = []NamedIn{}
		if email == nil {
			return nil
		}
		cols, err := byColumns(ctx, tx)
		if err != nil {
			return err
		}
		for _, c := range cols {
			var n int
			if err := tx.QueryRow(ctx, "SELECT count(*) FROM "+c.sql()+" = $1", *email).Scan(&n); err != nil {
				return fmt.Errorf("export: %s.%s: %w", c.Table, c.Column, err)
			}
			if n > 0 {
				e.NamedIn = append(e.NamedIn, NamedIn{Table: c.Table, Column: c.Column, Rows: n})
			}
		}
		return nil
	})
	return e, err
}

// byColumn is a text column that names who did something (created_by, reviewed_by…).
type byColumn struct{ Table, Column string }

// sql is "<table> WHERE <column>", quoted.
func (c byColumn) sql() string {
	return pgx.Identifier{c.Table}.Sanitize() + " WHERE " + pgx.Identifier{c.Column}.Sanitize()
}

// byColumns lists every *_by text column of the schema, so that a table added later is covered.
func byColumns(ctx context.Context, tx pgx.Tx) ([]byColumn, error) {
	rows, err := tx.Query(ctx, `SELECT c.table_name, c.column_name FROM information_schema.columns c
		JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
		WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'
		  AND c.column_name LIKE '%\_by' AND c.data_type = 'text'
		ORDER BY c.table_name, c.column_name`)
	if err != nil {
		return nil, fmt.Errorf("list *_by columns: %w", err)
	}
	cols, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (byColumn, error) {
		var c byColumn
		err := r.Scan(&c.Table, &c.Column)
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("list *_by columns: %w", err)
	}
	return cols, nil
}

func scanRole(r pgx.CollectableRow, v *Role) error {
	return r.Scan(&v.Role, &v.Agency, &v.GrantedBy, &v.CreatedAt)
}

func (s *Store) exportDrafts(ctx context.Context, tx pgx.Tx, userID string) ([]Draft, error) {
	ids, err := collect(ctx, tx, `SELECT id::text FROM drafts WHERE user_id = $1::uuid ORDER BY created_at, id`, userID,
		func(r pgx.CollectableRow, v *string) error { return r.Scan(v) })
	if err != nil {
		return nil, err
	}
	out := make([]Draft, 0, len(ids))
	for _, id := range ids {
		d, err := s.draft(ctx, tx, userID, id)
		if err != nil {
			return nil, fmt.Errorf("export: %w", err)
		}
		out = append(out, d)
	}
	return out, nil
}

// collect runs a query about the user and scans its rows; never nil, so the export shows [].
func collect[T any](ctx context.Context, tx pgx.Tx, sql, userID string, scan func(pgx.CollectableRow, *T) error) ([]T, error) {
	rows, err := tx.Query(ctx, sql, userID)
	if err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (T, error) {
		var v T
		err := scan(r, &v)
		return v, err
	})
	if err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	if out == nil {
		out = []T{}
	}
	return out, nil
}

// MarshalExport is the export as the user downloads it: indented JSON.
func MarshalExport(e Export) ([]byte, error) {
	return json.MarshalIndent(e, "", "  ")
}

// deletedAccount stands for a deleted user where a record of what they did stays.
const deletedAccount = "deleted account"

// DeleteAll deletes everything Lots holds about the user, at once and for real: the account
// with its identities, passkeys, recovery codes, sessions, roles, consents, drafts and audit
// entries about them; the conversations they saved with their turns and ratings; the roles
// granted to their e-mail address. Records of what a staff member did (audit entries about others'
// data, created_by and the like) stay, naming "deleted account" instead of them. It returns
// ErrNotFound when there is no such user.
func (s *Store) DeleteAll(ctx context.Context, userID string) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var email *string
		if err := tx.QueryRow(ctx, "SELECT email FROM users WHERE id = $1::uuid FOR UPDATE", userID).Scan(&email); err != nil {
			return fmt.Errorf("delete account: %w", notFound(err))
		}
		steps := []struct{ what, sql string }{
			{"saved conversations", `DELETE FROM conversations WHERE id IN
				(SELECT conversation_id FROM saved_conversations WHERE user_id = $1::uuid)`},
			{"role grants", `DELETE FROM role_grants WHERE email = (SELECT email FROM users WHERE id = $1::uuid)`},
			{"audit actor", `UPDATE audit_log SET actor_id = NULL, actor = 'deleted account'
				WHERE actor_id = $1::uuid AND owner_id IS DISTINCT FROM $1::uuid`},
			{"audit subject", `UPDATE audit_log SET subject_id = '' WHERE subject_id = $1::text AND owner_id IS DISTINCT FROM $1::uuid`},
			{"audit detail", `UPDATE audit_log SET detail = '{}'
				WHERE strpos(detail::text, $1::text) > 0 AND owner_id IS DISTINCT FROM $1::uuid`},
			{"account", `DELETE FROM users WHERE id = $1::uuid`}, // the rest goes with it (ON DELETE CASCADE)
		}
		for _, st := range steps {
			if _, err := tx.Exec(ctx, st.sql, userID); err != nil {
				return fmt.Errorf("delete account: %s: %w", st.what, err)
			}
		}
		if email == nil {
			return nil
		}
		if _, err := tx.Exec(ctx, `UPDATE audit_log SET actor = $2 WHERE actor = $1`, *email, deletedAccount); err != nil {
			return fmt.Errorf("delete account: audit actor: %w", err)
		}
		cols, err := byColumns(ctx, tx)
		if err != nil {
			return fmt.Errorf("delete account: %w", err)
		}
		for _, c := range cols {
			if _, err := tx.Exec(ctx, "UPDATE "+pgx.Identifier{c.Table}.Sanitize()+" SET "+pgx.Identifier{c.Column}.Sanitize()+
				" = $2 WHERE "+pgx.Identifier{c.Column}.Sanitize()+" = $1", *email, deletedAccount); err != nil {
				return fmt.Errorf("delete account: %s.%s: %w", c.Table, c.Column, err)
			}
		}
		return nil
	})
}

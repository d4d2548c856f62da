package auth

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Entry is one line of the audit log: who did or read what, and when.
type Entry struct {
	ID          int64
	At          time.Time
	ActorID     string // the acting user's id; "" for the command line or a deleted user
	Actor       string // how the actor is shown: a staff e-mail, "self" for a newcomer, "cli:<name>"
	Action      string // e.g. "source.vet", "index.publish", "draft.read", "export"
	SubjectType string // e.g. "source", "index", "draft"
	SubjectID   string
	Agency      string         // the agency the action concerns, if any
	OwnerID     string         // the user whose personal data was read or changed, if any
	Detail      map[string]any // small, never personal data beyond ids
}

// Audit records and lists the audit log.
type Audit struct {
	pool *pgxpool.Pool
}

// NewAudit returns the audit log on pool.
func NewAudit(pool *pgxpool.Pool) *Audit { return &Audit{pool: pool} }

// Record appends e to the log.
func (a *Audit) Record(ctx context.Context, e Entry) error {
	detail, err := json.Marshal(e.Detail)
	if err != nil {
		return fmt.Errorf("audit %s: %w", e.Action, err)
	}
	if e.Detail == nil {
		detail = []byte("{}")
	}
	_, err = a.pool.Exec(ctx, `INSERT INTO audit_log (actor_id, actor, action, subject_type, subject_id, agency, owner_id, detail)
		VALUES (NULLIF($1, '')::uuid, $2, $3, $4, $5, $6, NULLIF($7, '')::uuid, $8)`,
		e.ActorID, e.Actor, e.Action, e.SubjectType, e.SubjectID, e.Agency, e.OwnerID, detail)
	if err != nil {
		return fmt.Errorf("audit %s: %w", e.Action, err)
	}
	return nil
}

// Filter narrows List. Zero fields do not filter.
type Filter struct {
	Agencies []string // entries of these agencies only (a steward's view); nil: all
	OwnerID  string   // entries about this user's data
	Action   string
	Since    time.Time
	Limit    int // default 500
}

// List returns entries, newest first.
func (a *Audit) List(ctx context.Context, f Filter) ([]Entry, error) {
	if f.Limit <= 0 {
		f.Limit = 500
	}
	rows, err := a.pool.Query(ctx, `SELECT id, at, coalesce(actor_id::text, ''), actor, action, subject_type, subject_id,
			agency, coalesce(owner_id::text, ''), detail
		FROM audit_log
		WHERE ($1::text[] IS NULL OR agency = ANY ($1))
		  AND ($2 = '' OR owner_id = NULLIF($2, '')::uuid)
		  AND ($3 = '' OR action = $3)
		  AND at >= $4
		ORDER BY at DESC, id DESC
		LIMIT $5`, f.Agencies, f.OwnerID, f.Action, f.Since, f.Limit)
	if err != nil {
		return nil, fmt.Errorf("list audit log: %w", err)
	}
	entries, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Entry, error) {
		var e Entry
		err := row.Scan(&e.ID, &e.At, &e.ActorID, &e.Actor, &e.Action, &e.SubjectType, &e.SubjectID, &e.Agency, &e.OwnerID, &e.Detail)
		return e, err
	})
	if err != nil {
		return nil, fmt.Errorf("list audit log: %w", err)
	}
	return entries, nil
}

// WriteCSV writes entries as CSV with a header row.
func WriteCSV(w io.Writer, entries []Entry) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"id", "at", "actor", "action", "subject_type", "subject_id", "agency", "detail"})
	for _, e := range entries {
		detail, _ := json.Marshal(e.Detail)
		cw.Write([]string{strconv.FormatInt(e.ID, 10), e.At.UTC().Format(time.RFC3339), csvSafe(e.Actor), e.Action,
			e.SubjectType, csvSafe(e.SubjectID), e.Agency, csvSafe(string(detail))})
	}
	cw.Flush()
	return cw.Error()
}

// csvSafe keeps a spreadsheet from running a cell as a formula (CSV injection).
func csvSafe(s string) string {
	if s != "" && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' || s[0] == '\t' || s[0] == '\r') {
		return "'" + s
	}
	return s
}

package space

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
)

// Draft statuses.
const (
	StatusDraft     = "draft"      // being prepared
	StatusReady     = "ready"      // the user marked it complete
	StatusHandedOff = "handed_off" // the user went on to the agency's e-service with it
)

// Draft is an application a user is preparing for one process.
type Draft struct {
	ID        string `json:"id"`
	ProcessID string `json:"process"`
	Language  string `json:"language"`
	Status    string `json:"status"`
	// Fields are the values by field name, sealed ones opened (Draft only; Drafts lists the
	// unsealed ones, so a list never decrypts identity numbers).
	Fields      map[string]string `json:"fields"`
	Sealed      []string          `json:"sealed_fields,omitempty"` // names of the fields stored sealed
	Eligibility map[string]string `json:"eligibility"`             // eligibility question id → "yes" or "no"
	Documents   map[string]bool   `json:"documents"`               // document id → the user has it ready
	CreatedAt   time.Time         `json:"created_at"`
	UpdatedAt   time.Time         `json:"updated_at"`
	HandedOffAt *time.Time        `json:"handed_off_at,omitempty"`
}

// NewDraft is what a draft (or a handoff waiting for sign-in) starts with: the fields the user
// confirmed in the chat.
type NewDraft struct {
	ProcessID string
	Language  string
	Fields    map[string]string
	Sensitive []string // names of fields to seal (identity numbers)
}

// Update replaces a draft's values: a field left out (or empty) is removed, not kept.
type Update struct {
	Fields      map[string]string
	Sensitive   []string
	Eligibility map[string]string
	Documents   map[string]bool
}

// sealedFields splits fields into those stored as they are and those sealed for bound.
func (s *Store) sealedFields(fields map[string]string, sensitive []string, bound string) (plain []byte, sealed []byte, err error) {
	open, secret := map[string]string{}, map[string]string{}
	for k, v := range fields {
		if v == "" {
			continue // the least data: an empty field is no field
		}
		if slices.Contains(sensitive, k) {
			secret[k] = v
		} else {
			open[k] = v
		}
	}
	plain, err = json.Marshal(open)
	if err != nil {
		return nil, nil, err
	}
	if len(secret) > 0 {
		b, err := json.Marshal(secret)
		if err != nil {
			return nil, nil, err
		}
		sealed = s.sealer.Seal(b, bound)
	}
	return plain, sealed, nil
}

// openFields merges the plain fields and the sealed ones of bound.
func (s *Store) openFields(plain, sealed []byte, bound string) (map[string]string, []string, error) {
	fields := map[string]string{}
	if err := json.Unmarshal(plain, &fields); err != nil {
		return nil, nil, err
	}
	if sealed == nil {
		return fields, nil, nil
	}
	b, err := s.sealer.Open(sealed, bound)
	if err != nil {
		return nil, nil, err
	}
	secret := map[string]string{}
	if err := json.Unmarshal(b, &secret); err != nil {
		return nil, nil, err
	}
	maps.Copy(fields, secret)
	return fields, slices.Sorted(maps.Keys(secret)), nil
}

func draftBound(id string) string { return "draft:" + id }

// CreateDraft opens a draft for the user and records their consent to keep drafts.
func (s *Store) CreateDraft(ctx context.Context, userID string, d NewDraft) (Draft, error) {
	var out Draft
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		out, err = s.createDraft(ctx, tx, userID, d)
		return err
	})
	return out, err
}

func (s *Store) createDraft(ctx context.Context, tx pgx.Tx, userID string, d NewDraft) (Draft, error) {
	id := newUUID()
	plain, sealed, err := s.sealedFields(d.Fields, d.Sensitive, draftBound(id))
	if err != nil {
		return Draft{}, fmt.Errorf("create draft: %w", err)
	}
	if err := grant(ctx, tx, userID, PurposeDrafts); err != nil {
		return Draft{}, fmt.Errorf("create draft: %w", err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO drafts (id, user_id, process_id, language, fields, sealed)
		VALUES ($1::uuid, $2::uuid, $3, $4, $5, $6)`, id, userID, d.ProcessID, d.Language, plain, sealed); err != nil {
		return Draft{}, fmt.Errorf("create draft of %s: %w", d.ProcessID, err)
	}
	return s.draft(ctx, tx, userID, id)
}

const draftColumns = `id::text, process_id, language, status, fields, sealed, eligibility, documents,
	created_at, updated_at, handed_off_at`

func scanDraft(row pgx.Row) (d Draft, plain, sealed []byte, err error) {
	var elig, docs []byte
	err = row.Scan(&d.ID, &d.ProcessID, &d.Language, &d.Status, &plain, &sealed, &elig, &docs,
		&d.CreatedAt, &d.UpdatedAt, &d.HandedOffAt)
	if err != nil {
		return d, nil, nil, err
	}
	if err := json.Unmarshal(elig, &d.Eligibility); err != nil {
		return d, nil, nil, err
	}
	if err := json.Unmarshal(docs, &d.Documents); err != nil {
		return d, nil, nil, err
	}
	return d, plain, sealed, nil
}

// Draft returns one of the user's drafts with its sealed fields opened, or ErrNotFound (also
// when the draft is another user's).
func (s *Store) Draft(ctx context.Context, userID, id string) (Draft, error) {
	return s.draft(ctx, s.pool, userID, id)
}

func (s *Store) draft(ctx context.Context, q querier, userID, id string) (Draft, error) {
	d, plain, sealed, err := scanDraft(q.QueryRow(ctx, "SELECT "+draftColumns+
		" FROM drafts WHERE id = $1::uuid AND user_id = $2::uuid", id, userID))
	if err != nil {
		return Draft{}, fmt.Errorf("read draft: %w", notFound(err))
	}
	if d.Fields, d.Sealed, err = s.openFields(plain, sealed, draftBound(d.ID)); err != nil {
		return Draft{}, fmt.Errorf("read draft %s: %w", d.ID, err)
	}
	return d, nil
}

// Drafts lists the user's drafts, the last changed first, without their sealed fields.
func (s *Store) Drafts(ctx context.Context, userID string) ([]Draft, error) {
	rows, err := s.pool.Query(ctx, "SELECT "+draftColumns+
		" FROM drafts WHERE user_id = $1::uuid ORDER BY updated_at DESC, id", userID)
	if err != nil {
		return nil, fmt.Errorf("list drafts: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Draft, error) {
		d, plain, _, err := scanDraft(row)
		if err != nil {
			return d, err
		}
		d.Fields = map[string]string{}
		return d, json.Unmarshal(plain, &d.Fields)
	})
	if err != nil {
		return nil, fmt.Errorf("list drafts: %w", err)
	}
	return out, nil
}

// UpdateDraft replaces the values of one of the user's drafts.
func (s *Store) UpdateDraft(ctx context.Context, userID, id string, u Update) (Draft, error) {
	plain, sealed, err := s.sealedFields(u.Fields, u.Sensitive, draftBound(id))
	if err != nil {
		return Draft{}, fmt.Errorf("update draft: %w", err)
	}
	elig, err := json.Marshal(nonNil(u.Eligibility))
	if err != nil {
		return Draft{}, fmt.Errorf("update draft: %w", err)
	}
	docs, err := json.Marshal(nonNil(u.Documents))
	if err != nil {
		return Draft{}, fmt.Errorf("update draft: %w", err)
	}
	tag, err := s.pool.Exec(ctx, `UPDATE drafts SET fields = $3, sealed = $4, eligibility = $5, documents = $6,
		updated_at = now() WHERE id = $1::uuid AND user_id = $2::uuid`, id, userID, plain, sealed, elig, docs)
	if err != nil {
		return Draft{}, fmt.Errorf("update draft: %w", notFound(err))
	}
	if tag.RowsAffected() == 0 {
		return Draft{}, fmt.Errorf("update draft: %w", ErrNotFound)
	}
	return s.Draft(ctx, userID, id)
}

// SetStatus moves one of the user's drafts to status (StatusDraft, StatusReady or
// StatusHandedOff, which records when).
func (s *Store) SetStatus(ctx context.Context, userID, id, status string) error {
	if status != StatusDraft && status != StatusReady && status != StatusHandedOff {
		return fmt.Errorf("set draft status: unknown status %q", status)
	}
	tag, err := s.pool.Exec(ctx, `UPDATE drafts SET status = $3, updated_at = now(),
		handed_off_at = CASE WHEN $3 = 'handed_off' THEN coalesce(handed_off_at, now()) ELSE handed_off_at END
		WHERE id = $1::uuid AND user_id = $2::uuid`, id, userID, status)
	if err != nil {
		return fmt.Errorf("set draft status: %w", notFound(err))
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("set draft status: %w", ErrNotFound)
	}
	return nil
}

// DeleteDraft deletes one of the user's drafts.
func (s *Store) DeleteDraft(ctx context.Context, userID, id string) error {
	tag, err := s.pool.Exec(ctx, "DELETE FROM drafts WHERE id = $1::uuid AND user_id = $2::uuid", id, userID)
	if err != nil {
		return fmt.Errorf("delete draft: %w", notFound(err))
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("delete draft: %w", ErrNotFound)
	}
	return nil
}

func nonNil[M ~map[K]V, K comparable, V any](m M) M {
	if m == nil {
		return M{}
	}
	return m
}

// newUUID returns a random (version 4) UUID.
func newUUID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

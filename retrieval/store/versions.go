package store

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// Errors of publishing, rolling back and dropping index versions.
var (
	// ErrNotPublishable means the version is not ready (or retired) and cannot go live.
	ErrNotPublishable = errors.New("the index version cannot be published")
	// ErrLiveChanged means another steward published or rolled back since the caller compared
	// its candidate with the live version; compare again.
	ErrLiveChanged = errors.New("the live index version changed meanwhile")
	// ErrNoRollback means there is no retired version to go back to.
	ErrNoRollback = errors.New("no retired index version to roll back to")
	// ErrInUse means the version is live or being built and cannot be dropped.
	ErrInUse = errors.New("the index version is live or being built")
)

// lockIndexVersionsSQL serialises the writers of index_versions (publish, rollback, the first
// live version). Plain SELECTs — every search's look-up of the live version — are not blocked.
const lockIndexVersionsSQL = "LOCK TABLE index_versions IN EXCLUSIVE MODE"

//go:embed queries/index_versions.sql
var indexVersionsSQL string

// IndexVersion is an index version with its history, for stewards.
type IndexVersion struct {
	Index
	Note           string
	CreatedBy      string
	CreatedAt      time.Time
	BuiltAt        time.Time // zero until built
	PublishedAt    time.Time // when it last went live; zero if never
	PublishedBy    string
	OverrideReason string    // why it was published although the gate failed
	RetiredAt      time.Time // when it was last replaced by another live version
	Error          string    // why its build failed
	Chunks         int64
	EvaluatedAt    time.Time // its latest evaluation; zero if none
	// PagesAsOf: the version holds every page fetched up to then (zero for versions the crawler
	// made). Pages fetched since (StalePages) may be missing or outdated in it, unless the
	// crawler wrote them while it was live; RefreshIndex brings them in.
	PagesAsOf  time.Time
	StalePages int64
}

// IndexVersions lists every index version, newest first.
func (s *Store) IndexVersions(ctx context.Context) ([]IndexVersion, error) {
	vs, err := s.indexVersions(ctx, 0)
	if err != nil {
		return nil, fmt.Errorf("list index versions: %w", err)
	}
	return vs, nil
}

// IndexVersion returns one index version, or ErrNotFound.
func (s *Store) IndexVersion(ctx context.Context, id int) (IndexVersion, error) {
	vs, err := s.indexVersions(ctx, id)
	if err != nil {
		return IndexVersion{}, fmt.Errorf("index version %d: %w", id, err)
	}
	if len(vs) == 0 {
		return IndexVersion{}, fmt.Errorf("index version %d: %w", id, ErrNotFound)
	}
	return vs[0], nil
}

func (s *Store) indexVersions(ctx context.Context, id int) ([]IndexVersion, error) {
	rows, err := s.pool.Query(ctx, indexVersionsSQL, id)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (IndexVersion, error) {
		var v IndexVersion
		var built, published, retired, asOf, evaluated *time.Time
		err := row.Scan(&v.ID, &v.Embedder, &v.Dimensions, &v.State, &v.Chunking, &v.Note, &v.CreatedBy, &v.CreatedAt,
			&built, &published, &v.PublishedBy, &v.OverrideReason, &retired, &v.Error, &asOf, &v.Chunks, &evaluated, &v.StalePages)
		v.BuiltAt, v.PublishedAt, v.RetiredAt, v.EvaluatedAt = orZero(built), orZero(published), orZero(retired), orZero(evaluated)
		v.PagesAsOf = orZero(asOf)
		return v, err
	})
}

func orZero(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return *t
}

// PublishOptions say who publishes a version and on what grounds.
type PublishOptions struct {
	// ExpectLive is the id of the live version the candidate was compared with (0: there was
	// none). If another version went live meanwhile, Publish refuses with ErrLiveChanged.
	ExpectLive int
	Actor      string
	Override   string          // why the evaluation gate was overridden; "" when it passed
	Detail     json.RawMessage // what the audit log keeps of the decision (the comparison); may be nil
}

// Publish makes a ready (or retired) index version live and retires the live one, in one
// transaction: a search sees the old version or the new one, never neither or both. The
// evaluation gate is the caller's (evals.PublishIndex); Publish only switches.
func (s *Store) Publish(ctx context.Context, id int, opts PublishOptions) error {
	if strings.TrimSpace(opts.Actor) == "" {
		return fmt.Errorf("publish index %d: say who publishes it", id)
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		state, err := lockState(ctx, tx, id)
		if err != nil {
			return err
		}
		if state != IndexReady && state != IndexRetired {
			return fmt.Errorf("it is %s: %w", state, ErrNotPublishable)
		}
		live, err := liveID(ctx, tx)
		if err != nil {
			return err
		}
		if live != opts.ExpectLive {
			return fmt.Errorf("version %d is live now, not %d: %w", live, opts.ExpectLive, ErrLiveChanged)
		}
		// The crawler kept the live version current until now; from now on it does not.
		if _, err := tx.Exec(ctx, "UPDATE index_versions SET state = 'retired', retired_at = now(), pages_as_of = now() WHERE state = 'live'"); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE index_versions SET state = 'live', published_at = now(), published_by = $2,
			override_reason = $3, retired_at = NULL WHERE id = $1`, id, opts.Actor, opts.Override); err != nil {
			return err
		}
		detail := map[string]any{"previous": live, "override": opts.Override, "comparison": opts.Detail}
		return auditSteward(ctx, tx, opts.Actor, "index.publish", "index_version", fmt.Sprint(id), detail)
	})
	if err != nil {
		return fmt.Errorf("publish index %d: %w", id, err)
	}
	return nil
}

// Rollback makes the most recently retired version live again. The version it replaces becomes
// ready: it can be published again, through the gate. A rollback is an emergency action and is
// not gated; who did it is recorded.
func (s *Store) Rollback(ctx context.Context, actor string) (from, to Index, err error) {
	if strings.TrimSpace(actor) == "" {
		return from, to, errors.New("roll back the live index: say who rolls it back")
	}
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, lockIndexVersionsSQL); err != nil {
			return err
		}
		err := scanIndex(tx.QueryRow(ctx, "SELECT "+indexColumns+` FROM index_versions WHERE state = 'retired'
			ORDER BY retired_at DESC NULLS LAST, id DESC LIMIT 1`), &to)
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrNoRollback
		}
		if err != nil {
			return err
		}
		err = scanIndex(tx.QueryRow(ctx, "SELECT "+indexColumns+" FROM index_versions WHERE state = 'live'"), &from)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		if _, err := tx.Exec(ctx, "UPDATE index_versions SET state = 'ready', pages_as_of = now() WHERE state = 'live'"); err != nil {
			return err
		}
		// An emergency rollback goes live as it is; RefreshIndex brings in the pages fetched
		// since it was last current.
		if _, err := tx.Exec(ctx, `UPDATE index_versions SET state = 'live', published_at = now(), published_by = $2,
			override_reason = '', retired_at = NULL WHERE id = $1`, to.ID, actor); err != nil {
			return err
		}
		from.State, to.State = IndexReady, IndexLive
		return auditSteward(ctx, tx, actor, "index.rollback", "index_version", fmt.Sprint(to.ID), map[string]any{"previous": from.ID})
	})
	if err != nil {
		return from, to, fmt.Errorf("roll back the live index: %w", err)
	}
	return from, to, nil
}

// lockState locks index_versions against the other writers until the transaction ends, and
// returns version id's state; ErrNotFound when there is no such version.
func lockState(ctx context.Context, tx pgx.Tx, id int) (string, error) {
	if _, err := tx.Exec(ctx, lockIndexVersionsSQL); err != nil {
		return "", err
	}
	var state string
	err := tx.QueryRow(ctx, "SELECT state FROM index_versions WHERE id = $1", id).Scan(&state)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", ErrNotFound
	}
	return state, err
}

func liveID(ctx context.Context, tx pgx.Tx) (int, error) {
	var id int
	err := tx.QueryRow(ctx, "SELECT id FROM index_versions WHERE state = 'live'").Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil
	}
	return id, err
}

//go:embed queries/drop_hnsw_concurrently.sql
var dropHNSWConcurrentlySQL string

// DropIndex deletes an index version that is neither live nor being built, with its chunks,
// evaluations and HNSW index.
func (s *Store) DropIndex(ctx context.Context, id int, actor string) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		state, err := lockState(ctx, tx, id)
		if err != nil {
			return err
		}
		if state == IndexLive || state == IndexBuilding {
			return fmt.Errorf("it is %s: %w", state, ErrInUse)
		}
		if _, err := tx.Exec(ctx, "DELETE FROM index_versions WHERE id = $1", id); err != nil {
			return err
		}
		return auditSteward(ctx, tx, actor, "index.drop", "index_version", fmt.Sprint(id), map[string]any{"state": state})
	})
	if err != nil {
		return fmt.Errorf("drop index %d: %w", id, err)
	}
	// Outside the transaction: CONCURRENTLY does not block the searches of other versions.
	if _, err := s.pool.Exec(ctx, withIndex(dropHNSWConcurrentlySQL, Index{ID: id})); err != nil {
		return fmt.Errorf("drop HNSW index of index %d: %w", id, err)
	}
	return nil
}

// DropRetired keeps the keep most recently retired versions for rollbacks (at least one) and
// drops the older ones. It returns the ids it dropped.
func (s *Store) DropRetired(ctx context.Context, keep int, actor string) ([]int, error) {
	keep = max(keep, 1)
	rows, err := s.pool.Query(ctx, `SELECT id FROM index_versions WHERE state = 'retired'
		ORDER BY retired_at DESC NULLS LAST, id DESC OFFSET $1`, keep)
	if err != nil {
		return nil, fmt.Errorf("find old retired index versions: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int])
	if err != nil {
		return nil, fmt.Errorf("find old retired index versions: %w", err)
	}
	for i, id := range ids {
		if err := s.DropIndex(ctx, id, actor); err != nil {
			return ids[:i], err
		}
	}
	return ids, nil
}

// IndexEval is an evaluation report (evals.Report as JSON) of an index version.
type IndexEval struct {
	IndexID   int
	Report    json.RawMessage
	CreatedBy string
	CreatedAt time.Time
}

// SaveIndexEval stores an evaluation report of an index version.
func (s *Store) SaveIndexEval(ctx context.Context, id int, report json.RawMessage, actor string) error {
	_, err := s.pool.Exec(ctx, "INSERT INTO index_evals (index_id, report, created_by) VALUES ($1, $2, $3)", id, report, actor)
	if err != nil {
		return fmt.Errorf("save evaluation of index %d: %w", id, err)
	}
	return nil
}

// LatestIndexEval returns the newest evaluation report of an index version, or ErrNotFound.
func (s *Store) LatestIndexEval(ctx context.Context, id int) (IndexEval, error) {
	e := IndexEval{IndexID: id}
	err := s.pool.QueryRow(ctx, `SELECT report, created_by, created_at FROM index_evals
		WHERE index_id = $1 ORDER BY created_at DESC, id DESC LIMIT 1`, id).Scan(&e.Report, &e.CreatedBy, &e.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return e, fmt.Errorf("evaluation of index %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return e, fmt.Errorf("evaluation of index %d: %w", id, err)
	}
	return e, nil
}

// auditSteward records a steward's action in the audit log, in the caller's transaction. A
// detail naming a "url" (a passage rule's page) files it under the agency whose source holds that
// address, so that agency's stewards see it.
func auditSteward(ctx context.Context, tx pgx.Tx, actor, action, subjectType, subjectID string, detail any) error {
	d, err := json.Marshal(detail)
	if err != nil {
		return fmt.Errorf("audit %s: %w", action, err)
	}
	_, err = tx.Exec(ctx, `INSERT INTO audit_log (actor, action, subject_type, subject_id, detail, agency)
		VALUES ($1, $2, $3, $4, $5, coalesce((SELECT s.agency FROM sources s, unnest(s.allowed_prefixes) AS prefix
			WHERE starts_with($5::jsonb->>'url', prefix) ORDER BY length(prefix) DESC LIMIT 1), ''))`, actor, action, subjectType, subjectID, d)
	if err != nil {
		return fmt.Errorf("audit %s: %w", action, err)
	}
	return nil
}

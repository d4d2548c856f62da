package store

import (
	"cmp"
	"context"
	_ "embed"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/jackc/pgx/v5"
	"github.com/pgvector/pgvector-go"
)

// Rule actions.
const (
	RulePin      = "pin"      // the passage goes first, even when the search would not find it
	RuleSuppress = "suppress" // the passage is never given for the question
)

// ErrInvalidRule means a passage rule lacks something it needs; the message says what.
var ErrInvalidRule = errors.New("invalid passage rule")

// Rule is a steward's decision about a passage for questions like Question in Language. The
// passage is named by its page URL and, optionally, its heading path (joined with " › ") and
// some of its text, so that the rule still finds it after the page is chunked differently.
type Rule struct {
	ID        int64
	Language  string
	Question  string
	URL       string
	Heading   string // only the page's passages under this heading path; "" for any
	Passage   string // only passages overlapping this text; "" for any
	Action    string // RulePin or RuleSuppress
	Note      string // why; required
	CreatedBy string
	CreatedAt time.Time
}

// maxRulePassage bounds the text a rule keeps to recognise its passage.
const maxRulePassage = 2000

// AddRule stores a rule and records it in the audit log.
func (s *Store) AddRule(ctx context.Context, r Rule) (Rule, error) {
	r.Question, r.URL, r.Heading = strings.TrimSpace(r.Question), strings.TrimSpace(r.URL), strings.TrimSpace(r.Heading)
	r.Passage, r.Note, r.CreatedBy = strings.TrimSpace(r.Passage), strings.TrimSpace(r.Note), strings.TrimSpace(r.CreatedBy)
	var missing []string
	for _, f := range []struct{ name, value string }{
		{"language", r.Language}, {"question", r.Question}, {"page URL", r.URL}, {"note", r.Note}, {"author", r.CreatedBy},
	} {
		if f.value == "" {
			missing = append(missing, f.name)
		}
	}
	if len(missing) > 0 {
		return r, fmt.Errorf("add rule: no %s: %w", strings.Join(missing, ", "), ErrInvalidRule)
	}
	if r.Action != RulePin && r.Action != RuleSuppress {
		return r, fmt.Errorf("add rule: action %q is not %s or %s: %w", r.Action, RulePin, RuleSuppress, ErrInvalidRule)
	}
	if r.Passage != "" {
		r.Passage = string([]rune(r.Passage)[:min(len([]rune(r.Passage)), maxRulePassage)])
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `INSERT INTO passage_rules (language, question, question_normalized, page_url, heading,
			passage, action, note, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id, created_at`,
			r.Language, r.Question, normalizeQuestion(r.Question), r.URL, r.Heading, r.Passage, r.Action, r.Note, r.CreatedBy).
			Scan(&r.ID, &r.CreatedAt)
		if err != nil {
			return err
		}
		return auditSteward(ctx, tx, r.CreatedBy, "rule.add", "passage_rule", fmt.Sprint(r.ID),
			map[string]any{"language": r.Language, "question": r.Question, "url": r.URL, "action": r.Action, "note": r.Note})
	})
	if err != nil {
		return r, fmt.Errorf("add rule: %w", err)
	}
	return r, nil
}

// Rules lists the rules for questions in language ("" for every language), oldest first.
func (s *Store) Rules(ctx context.Context, language string) ([]Rule, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, language, question, page_url, heading, passage, action, note,
		created_by, created_at FROM passage_rules WHERE $1 = '' OR language = $1 ORDER BY id`, language)
	if err != nil {
		return nil, fmt.Errorf("list rules: %w", err)
	}
	rules, err := pgx.CollectRows(rows, pgx.RowToStructByPos[Rule])
	if err != nil {
		return nil, fmt.Errorf("list rules: %w", err)
	}
	return rules, nil
}

// DeleteRule deletes a rule and records who did, or returns ErrNotFound.
func (s *Store) DeleteRule(ctx context.Context, id int64, actor string) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var r Rule
		err := tx.QueryRow(ctx, "DELETE FROM passage_rules WHERE id = $1 RETURNING language, question, page_url, action", id).
			Scan(&r.Language, &r.Question, &r.URL, &r.Action)
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		return auditSteward(ctx, tx, actor, "rule.delete", "passage_rule", fmt.Sprint(id),
			map[string]any{"language": r.Language, "question": r.Question, "url": r.URL, "action": r.Action})
	})
	if err != nil {
		return fmt.Errorf("delete rule %d: %w", id, err)
	}
	return nil
}

//go:embed queries/rule_passages.sql
var rulePassagesSQL string

// RuleHit is a passage a rule points at.
type RuleHit struct {
	RuleID int64
	Hit
}

// RulePassages returns the passages of the index version that the rules point at, rule by rule
// in the rules' order and in page order within a rule, with their similarity to vector.
func (s *Store) RulePassages(ctx context.Context, ix Index, vector []float32, rules []Rule) ([]RuleHit, error) {
	if len(rules) == 0 {
		return nil, nil
	}
	if len(vector) != ix.Dimensions {
		return nil, fmt.Errorf("rule passages: query vector has %d dimensions, index %d has %d", len(vector), ix.ID, ix.Dimensions)
	}
	ids := make([]int64, len(rules))
	urls, headings, passages := make([]string, len(rules)), make([]string, len(rules)), make([]string, len(rules))
	order := make(map[int64]int, len(rules))
	for i, r := range rules {
		ids[i], urls[i], headings[i], passages[i] = r.ID, r.URL, r.Heading, r.Passage
		order[r.ID] = i
	}
	rows, err := s.pool.Query(ctx, withIndex(rulePassagesSQL, ix), pgvector.NewVector(vector), ids, urls, headings, passages)
	if err != nil {
		return nil, fmt.Errorf("rule passages: %w", err)
	}
	hits, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (RuleHit, error) {
		var h RuleHit
		err := row.Scan(&h.RuleID, &h.ChunkID, &h.PageID, &h.URL, &h.Title, &h.Agency, &h.Language, &h.TranslationGroup,
			&h.Headings, &h.Text, &h.FetchedAt, &h.Similarity)
		return h, err
	})
	if err != nil {
		return nil, fmt.Errorf("rule passages: %w", err)
	}
	// The query orders by rule id; the caller's order is the one that counts.
	slices.SortStableFunc(hits, func(a, b RuleHit) int { return cmp.Compare(order[a.RuleID], order[b.RuleID]) })
	return hits, nil
}

// normalizeQuestion folds a question for display and comparison: lower case, words of letters,
// digits and marks separated by single spaces.
func normalizeQuestion(q string) string {
	words := strings.FieldsFunc(strings.ToLower(q), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && !unicode.IsMark(r)
	})
	return strings.Join(words, " ")
}

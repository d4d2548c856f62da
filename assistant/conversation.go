package assistant

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// ErrNoConversation means the conversation does not exist or has expired.
var ErrNoConversation = errors.New("no such conversation")

// ErrNoAnswer means feedback named an answer that does not exist (or was deleted).
var ErrNoAnswer = errors.New("no such answer")

var (
	//go:embed queries/add_turn.sql
	addTurnSQL string
	//go:embed queries/conversation_turns.sql
	conversationTurnsSQL string
)

// Conversations keeps chat conversations in PostgreSQL for a retention period. Questions and
// comments are redacted before they are stored.
type Conversations struct {
	pool      *pgxpool.Pool
	retention time.Duration
}

// NewConversations keeps conversations for retention after their last turn.
func NewConversations(pool *pgxpool.Pool, retention time.Duration) *Conversations {
	return &Conversations{pool: pool, retention: retention}
}

// Turn is one question and its answer.
type Turn struct {
	N         int        `json:"n"`
	AnswerID  string     `json:"answer_id"`
	Question  string     `json:"question"`
	Language  string     `json:"language"`
	Answer    string     `json:"answer"`
	Answered  bool       `json:"answered"`
	Citations []Citation `json:"citations"`
	Group     string     `json:"-"` // translation group of the first citation: a follow-up's topic
	// Confidence is how much of the question the best passage covered (0 to 1): the stewards'
	// signals count low-confidence answers.
	Confidence float64 `json:"-"`
}

// Start stores a new conversation under the id the client was given (a random UUID); starting
// one that exists changes nothing.
func (c *Conversations) Start(ctx context.Context, id, lang string) error {
	_, err := c.pool.Exec(ctx, `INSERT INTO conversations (id, language, expires_at)
		VALUES ($1::uuid, $2, now() + make_interval(secs => $3)) ON CONFLICT (id) DO NOTHING`, id, lang, c.retention.Seconds())
	if err != nil {
		return fmt.Errorf("start conversation: %w", err)
	}
	return nil
}

// Turns returns a live conversation's turns, or ErrNoConversation.
func (c *Conversations) Turns(ctx context.Context, id string) (lang string, turns []Turn, err error) {
	err = c.pool.QueryRow(ctx, "SELECT language FROM conversations WHERE id = $1::uuid AND expires_at > now()", id).Scan(&lang)
	if errors.Is(err, pgx.ErrNoRows) || isInvalidUUID(err) {
		return "", nil, ErrNoConversation
	}
	if err != nil {
		return "", nil, fmt.Errorf("resume conversation: %w", err)
	}
	rows, err := c.pool.Query(ctx, conversationTurnsSQL, id)
	if err != nil {
		return "", nil, fmt.Errorf("resume conversation: %w", err)
	}
	turns, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (Turn, error) {
		var t Turn
		var cites []byte
		if err := row.Scan(&t.N, &t.AnswerID, &t.Question, &t.Language, &t.Answer, &t.Answered, &cites, &t.Group); err != nil {
			return t, err
		}
		return t, json.Unmarshal(cites, &t.Citations)
	})
	if err != nil {
		return "", nil, fmt.Errorf("resume conversation: %w", err)
	}
	return lang, turns, nil
}

// AddTurn stores a turn, with the question redacted, and keeps the conversation alive.
func (c *Conversations) AddTurn(ctx context.Context, conversation string, t Turn) (Turn, error) {
	t.Question = Redact(t.Question)
	cites, err := json.Marshal(t.Citations)
	if err != nil {
		return t, err
	}
	err = c.pool.QueryRow(ctx, addTurnSQL, conversation, t.AnswerID, t.Question, t.Language, t.Answer, t.Answered,
		cites, t.Group, c.retention.Seconds(), min(max(t.Confidence, 0), 1)).Scan(&t.N)
	if errors.Is(err, pgx.ErrNoRows) {
		return t, ErrNoConversation
	}
	if err != nil {
		return t, fmt.Errorf("store turn: %w", err)
	}
	return t, nil
}

// SaveFeedback stores (or replaces) the rating of an answer, with the comment redacted.
func (c *Conversations) SaveFeedback(ctx context.Context, answerID, rating, comment string) error {
	if rating != "helpful" && rating != "not_helpful" {
		return fmt.Errorf("rating %q: want helpful or not_helpful", rating)
	}
	_, err := c.pool.Exec(ctx, `INSERT INTO feedback (answer_id, rating, comment) VALUES ($1::uuid, $2, $3)
		ON CONFLICT (answer_id) DO UPDATE SET rating = excluded.rating, comment = excluded.comment, created_at = now()`,
		answerID, rating, Redact(comment))
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23503" || isInvalidUUID(err) {
		return ErrNoAnswer
	}
	if err != nil {
		return fmt.Errorf("store feedback: %w", err)
	}
	return nil
}

// DeleteExpired removes conversations past their retention, with their turns and feedback.
func (c *Conversations) DeleteExpired(ctx context.Context) (int64, error) {
	tag, err := c.pool.Exec(ctx, "DELETE FROM conversations WHERE expires_at <= now()")
	if err != nil {
		return 0, fmt.Errorf("delete expired conversations: %w", err)
	}
	return tag.RowsAffected(), nil
}

func isInvalidUUID(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "22P02"
}

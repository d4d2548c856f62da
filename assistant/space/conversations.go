package space

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// SavedConversation is a chat conversation the user keeps in their space.
type SavedConversation struct {
	ID        string    `json:"id"`
	Language  string    `json:"language"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	SavedAt   time.Time `json:"saved_at"`
	Turns     []Turn    `json:"turns"`
}

// Turn is a question of a saved conversation, its answer and the user's rating of it.
type Turn struct {
	N         int             `json:"n"`
	AnswerID  string          `json:"answer_id"`
	Question  string          `json:"question"`
	Language  string          `json:"language"`
	Answer    string          `json:"answer"`
	Answered  bool            `json:"answered"`
	Citations json.RawMessage `json:"citations"`
	CreatedAt time.Time       `json:"created_at"`
	Feedback  *Feedback       `json:"feedback,omitempty"`
}

// Feedback is the user's rating of an answer.
type Feedback struct {
	Rating    string    `json:"rating"`
	Comment   string    `json:"comment,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

// SaveConversation keeps a live chat conversation in the user's space: it no longer expires
// while saved. It records the user's consent to keep conversations, and returns ErrNotFound
// for a conversation that does not exist or has expired.
func (s *Store) SaveConversation(ctx context.Context, userID, conversationID string) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var id string
		err := tx.QueryRow(ctx, `UPDATE conversations SET expires_at = 'infinity'
			WHERE id = $1::uuid AND expires_at > now() RETURNING id::text`, conversationID).Scan(&id)
		if err != nil {
			return fmt.Errorf("save conversation: %w", notFound(err))
		}
		if err := grant(ctx, tx, userID, PurposeConversations); err != nil {
			return fmt.Errorf("save conversation: %w", err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO saved_conversations (user_id, conversation_id) VALUES ($1::uuid, $2::uuid)
			ON CONFLICT DO NOTHING`, userID, id); err != nil {
			return fmt.Errorf("save conversation: %w", err)
		}
		return nil
	})
}

// UnsaveConversation removes a conversation from the user's space: it expires as any chat
// conversation does, the retention period after its last turn (at once if that has passed).
func (s *Store) UnsaveConversation(ctx context.Context, userID, conversationID string) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM saved_conversations WHERE user_id = $1::uuid AND conversation_id = $2::uuid`,
			userID, conversationID)
		if err != nil {
			return fmt.Errorf("unsave conversation: %w", notFound(err))
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("unsave conversation: %w", ErrNotFound)
		}
		return s.restoreExpiry(ctx, tx, conversationID)
	})
}

// restoreExpiry gives a conversation no one keeps any more the chat's normal expiry.
func (s *Store) restoreExpiry(ctx context.Context, tx pgx.Tx, conversationID string) error {
	_, err := tx.Exec(ctx, `UPDATE conversations SET expires_at = updated_at + make_interval(secs => $2)
		WHERE id = $1::uuid AND NOT EXISTS (SELECT 1 FROM saved_conversations WHERE conversation_id = $1::uuid)`,
		conversationID, s.retention.Seconds())
	if err != nil {
		return fmt.Errorf("restore conversation expiry: %w", err)
	}
	return nil
}

func (s *Store) unsaveAll(ctx context.Context, tx pgx.Tx, userID string) error {
	rows, err := tx.Query(ctx, `DELETE FROM saved_conversations WHERE user_id = $1::uuid RETURNING conversation_id::text`, userID)
	if err != nil {
		return fmt.Errorf("unsave conversations: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return fmt.Errorf("unsave conversations: %w", err)
	}
	for _, id := range ids {
		if err := s.restoreExpiry(ctx, tx, id); err != nil {
			return err
		}
	}
	return nil
}

// IsSaved reports whether the user keeps the conversation.
func (s *Store) IsSaved(ctx context.Context, userID, conversationID string) (bool, error) {
	var saved bool
	err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM saved_conversations
		WHERE user_id = $1::uuid AND conversation_id = $2::uuid)`, userID, conversationID).Scan(&saved)
	if err != nil {
		if notFound(err) == ErrNotFound {
			return false, nil
		}
		return false, fmt.Errorf("saved conversation: %w", err)
	}
	return saved, nil
}

// SavedConversations returns the conversations the user keeps, the last saved first, with
// their turns and the user's ratings.
func (s *Store) SavedConversations(ctx context.Context, userID string) ([]SavedConversation, error) {
	return s.savedConversations(ctx, s.pool, userID)
}

func (s *Store) savedConversations(ctx context.Context, q querier, userID string) ([]SavedConversation, error) {
	rows, err := q.Query(ctx, `SELECT c.id::text, c.language, c.created_at, c.updated_at, sc.saved_at
		FROM saved_conversations sc JOIN conversations c ON c.id = sc.conversation_id
		WHERE sc.user_id = $1::uuid ORDER BY sc.saved_at DESC, c.id`, userID)
	if err != nil {
		return nil, fmt.Errorf("list saved conversations: %w", err)
	}
	convs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (SavedConversation, error) {
		var c SavedConversation
		err := row.Scan(&c.ID, &c.Language, &c.CreatedAt, &c.UpdatedAt, &c.SavedAt)
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("list saved conversations: %w", err)
	}
	for i := range convs {
		rows, err := q.Query(ctx, `SELECT t.n, t.answer_id::text, t.question, t.language, t.answer, t.answered, t.citations,
				t.created_at, f.rating, f.comment, f.created_at
			FROM turns t LEFT JOIN feedback f ON f.answer_id = t.answer_id
			WHERE t.conversation_id = $1::uuid ORDER BY t.n`, convs[i].ID)
		if err != nil {
			return nil, fmt.Errorf("list saved conversation turns: %w", err)
		}
		convs[i].Turns, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (Turn, error) {
			var t Turn
			var rating, comment *string
			var rated *time.Time
			err := row.Scan(&t.N, &t.AnswerID, &t.Question, &t.Language, &t.Answer, &t.Answered, &t.Citations,
				&t.CreatedAt, &rating, &comment, &rated)
			if rating != nil {
				t.Feedback = &Feedback{Rating: *rating, Comment: *comment, CreatedAt: *rated}
			}
			return t, err
		})
		if err != nil {
			return nil, fmt.Errorf("list saved conversation turns: %w", err)
		}
		if convs[i].Turns == nil {
			convs[i].Turns = []Turn{}
		}
	}
	return convs, nil
}

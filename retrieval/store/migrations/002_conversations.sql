-- Conversations of the chat, kept for a retention period and then deleted. Questions and
-- comments are stored redacted (no identity numbers, phone numbers or e-mail addresses).
CREATE TABLE conversations (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    language   text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL
);
CREATE INDEX conversations_expiry ON conversations (expires_at);

CREATE TABLE turns (
    conversation_id   uuid NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    n                 int NOT NULL,
    answer_id         uuid NOT NULL UNIQUE,
    question          text NOT NULL,
    language          text NOT NULL,
    answer            text NOT NULL,
    answered          boolean NOT NULL,
    citations         jsonb NOT NULL,
    translation_group text NOT NULL DEFAULT '',
    created_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (conversation_id, n)
);

CREATE TABLE feedback (
    answer_id  uuid PRIMARY KEY REFERENCES turns (answer_id) ON DELETE CASCADE,
    rating     text NOT NULL CHECK (rating IN ('helpful', 'not_helpful')),
    comment    text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now()
);

-- People who sign in (newcomers to their own space, agency staff to the console), what they consented
-- to, the applications they prepared, and who read what. Everything a user owns references users (id)
-- ON DELETE CASCADE, so deleting the user row deletes all of it.

CREATE TABLE users (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    language     text NOT NULL DEFAULT 'sv',
    -- e-mail from an OpenID Connect provider, when it gave a verified one; staff roles are granted by it
    email        text UNIQUE,
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now()
);

-- Sign-in through an OpenID Connect provider (an e-identification broker, an agency's staff directory).
CREATE TABLE user_identities (
    issuer     text NOT NULL,
    subject    text NOT NULL,
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (issuer, subject)
);
CREATE INDEX user_identities_user ON user_identities (user_id);

-- WebAuthn credentials (passkeys); the credential as github.com/go-webauthn/webauthn stores it.
CREATE TABLE passkeys (
    id           bytea PRIMARY KEY,
    user_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    credential   jsonb NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz
);
CREATE INDEX passkeys_user ON passkeys (user_id);

-- One-time recovery codes, stored as SHA-256 hashes.
CREATE TABLE recovery_codes (
    code_hash  bytea PRIMARY KEY,
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX recovery_codes_user ON recovery_codes (user_id);

-- Signed-in sessions; the cookie holds a random token, the table its SHA-256 hash.
CREATE TABLE sessions (
    token_hash   bytea PRIMARY KEY,
    user_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expiry ON sessions (expires_at);

-- Staff roles. agency is '' for admin (all agencies).
CREATE TABLE user_roles (
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role       text NOT NULL CHECK (role IN ('steward', 'admin')),
    agency     text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, role, agency)
);

-- Roles granted to an e-mail address before its owner first signs in with OpenID Connect.
CREATE TABLE role_grants (
    email      text NOT NULL,
    role       text NOT NULL CHECK (role IN ('steward', 'admin')),
    agency     text NOT NULL DEFAULT '',
    granted_by text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (email, role, agency)
);

-- Consent per purpose; withdrawing keeps the row with withdrawn_at set until the data is gone.
CREATE TABLE consents (
    user_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose      text NOT NULL,
    granted_at   timestamptz NOT NULL DEFAULT now(),
    withdrawn_at timestamptz,
    PRIMARY KEY (user_id, purpose)
);

-- The process catalog as loaded from assistant/process/catalog (or edited by a steward).
CREATE TABLE processes (
    id         text PRIMARY KEY,
    agency     text NOT NULL,
    definition jsonb NOT NULL,
    updated_by text NOT NULL DEFAULT '',
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- A handoff offered in the chat and accepted before the user signed in: held briefly, then turned
-- into a draft by whoever signs in with its token.
CREATE TABLE handoffs (
    token_hash bytea PRIMARY KEY,
    process_id text NOT NULL REFERENCES processes (id) ON DELETE CASCADE,
    language   text NOT NULL,
    fields     jsonb NOT NULL DEFAULT '{}',
    sealed     bytea,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL
);

-- Applications a user is preparing. Fields that are identity numbers are sealed (encrypted) in sealed;
-- the rest are in fields.
CREATE TABLE drafts (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id         uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    process_id      text NOT NULL REFERENCES processes (id),
    language        text NOT NULL,
    status          text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'ready', 'handed_off')),
    fields          jsonb NOT NULL DEFAULT '{}',
    sealed          bytea,
    eligibility     jsonb NOT NULL DEFAULT '{}',
    documents       jsonb NOT NULL DEFAULT '{}',
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    handed_off_at   timestamptz
);
CREATE INDEX drafts_user ON drafts (user_id);
CREATE INDEX drafts_updated ON drafts (updated_at) WHERE status <> 'handed_off';

-- Conversations a user chose to keep in their space (kept while saved, beyond the chat's retention).
CREATE TABLE saved_conversations (
    user_id         uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    conversation_id uuid NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    saved_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, conversation_id)
);
CREATE INDEX saved_conversations_conversation ON saved_conversations (conversation_id);

-- Who did or read what: staff actions and reads of a user's data. owner_id is the user whose data it
-- was (the row goes with them); actor_id is who acted (kept as NULL when they are deleted).
CREATE TABLE audit_log (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at           timestamptz NOT NULL DEFAULT now(),
    actor_id     uuid REFERENCES users (id) ON DELETE SET NULL,
    actor        text NOT NULL,
    action       text NOT NULL,
    subject_type text NOT NULL DEFAULT '',
    subject_id   text NOT NULL DEFAULT '',
    agency       text NOT NULL DEFAULT '',
    owner_id     uuid REFERENCES users (id) ON DELETE CASCADE,
    detail       jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_owner ON audit_log (owner_id) WHERE owner_id IS NOT NULL;
CREATE INDEX audit_log_actor ON audit_log (actor_id) WHERE actor_id IS NOT NULL;

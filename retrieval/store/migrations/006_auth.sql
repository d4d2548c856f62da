-- Sign-ins under way: a passkey ceremony's challenge, an OpenID Connect request's state, nonce and
-- PKCE verifier, a new space's recovery codes still to be shown. The browser holds a random token
-- in a cookie, this table its SHA-256 hash; each row is taken (deleted) once and lives minutes.
CREATE TABLE signin_flows (
    token_hash bytea PRIMARY KEY,
    kind       text NOT NULL,
    data       jsonb NOT NULL,
    expires_at timestamptz NOT NULL
);
CREATE INDEX signin_flows_expiry ON signin_flows (expires_at);

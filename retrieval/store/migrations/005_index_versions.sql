-- Index versions as stewards re-train them: a version is built beside the live one (building,
-- then ready or failed), evaluated, published (live; the one it replaces is retired and kept for
-- a rollback). Evaluation reports are kept per version for the per-language comparison, and
-- stewards' pins and suppressions of passages for questions live in passage_rules.
ALTER TABLE index_versions DROP CONSTRAINT index_versions_state_check;
ALTER TABLE index_versions ADD CONSTRAINT index_versions_state_check
    CHECK (state IN ('building', 'ready', 'live', 'retired', 'failed'));

ALTER TABLE index_versions
    ADD COLUMN note            text NOT NULL DEFAULT '',
    -- {"words": N, "overlap": N}; {} means the crawler's defaults.
    ADD COLUMN chunking        jsonb NOT NULL DEFAULT '{}',
    ADD COLUMN created_by      text NOT NULL DEFAULT '',
    ADD COLUMN built_at        timestamptz,
    ADD COLUMN published_at    timestamptz,
    ADD COLUMN published_by    text NOT NULL DEFAULT '',
    ADD COLUMN override_reason text NOT NULL DEFAULT '',
    ADD COLUMN retired_at      timestamptz,
    ADD COLUMN error           text NOT NULL DEFAULT '',
    -- The pages' fetched_at up to which the version's chunks are current: a version built
    -- beside the live one misses the pages the crawler saves meanwhile until it is refreshed.
    ADD COLUMN pages_as_of     timestamptz;

-- Versions made before this migration were built by the crawler and went live at once.
UPDATE index_versions SET built_at = created_at, published_at = created_at WHERE state = 'live';
UPDATE index_versions SET built_at = created_at, retired_at = created_at WHERE state = 'retired';

-- The newest retired version is the one a rollback restores.
CREATE INDEX index_versions_retired ON index_versions (retired_at DESC) WHERE state = 'retired';

-- Evaluation reports (evals.Report as JSON) of an index version, newest last.
CREATE TABLE index_evals (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    index_id   int NOT NULL REFERENCES index_versions (id) ON DELETE CASCADE,
    report     jsonb NOT NULL,
    created_by text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX index_evals_index ON index_evals (index_id, created_at DESC);

-- A steward's rule for questions like one question: pin a page's passage first, or suppress it.
-- The passage is named by its page, and optionally its heading path and some of its text, never
-- by a chunk id, so the rule survives re-chunking into a new index version.
CREATE TABLE passage_rules (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    language            text NOT NULL,
    question            text NOT NULL CHECK (question <> ''),
    question_normalized text NOT NULL,
    page_url            text NOT NULL CHECK (page_url <> ''),
    heading             text NOT NULL DEFAULT '',
    passage             text NOT NULL DEFAULT '',
    action              text NOT NULL CHECK (action IN ('pin', 'suppress')),
    note                text NOT NULL CHECK (note <> ''),
    created_by          text NOT NULL,
    created_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX passage_rules_language ON passage_rules (language);

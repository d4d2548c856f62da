-- The stewards' console, ingest side: a job queue shared by every lots process, retired sources,
-- sources whose changes wait for a steward, the changes each crawl found, pages stewards keep out,
-- and why each URL of a crawl failed.

-- A job queue. Workers claim queued jobs with SELECT ... FOR UPDATE SKIP LOCKED, so any number of
-- lots processes on any number of machines share the work; a running job's worker beats its heart,
-- and a job whose heart stopped is queued again.
CREATE TABLE jobs (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind         text NOT NULL CHECK (kind <> ''),
    args         jsonb NOT NULL DEFAULT '{}',
    -- at most one queued or running job has a given key (e.g. recrawl:<source>)
    key          text,
    state        text NOT NULL DEFAULT 'queued'
                 CHECK (state IN ('queued', 'running', 'done', 'failed', 'cancelled')),
    run_after    timestamptz NOT NULL DEFAULT now(),
    attempts     int NOT NULL DEFAULT 0,
    max_attempts int NOT NULL DEFAULT 3 CHECK (max_attempts >= 1),
    locked_by    text,
    locked_at    timestamptz,
    heartbeat_at timestamptz,
    progress     jsonb NOT NULL DEFAULT '{}',
    error        text,
    created_by   text NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL DEFAULT now(),
    finished_at  timestamptz
);
CREATE INDEX jobs_claim ON jobs (run_after, id) WHERE state = 'queued';
CREATE INDEX jobs_running ON jobs (heartbeat_at) WHERE state = 'running';
CREATE INDEX jobs_recent ON jobs (created_at DESC);
CREATE UNIQUE INDEX jobs_one_active_per_key ON jobs (key)
    WHERE key IS NOT NULL AND state IN ('queued', 'running');

-- A retired source is no longer crawled and its pages have left the index; its history stays.
ALTER TABLE sources DROP CONSTRAINT sources_status_check;
ALTER TABLE sources ADD CONSTRAINT sources_status_check
    CHECK (status IN ('proposed', 'vetted', 'paused', 'retired'));
-- New, changed and removed pages of such a source wait for a steward before they reach the index.
ALTER TABLE sources ADD COLUMN require_approval boolean NOT NULL DEFAULT false;

-- Pages a run found new, changed or gone and held for a steward.
ALTER TABLE crawl_runs ADD COLUMN held int NOT NULL DEFAULT 0;

-- What each crawl found: a page that is new, changed (its text differs) or gone, with the text
-- before and after. A change of a source that requires approval is pending until a steward
-- approves it (held is then saved as the live page) or rejects it (the old page stays).
CREATE TABLE page_changes (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    run_id       bigint REFERENCES crawl_runs (id) ON DELETE SET NULL,
    source_id    bigint NOT NULL REFERENCES sources (id) ON DELETE CASCADE,
    url          text NOT NULL,
    page_id      bigint, -- the live page when the change was found; none for a new page
    kind         text NOT NULL CHECK (kind IN ('new', 'changed', 'gone')),
    title        text NOT NULL DEFAULT '',
    language     text NOT NULL DEFAULT '',
    old_text     text NOT NULL DEFAULT '',
    new_text     text NOT NULL DEFAULT '',
    content_hash bytea, -- of the fetched body; a rejected version is not offered again
    held         jsonb,  -- the page as it would be saved, while pending
    state        text NOT NULL CHECK (state IN ('live', 'pending', 'approved', 'rejected')),
    reviewed_by  text,
    reviewed_at  timestamptz,
    note         text NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX page_changes_source ON page_changes (source_id, created_at DESC);
CREATE INDEX page_changes_run ON page_changes (run_id);
CREATE INDEX page_changes_url ON page_changes (url, id DESC);
CREATE UNIQUE INDEX page_changes_one_pending ON page_changes (url) WHERE state = 'pending';

-- Pages stewards keep out of the index; the crawler skips them until they are included again.
CREATE TABLE page_exclusions (
    url        text PRIMARY KEY,
    source_id  bigint REFERENCES sources (id) ON DELETE CASCADE,
    note       text NOT NULL DEFAULT '',
    created_by text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now()
);

-- Why a URL of the current (or last) run was refused, failed or gone: the kind, for grouping in the
-- console, next to last_error, the reason in words.
ALTER TABLE crawl_urls ADD COLUMN error_kind text CHECK (error_kind IN ('robots', 'timeout', 'too_large',
    'not_found', 'http_status', 'extract', 'blocked', 'out_of_scope', 'redirect', 'unsupported',
    'excluded', 'other'));
CREATE INDEX crawl_urls_errors ON crawl_urls (source_id, error_kind) WHERE error_kind IS NOT NULL;

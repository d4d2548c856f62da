-- The vetted sources, the crawl frontier, the pages and their chunks, and the index versions
-- that say which embedder produced which vectors.
CREATE EXTENSION IF NOT EXISTS vector;
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE sources (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name             text NOT NULL UNIQUE,
    agency           text NOT NULL,
    start_urls       text[] NOT NULL DEFAULT '{}',
    sitemap_urls     text[] NOT NULL DEFAULT '{}',
    allowed_prefixes text[] NOT NULL CHECK (cardinality(allowed_prefixes) > 0),
    languages        text[] NOT NULL DEFAULT '{}',
    recrawl_interval interval NOT NULL DEFAULT '7 days',
    crawl_delay      interval NOT NULL DEFAULT '1 second',
    concurrency      int NOT NULL DEFAULT 2 CHECK (concurrency BETWEEN 1 AND 32),
    local            boolean NOT NULL DEFAULT false,
    status           text NOT NULL DEFAULT 'proposed' CHECK (status IN ('proposed', 'vetted', 'paused')),
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);

-- One crawl of one source. At most one run per source is open; an open run is resumed.
CREATE TABLE crawl_runs (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source_id   bigint NOT NULL REFERENCES sources (id) ON DELETE CASCADE,
    started_at  timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz,
    fetched     int NOT NULL DEFAULT 0,
    unchanged   int NOT NULL DEFAULT 0,
    removed     int NOT NULL DEFAULT 0,
    failed      int NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX crawl_runs_one_open ON crawl_runs (source_id) WHERE finished_at IS NULL;

-- The frontier: every URL a source's crawl has seen, and what became of it in the current run.
CREATE TABLE crawl_urls (
    source_id  bigint NOT NULL REFERENCES sources (id) ON DELETE CASCADE,
    url        text NOT NULL,
    depth      int NOT NULL DEFAULT 0,
    state      text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done', 'gone', 'failed', 'skipped')),
    attempts   int NOT NULL DEFAULT 0,
    last_error text,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (source_id, url)
);
CREATE INDEX crawl_urls_pending ON crawl_urls (source_id) WHERE state = 'pending';

CREATE TABLE pages (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source_id         bigint NOT NULL REFERENCES sources (id) ON DELETE CASCADE,
    url               text NOT NULL UNIQUE,
    title             text NOT NULL,
    language          text NOT NULL,
    translation_group text NOT NULL,
    alternates        jsonb NOT NULL DEFAULT '{}',
    content_type      text NOT NULL,
    content_hash      bytea NOT NULL,
    etag              text NOT NULL DEFAULT '',
    last_modified     text NOT NULL DEFAULT '',
    modified_at       timestamptz,
    fetched_at        timestamptz NOT NULL,
    checked_at        timestamptz NOT NULL,
    sections          jsonb NOT NULL
);
CREATE INDEX pages_source ON pages (source_id);
CREATE INDEX pages_group ON pages (translation_group);

-- An index version: the chunks one embedder made. Vectors of two embedders never mix.
CREATE TABLE index_versions (
    id         int GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    embedder   text NOT NULL,
    dimensions int NOT NULL CHECK (dimensions BETWEEN 1 AND 16000),
    state      text NOT NULL CHECK (state IN ('building', 'live', 'retired')),
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX index_versions_one_live ON index_versions ((true)) WHERE state = 'live';

-- The text-search configuration of a chunk's language: a stemmer where PostgreSQL has one,
-- simple (no stemming, no stop words) for the others.
CREATE FUNCTION lots_ts_config(lang text) RETURNS regconfig
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE lang
        WHEN 'sv' THEN 'swedish'::regconfig
        WHEN 'en' THEN 'english'::regconfig
        WHEN 'ar' THEN 'arabic'::regconfig
        ELSE 'simple'::regconfig
    END
$$;

CREATE TABLE chunks (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    index_id          int NOT NULL REFERENCES index_versions (id) ON DELETE CASCADE,
    page_id           bigint NOT NULL REFERENCES pages (id) ON DELETE CASCADE,
    source_id         bigint NOT NULL,
    ord               int NOT NULL,
    language          text NOT NULL,
    agency            text NOT NULL,
    translation_group text NOT NULL,
    heading_path      text[] NOT NULL,
    heading           text NOT NULL,
    text              text NOT NULL,
    ts                tsvector GENERATED ALWAYS AS (
                          setweight(to_tsvector(lots_ts_config(language), heading), 'A') ||
                          setweight(to_tsvector(lots_ts_config(language), text), 'B')) STORED,
    embedding         vector NOT NULL,
    UNIQUE (index_id, page_id, ord)
);
CREATE INDEX chunks_page ON chunks (page_id);
CREATE INDEX chunks_filter ON chunks (index_id, language, source_id);
CREATE INDEX chunks_ts ON chunks USING gin (ts);

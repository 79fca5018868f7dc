-- GIF configuration, the media catalog, and sticker usage from OpenIM's after-send webhooks.

-- One row: the GIF configuration document (without its server-side key, which has its own column and is never
-- part of any public document).
CREATE TABLE gif_config (
    singleton      boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    document       jsonb NOT NULL,
    server_api_key text,
    revision       integer NOT NULL DEFAULT 1 CHECK (revision > 0),
    updated_at     timestamptz NOT NULL DEFAULT date_trunc('second', now())
);

INSERT INTO gif_config (singleton, document) VALUES (true, '{"provider": "none", "enabled": false}');

CREATE TABLE media_files (
    id              uuid PRIMARY KEY,
    owner_user_id   text NOT NULL,
    conversation_id text,
    kind            text NOT NULL CHECK (kind IN ('image', 'video', 'audio', 'file')),
    mime            text NOT NULL,
    byte_size       bigint NOT NULL CHECK (byte_size > 0),
    sha256          text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    url             text NOT NULL,
    object_key      text NOT NULL,
    width           integer CHECK (width > 0),
    height          integer CHECK (height > 0),
    duration_ms     bigint CHECK (duration_ms > 0),
    snapshot_url    text,
    snapshot_width  integer CHECK (snapshot_width > 0),
    snapshot_height integer CHECK (snapshot_height > 0),
    file_name       text,
    created_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
    deleted_at      timestamptz
);

-- Registering the same file twice for one owner returns the first row (while it is not deleted).
CREATE UNIQUE INDEX media_files_owner_sha ON media_files (owner_user_id, sha256) WHERE deleted_at IS NULL;
-- Keyset pagination, newest first: the whole catalog, by owner, by kind.
CREATE INDEX media_files_created ON media_files (created_at DESC, id DESC);
CREATE INDEX media_files_owner_created ON media_files (owner_user_id, created_at DESC, id DESC);
CREATE INDEX media_files_kind_created ON media_files (kind, created_at DESC, id DESC);

-- Sends counted per sticker per UTC day.
CREATE TABLE sticker_usage (
    sticker_id text NOT NULL,
    day        date NOT NULL,
    sends      bigint NOT NULL CHECK (sends > 0),
    PRIMARY KEY (sticker_id, day)
);

CREATE INDEX sticker_usage_day ON sticker_usage (day);

-- GIF sends per provider per UTC day.
CREATE TABLE gif_usage (
    provider text NOT NULL,
    day      date NOT NULL,
    sends    bigint NOT NULL CHECK (sends > 0),
    PRIMARY KEY (provider, day)
);

-- Messages already counted, so OpenIM's retries and duplicate deliveries count once. Pruned after a few days.
CREATE TABLE usage_events (
    server_msg_id text PRIMARY KEY,
    seen_at       timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX usage_events_seen ON usage_events (seen_at);

-- The published "popular stickers" list (top stickers over the last 7 days), part of the versioned catalog so
-- every replica serves the same bytes at one version.
CREATE TABLE catalog_popular (
    position   integer PRIMARY KEY,
    sticker_id text NOT NULL,
    sends      bigint NOT NULL
);

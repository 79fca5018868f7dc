-- Sticker packs, their stickers, content-addressed assets, the catalog version and its change log, the audit log.

CREATE TABLE assets (
    sha256      text PRIMARY KEY CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    mime        text NOT NULL,
    byte_size   integer NOT NULL CHECK (byte_size > 0),
    width       integer NOT NULL CHECK (width > 0),
    height      integer NOT NULL CHECK (height > 0),
    animated    boolean NOT NULL,
    frame_count integer NOT NULL CHECK (frame_count > 0),
    -- NULL when the bytes live in an object store (see AssetStorage); PostgresAssetStorage fills it.
    bytes       bytea,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE sticker_packs (
    id          text PRIMARY KEY CHECK (id ~ '^[a-z0-9][a-z0-9_-]{1,63}$'),
    title       jsonb NOT NULL,
    description jsonb NOT NULL DEFAULT '{}',
    publisher   text NOT NULL,
    tray_sha256 text NOT NULL REFERENCES assets (sha256),
    status      text NOT NULL CHECK (status IN ('draft', 'published', 'archived')),
    position    integer NOT NULL,
    animated    boolean NOT NULL,
    tags        text[] NOT NULL DEFAULT '{}',
    revision    integer NOT NULL DEFAULT 1 CHECK (revision > 0),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX sticker_packs_order ON sticker_packs (position, id);

CREATE TABLE stickers (
    id           text PRIMARY KEY CHECK (id ~ '^[a-z0-9][a-z0-9_-]{1,63}$'),
    pack_id      text NOT NULL REFERENCES sticker_packs (id) ON DELETE CASCADE,
    position     integer NOT NULL,
    asset_sha256 text NOT NULL REFERENCES assets (sha256),
    emojis       text[] NOT NULL,
    keywords     text[] NOT NULL DEFAULT '{}',
    label        text,
    UNIQUE (pack_id, position) DEFERRABLE INITIALLY DEFERRED
);

CREATE INDEX stickers_asset ON stickers (asset_sha256);

-- One row: the catalog version. Every committed change bumps it once.
-- changes_since: the oldest version the change log can still answer `since` for (older entries are pruned).
CREATE TABLE catalog_state (
    singleton     boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    version       bigint NOT NULL,
    changed_at    timestamptz NOT NULL,
    changes_since bigint NOT NULL DEFAULT 0
);

INSERT INTO catalog_state (singleton, version, changed_at) VALUES (true, 0, date_trunc('second', now()));

CREATE TABLE catalog_changes (
    version     bigint NOT NULL,
    entity_kind text NOT NULL,
    entity_id   text NOT NULL,
    operation   text NOT NULL CHECK (operation IN ('upsert', 'remove')),
    changed_at  timestamptz NOT NULL,
    PRIMARY KEY (version, entity_kind, entity_id)
);

CREATE TABLE audit_log (
    id      bigserial PRIMARY KEY,
    at      timestamptz NOT NULL DEFAULT now(),
    actor   text NOT NULL,
    action  text NOT NULL,
    entity  text NOT NULL,
    summary text NOT NULL
);

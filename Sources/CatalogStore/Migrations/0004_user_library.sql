-- Each user's sticker library (issue #20): installed packs in the user's order, favorite stickers, recently sent
-- stickers and hidden packs. One row per user, one array and one version per list: the combined read is one index
-- lookup, and a change to one list rewrites one row. `installed` is NULL until the user changes it: until then the
-- user has the catalog's default set, read from the catalog at the time.
CREATE TABLE user_libraries (
    user_id            text        PRIMARY KEY,
    installed          text[],
    installed_version  bigint      NOT NULL DEFAULT 0,
    favorites          text[]      NOT NULL DEFAULT '{}',
    favorites_version  bigint      NOT NULL DEFAULT 0,
    recents            text[]      NOT NULL DEFAULT '{}',
    recents_version    bigint      NOT NULL DEFAULT 0,
    hidden             text[]      NOT NULL DEFAULT '{}',
    hidden_version     bigint      NOT NULL DEFAULT 0,
    updated_at         timestamptz NOT NULL DEFAULT now()
);

-- Adds 1,000 published packs of 30 stickers (30,000 stickers) reusing the seed's images, then bumps the catalog
-- version and notifies replicas, for measuring snapshot build time and request cost on a large catalog.
-- psql "$DATABASE_URL" -f Benchmarks/large-catalog.sql   (after `catalog-service seed`)
BEGIN;
INSERT INTO sticker_packs (id, title, description, publisher, tray_sha256, status, position, animated, tags)
SELECT 'bulk-' || lpad(n::text, 4, '0'),
       jsonb_build_object('en', 'Bulk pack ' || n, 'zh-Hans', '批量 ' || n),
       '{"en": "A generated pack for benchmarks"}', 'bench',
       (SELECT sha256 FROM assets WHERE width = 96 ORDER BY sha256 LIMIT 1),
       'published', 1000 + n, false, ARRAY['bulk']
FROM generate_series(1, 1000) AS n;
INSERT INTO stickers (id, pack_id, position, asset_sha256, emojis, keywords, label)
SELECT 'bulk-' || lpad(p::text, 4, '0') || '-s' || s, 'bulk-' || lpad(p::text, 4, '0'), s,
       (SELECT sha256 FROM assets WHERE width = 512 AND frame_count = 1 ORDER BY sha256 LIMIT 1),
       ARRAY['😀'], ARRAY['bulk', 'k' || s], 'generated sticker ' || s
FROM generate_series(1, 1000) AS p, generate_series(0, 29) AS s;
UPDATE catalog_state SET version = version + 1, changed_at = changed_at + interval '1 second';
INSERT INTO catalog_changes (version, entity_kind, entity_id, operation, changed_at)
SELECT version, 'catalog', 'bulk', 'upsert', now() FROM catalog_state;
SELECT pg_notify('catalog_changed', version::text) FROM catalog_state;
COMMIT;

-- 1,000,000 users with full libraries, for Benchmarks/library_load.py: 10 installed packs, 19 favorites (one short
-- of the default cap of 20, so the benchmark's "favorite added" is a real add), 50 recents, 2 hidden packs; ids
-- from Benchmarks/search_catalog.py's catalog (load it first). Deterministic: user N always gets the same lists.
--   psql "$DATABASE_URL" -f Benchmarks/library-users.sql
\timing on
INSERT INTO user_libraries (user_id, installed, installed_version, favorites, favorites_version, recents, recents_version, hidden, hidden_version)
SELECT 'user' || n,
       ARRAY(SELECT 'search-' || lpad(((n * 7 + i * 13) % 1000 + 1)::text, 4, '0') FROM generate_series(0, 9) AS i), 1,
       ARRAY(SELECT 'search-' || lpad(((n * 3 + i * 17) % 1000 + 1)::text, 4, '0') || '-s' || ((n + i) % 30) FROM generate_series(0, 18) AS i), 1,
       ARRAY(SELECT 'search-' || lpad(((n * 11 + i * 19) % 1000 + 1)::text, 4, '0') || '-s' || ((n + i * 7) % 30) FROM generate_series(0, 49) AS i), 1,
       ARRAY(SELECT 'search-' || lpad(((n * 5 + i * 23 + 500) % 1000 + 1)::text, 4, '0') FROM generate_series(0, 1) AS i), 1
FROM generate_series(1, 1000000) AS n
ON CONFLICT (user_id) DO NOTHING;
VACUUM ANALYZE user_libraries;
SELECT count(*) AS users, pg_size_pretty(pg_table_size('user_libraries')) AS table_size,
       pg_size_pretty(pg_indexes_size('user_libraries')) AS index_size,
       pg_size_pretty(pg_total_relation_size('user_libraries')) AS total
FROM user_libraries;

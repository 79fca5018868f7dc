-- Keywords per locale ({"en": ["hello"], "zh-Hans": ["你好"]}) beside the locale-neutral keywords array: search
-- (issue #19) ranks a match in the query's locale first.
ALTER TABLE stickers ADD COLUMN localized_keywords jsonb NOT NULL DEFAULT '{}'::jsonb;

-- Asset bytes in an object store (ASSET_STORE=s3): the row records the object's key instead of holding the bytes.
-- A row has its bytes, or the key of an object written before the row was committed; `assets migrate --to s3`
-- moves rows from the first form to the second, one row at a time.
ALTER TABLE assets ADD COLUMN object_key text CHECK (object_key IS NULL OR (length(object_key) BETWEEN 1 AND 512 AND object_key ~ '^[A-Za-z0-9/._-]+$'));

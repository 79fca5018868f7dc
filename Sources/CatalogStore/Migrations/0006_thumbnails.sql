-- Thumbnails: each image may have a small still WebP, itself an asset, that picker grids show instead of the image.
ALTER TABLE assets ADD COLUMN thumbnail_sha256 text REFERENCES assets (sha256);

-- Payloads are stored LZ4-compressed (length-prefixed); `payload` keeps the text of rows
-- stored before, and is '' for new ones.
ALTER TABLE deliveries ADD COLUMN payload_lz4 BYTEA;

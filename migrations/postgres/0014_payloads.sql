-- A delivery's payload in a table of its own, under the delivery's id, as on SQLite (where
-- every change to a row of `deliveries` rewrote the payload beside it); one schema keeps
-- one set of statements. Rows stored before this keep their payload in `payload_lz4` (or
-- `payload`), and are still read.
CREATE TABLE payloads (
    id BIGINT PRIMARY KEY,
    packed BYTEA NOT NULL
);

-- A delivery's payload in a table of its own, under the delivery's id. A row of `deliveries`
-- changes several times (claimed, renewed, done, coalesced), and SQLite rewrites the whole
-- row at each change, overflow pages and all: with the packed payload beside it, marking a
-- run of 100 coalesced deliveries done wrote about 400 pages. Rows stored before this keep
-- their payload in `payload_lz4` (or `payload`), and are still read.
CREATE TABLE payloads (
    id INTEGER PRIMARY KEY,
    packed BLOB NOT NULL
);

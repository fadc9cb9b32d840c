-- Ordering keys ("lanes"): deliveries of one lane are processed in order, one at a time;
-- different lanes proceed independently (a repository's gate events and commands share the
-- repository's lane, each pull request has its own). Rows stored before keep their
-- repository as their lane, the order they had.
ALTER TABLE deliveries ADD COLUMN lane TEXT NOT NULL DEFAULT '';
UPDATE deliveries SET lane = repo;
-- The head of a lane (its oldest pending delivery) is one index search.
DROP INDEX deliveries_pending;
CREATE INDEX deliveries_pending ON deliveries (state, lane, id);

-- The lanes with pending deliveries, and from when the head of each may be claimed (when it
-- was stored, when its retry is due, or when its lease runs out). A claim takes the lane with
-- the smallest `due` up to now (ties by name): one index search, whatever the backlog.
CREATE TABLE lanes (
    lane TEXT PRIMARY KEY,
    due BIGINT NOT NULL
);
CREATE INDEX lanes_due ON lanes (due, lane);
INSERT INTO lanes (lane, due)
    SELECT lane, MIN(next_attempt_at) FROM deliveries WHERE state = 'pending' GROUP BY lane;

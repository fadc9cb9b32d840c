-- Embargoes (issue 18): one row per pull request held, or once held, by `/pushgate embargo`.
-- `ends_at` (Unix seconds) is when it ends; `state` is `held`, `lifted` (ended early by a
-- command) or `expired` (its time came: pushgate then lands the pull request if it is ready).
-- `command` is the id of the comment that set the current hold (a later command replaces the
-- time); `set_by` / `set_by_id` who gave it; `branch` the default branch whose config says who
-- the committers are. What happened to an embargo (set, changed, lifted, expired, refused)
-- is written to `governance_log` with `decision` = the command's comment id.
CREATE TABLE embargoes (
    repo TEXT NOT NULL,
    number BIGINT NOT NULL,
    installation_id BIGINT NOT NULL,
    ends_at BIGINT NOT NULL,
    state TEXT NOT NULL,
    command BIGINT NOT NULL,
    set_by TEXT NOT NULL,
    set_by_id BIGINT NOT NULL,
    set_at BIGINT NOT NULL,
    branch TEXT NOT NULL,
    ended_at BIGINT,
    PRIMARY KEY (repo, number)
);
CREATE INDEX embargoes_due ON embargoes (state, ends_at);

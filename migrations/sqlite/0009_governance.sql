-- Votes and lazy consensus (SPEC §6), one row per decision, keyed by the comment that opened
-- it. `number` is the issue or pull request it is held on (`pull` = 1 for a pull request,
-- whose deliveries have their own lane); `kind` is `vote` or `lazy-consensus`; `scheme` and
-- `quorum` how a vote is counted; `deadline` (Unix seconds) when it closes; `branch` the
-- default branch whose config and MAINTAINERS say who the committers are; `asked` the logins
-- asked (space-separated); `tally_comment` the one comment kept current; `state` is `open`,
-- `passed` or `rejected`, and `result` the final tally once closed.
CREATE TABLE decisions (
    repo TEXT NOT NULL,
    id BIGINT NOT NULL,
    number BIGINT NOT NULL,
    pull BIGINT NOT NULL,
    installation_id BIGINT NOT NULL,
    kind TEXT NOT NULL,
    scheme TEXT NOT NULL,
    quorum BIGINT NOT NULL,
    opened_by TEXT NOT NULL,
    opened_at BIGINT NOT NULL,
    deadline BIGINT NOT NULL,
    branch TEXT NOT NULL,
    asked TEXT NOT NULL,
    tally_comment BIGINT,
    state TEXT NOT NULL,
    result TEXT,
    closed_at BIGINT,
    PRIMARY KEY (repo, id)
);
CREATE INDEX decisions_due ON decisions (state, deadline);
CREATE INDEX decisions_item ON decisions (repo, number, state);

-- What happened to decisions, for the dashboard: who did what, when (opened, refused,
-- passed, rejected).
CREATE TABLE governance_log (
    repo TEXT NOT NULL,
    number BIGINT NOT NULL,
    decision BIGINT NOT NULL,
    at BIGINT NOT NULL,
    who TEXT NOT NULL,
    what TEXT NOT NULL
);
CREATE INDEX governance_log_repo ON governance_log (repo, at);

-- What the dashboard shows beyond the verdicts (issue 19).
-- Whether a repository is private, as its deliveries' `repository.private` last said: only
-- public repositories are shown without the dashboard's read token. A repository no delivery
-- has described is treated as private.
CREATE TABLE repos (
    repo TEXT PRIMARY KEY,
    private BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- Pull requests as their `pull_request` deliveries last described them: title, link, author
-- and state (`open` or `closed`; a closed one leaves the queue the dashboard shows).
CREATE TABLE pulls (
    repo TEXT NOT NULL,
    pr BIGINT NOT NULL,
    title TEXT NOT NULL,
    url TEXT NOT NULL,
    author TEXT NOT NULL,
    state TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (repo, pr)
);

-- The push gate's finished flights, one row each (the gate's state keeps only the last 50):
-- `result` is `passed`, `regressed`, `timed-out`, `abandoned` or `dropped`; `checks` the
-- failing (or flaky) checks, space-separated; `culprit` the first bad commit and
-- `culprit_pull` its pull request when known. Pruned to the newest rows per repository.
CREATE TABLE flights (
    repo TEXT NOT NULL,
    id BIGINT NOT NULL,
    tip TEXT NOT NULL,
    baseline TEXT NOT NULL,
    commits BIGINT NOT NULL,
    started_at BIGINT NOT NULL,
    finished_at BIGINT NOT NULL,
    result TEXT NOT NULL,
    checks TEXT NOT NULL,
    culprit TEXT,
    culprit_pull BIGINT,
    culprit_about TEXT,
    PRIMARY KEY (repo, id)
);

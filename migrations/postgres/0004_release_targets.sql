-- What carries a `pushgate/release` check: release tags, release branch heads and pull requests
-- into release branches, each with its newest commit, so that a change to an issue's labels
-- can re-evaluate them.
CREATE TABLE release_targets (
    repo TEXT NOT NULL,
    target TEXT NOT NULL,
    sha TEXT NOT NULL,
    installation BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (repo, target)
);

-- What the dashboard shows about a repository besides pull requests and the gate: the last
-- support matrix read (`support`) and the last release gate answer (`release`), as JSON.
CREATE TABLE repo_views (
    repo TEXT NOT NULL,
    kind TEXT NOT NULL,
    body TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (repo, kind)
);

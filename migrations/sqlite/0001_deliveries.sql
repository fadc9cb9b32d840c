-- Webhook deliveries: stored before the 202 answer, then processed by the worker.
CREATE TABLE deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    delivery_id TEXT NOT NULL UNIQUE,
    event TEXT NOT NULL,
    action TEXT NOT NULL DEFAULT '',
    repo TEXT NOT NULL DEFAULT '',
    installation_id BIGINT NOT NULL DEFAULT 0,
    payload TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending',
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL DEFAULT 0,
    lease_owner TEXT,
    lease_until BIGINT,
    last_error TEXT,
    processed_at BIGINT
);
CREATE INDEX deliveries_pending ON deliveries (state, repo, id);

-- Pushes to pull requests that changed files: the review window and ack dismissal.
CREATE TABLE pushes (
    repo TEXT NOT NULL,
    pr BIGINT NOT NULL,
    head_sha TEXT NOT NULL,
    at BIGINT NOT NULL,
    files TEXT NOT NULL,
    PRIMARY KEY (repo, pr, head_sha)
);

-- E-mail to GitHub login, as GitHub links commits authored with that e-mail.
CREATE TABLE identities (
    email TEXT PRIMARY KEY,
    login TEXT,
    fetched_at BIGINT NOT NULL
);

-- When a pull request must be looked at again (the review window ends).
CREATE TABLE wakeups (
    repo TEXT NOT NULL,
    pr BIGINT NOT NULL,
    installation_id BIGINT NOT NULL,
    at BIGINT NOT NULL,
    PRIMARY KEY (repo, pr)
);

-- The last verdict per pull request, for the dashboard and the status API.
CREATE TABLE evaluations (
    repo TEXT NOT NULL,
    pr BIGINT NOT NULL,
    head_sha TEXT NOT NULL,
    satisfied BIGINT NOT NULL,
    summary TEXT NOT NULL,
    at BIGINT NOT NULL,
    PRIMARY KEY (repo, pr)
);

-- Installations seen, for the reconciler.
CREATE TABLE installations (
    id BIGINT PRIMARY KEY,
    account TEXT NOT NULL,
    seen_at BIGINT NOT NULL
);

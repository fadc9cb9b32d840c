-- Commands given in comments (`/pushgate merge`), keyed by the comment that gave them: a
-- delivery replayed under a new id, or re-run after a crash, finds the command's progress
-- here and does no side effect twice. `state`: started, landing (the new staging tip is
-- `tip`, the ref update may or may not have happened), done.
CREATE TABLE commands (
    repo TEXT NOT NULL,
    comment_id BIGINT NOT NULL,
    state TEXT NOT NULL,
    tip TEXT,
    report TEXT,
    at BIGINT NOT NULL,
    PRIMARY KEY (repo, comment_id)
);

-- What the authors of a pull request's comments wrote, as deliveries showed it: writers and
-- admins can edit or delete anyone's comment, and an ack or objection counts only as its
-- author wrote it. `kind` is `issue` (issue comments) or `review` (inline review comments),
-- whose ids GitHub numbers apart. `edited` is set once the author edited it; `deleted` when
-- someone else deleted it (its objections still count).
CREATE TABLE authored_comments (
    repo TEXT NOT NULL,
    kind TEXT NOT NULL,
    id BIGINT NOT NULL,
    pr BIGINT NOT NULL,
    author TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    edited BIGINT NOT NULL DEFAULT 0,
    deleted BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (repo, kind, id)
);
CREATE INDEX authored_comments_pr ON authored_comments (repo, pr);

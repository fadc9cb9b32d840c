-- Commits pushgate landed on staging, and the pull request each came from: a culprit found by
-- bisection is reported on its pull request.
CREATE TABLE landed (
    repo TEXT NOT NULL,
    sha TEXT NOT NULL,
    pr BIGINT NOT NULL,
    PRIMARY KEY (repo, sha)
);

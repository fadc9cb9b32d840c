-- Maintainers pushgate asked to look at a pull request (issue 18, `acks.ask`): one row per
-- person and pull request, written once the request or mention went out, so nobody is asked
-- twice, even when a delivery runs again. `how` is `review` or `mention`.
CREATE TABLE asked (
    repo TEXT NOT NULL,
    pr BIGINT NOT NULL,
    login TEXT NOT NULL,
    how TEXT NOT NULL,
    at BIGINT NOT NULL,
    PRIMARY KEY (repo, pr, login)
);

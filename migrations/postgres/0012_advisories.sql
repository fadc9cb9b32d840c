-- Security advisories (issue 18): one row per advisory tracked with `/pushgate advisory`,
-- keyed by its name within the repository. `number` is the issue it is tracked on; `private`
-- is 1 when that issue is not public (its repository is private): nothing about the advisory is
-- shown on the dashboard then before `disclose_at`. The dates are Unix seconds: `reported_at`,
-- `fix_due` (the report plus `governance.advisory_fix_within`), `predisclose_at` and
-- `disclose_at` (once the disclosure is set), and `remind_before` the reminder lead, all fixed
-- when a command sets them. `done` holds the steps acted on (space-separated `step@deadline`
-- keys), so each reminder is sent once; `next_at` is when pushgate must act next (NULL:
-- nothing left). `status_comment` is the one comment kept current on the issue.
CREATE TABLE advisories (
    repo TEXT NOT NULL,
    name TEXT NOT NULL,
    number BIGINT NOT NULL,
    installation_id BIGINT NOT NULL,
    private BIGINT NOT NULL,
    reported_at BIGINT NOT NULL,
    fix_due BIGINT NOT NULL,
    predisclose_at BIGINT,
    disclose_at BIGINT,
    remind_before BIGINT NOT NULL,
    started_by TEXT NOT NULL,
    command BIGINT NOT NULL,
    started_at BIGINT NOT NULL,
    branch TEXT NOT NULL,
    status_comment BIGINT,
    done TEXT NOT NULL,
    next_at BIGINT,
    PRIMARY KEY (repo, name)
);
CREATE INDEX advisories_due ON advisories (next_at);
-- An embargo may name the advisory it holds a pull request for
-- (`/pushgate embargo <time> advisory <name>`).
ALTER TABLE embargoes ADD COLUMN advisory TEXT;

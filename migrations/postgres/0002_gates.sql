-- The push gate's state per repository (core::gate::Gate as JSON): flights, results, switches.
CREATE TABLE gates (
    repo TEXT PRIMARY KEY,
    state TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);

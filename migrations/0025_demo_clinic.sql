-- The demo's mark on a database it made. `serve --demo` fills only an empty database or one
-- carrying this mark, so it never mixes made-up patients into a real clinic's records, and a
-- second start finds the mark and adds nothing twice.
CREATE TABLE demo_clinic (
    only_row  boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    made_at   timestamptz NOT NULL DEFAULT now()
);

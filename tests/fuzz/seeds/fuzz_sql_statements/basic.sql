CREATE INDEX CONCURRENTLY a ON t (a);
DO $$ BEGIN PERFORM 1; END $$;
SELECT 'x;y', E'\';', "a;b" /* c; /* d; */ */ -- e;
;
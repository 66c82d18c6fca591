-- 016_deadlines_from: the deadline scan can start at the month the county began running fangpin
-- (FANGPIN_REPORTING_DEADLINES_FROM, YYYY-MM). Before, a fresh install announced a deadline.missed
-- for every department, township and county late in the two months and the quarter before
-- today's, including the months before anyone used the system. With p_from, a month before it and
-- a quarter that ended before it are not announced; the deadlines report itself still tells who
-- was late for any period asked. p_from '' (the default) announces as before.

-- The reporting service's periodic scan as of p_today, from month p_from ('' = no limit): as 011's
-- report_deadline_scan(date), for the periods on or after p_from.
CREATE FUNCTION report_deadline_scan(p_today date, p_from text) RETURNS integer
LANGUAGE plpgsql SET jit = off AS $$
DECLARE
    n integer;
    m date := date_trunc('month', p_today)::date;
    qs date := date_trunc('quarter', p_today)::date - interval '3 months';
    v_from date;
BEGIN
    IF coalesce(p_from, '') <> '' THEN
        IF p_from !~ '^[0-9]{4}-(0[1-9]|1[0-2])$' THEN
            RAISE EXCEPTION 'p_from must be a month YYYY-MM or empty, not %', p_from;
        END IF;
        v_from := (p_from || '-01')::date;
    END IF;
    WITH periods AS (
        SELECT to_char(m - interval '1 month', 'YYYY-MM') AS period
        UNION ALL SELECT to_char(m - interval '2 months', 'YYYY-MM')
        UNION ALL SELECT to_char(qs, 'YYYY') || 'Q' || extract(quarter FROM qs)::int
    ), ledger_counties AS (
        -- the counties of the ledger by skipping along its primary key (no scan of every household)
        WITH RECURSIVE c AS (
            SELECT min(county_code)::text AS cc FROM ledger_households
            UNION ALL
            SELECT (SELECT min(h.county_code)::text FROM ledger_households h WHERE h.county_code > c.cc)
              FROM c WHERE c.cc IS NOT NULL
        ) SELECT cc FROM c WHERE cc IS NOT NULL
    ), counties AS (
        SELECT DISTINCT county_code::text FROM departments
        UNION SELECT cc FROM ledger_counties
    ), late AS (
        SELECT u.*, p.period, c.county_code
          FROM counties c CROSS JOIN periods p
          CROSS JOIN LATERAL report_deadline_units(c.county_code, p.period, p_today) u
         WHERE u.late
    ), late_since AS (
        SELECT * FROM late l
         WHERE v_from IS NULL
            OR CASE WHEN l.period LIKE '%Q%' THEN report_quarter_end(l.period) >= v_from
                    ELSE l.period >= p_from END
    ), ins AS (
        INSERT INTO deadline_misses (deadline, unit_kind, unit_code, period, county_code, due_on, found_on)
        SELECT l.deadline, l.unit_kind, CASE WHEN l.unit_kind = 'department' THEN l.county_code || ':' || l.code
                                             ELSE l.code END,
               l.period, l.county_code, l.due_on, p_today
          FROM late_since l ORDER BY 1, 3, 4
        ON CONFLICT DO NOTHING
        RETURNING deadline, unit_kind, unit_code, period, county_code, due_on
    )
    INSERT INTO events (county_code, region_code, type, payload)
    SELECT i.county_code,
           rpad(CASE WHEN i.unit_kind = 'department' THEN i.county_code ELSE i.unit_code END, 12, '0'),
           'deadline.missed',
           jsonb_build_object('deadline', i.deadline, 'unit_kind', i.unit_kind,
                              'unit', CASE WHEN i.unit_kind = 'department' THEN split_part(i.unit_code, ':', 2)
                                           ELSE i.unit_code END,
                              'period', i.period, 'due_on', i.due_on::text)
      FROM ins i ORDER BY i.deadline, i.unit_code;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END $$;

-- 011's one-argument scan: no limit.
CREATE OR REPLACE FUNCTION report_deadline_scan(p_today date) RETURNS integer
LANGUAGE sql AS $$ SELECT report_deadline_scan(p_today, '') $$;

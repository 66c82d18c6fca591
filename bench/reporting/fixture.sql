-- bench/reporting/fixture.sql: the reporting benchmark's prefecture, generated set-based in SQL
-- (fixture data for timing reports, not a path the product takes). Run by run.sh as
--   psql -v prefix=6528 -v people=1200000 -v monitored=150000 -v open_cases=15000 \
--        -v leads=100000 -v quarter=2026Q3 -v month=2026-10 -f fixture.sql
-- on a migrated database holding the national division codes (fangpinctl regions import).
--   ledger      :people rural people in households of 1..5 (3.1 on average) in the real rural
--               villages (村委会, 村民委员会, 村, 队) of every county under :prefix, households dealt
--               round-robin over the villages (so counties in proportion to their villages);
--               made-up ID numbers (county code, a birth date, a sequence, the GB 11643 check
--               character) and made-up names (测户/测员 + a number): no real person. No table keeps
--               a number in clear: each is stored as fangpin stores it (id_hmac, id_sealed,
--               id_masked; docs/operations.md, "Personal data at rest"), made with the bench's data
--               key by bench/seal_ids.py (below, "ID numbers at rest")
--   monitored   :monitored households (picked by hash) with an identified case and a monitoring
--               plan: kinds, risk types (1..3 of the national list), an elimination state spread
--               over the six states (35% eliminated, by assistance or natural, dated 2021..2026),
--               1..4 measures over the twelve categories with statuses, one check per running
--               measure in :quarter (85% of them), plan_history for plan.opened and for every
--               elimination step taken
--   open cases  :open_cases other households with a case of :month still in verification (opened..
--               county approved) or closed, each with its lead (case_leads) and case_history
--   leads       :leads more accepted leads of :month from six departments, statuses spread; the
--               departments' batches of the month (some late, some missing) and the counties'
--               quarter summaries of :quarter (some late, one missing), for deadlines
-- Every row is deterministic (hashes of the row number, no random()) but for the sealed numbers'
-- random nonces; one transaction per step.
--
-- ID numbers at rest. The fixture makes the numbers in SQL, then sends them (with a row tag) out
-- of the session to bench/seal_ids.py, which returns id_hmac, id_sealed and id_masked made with
-- the bench's data key exactly as common/seal.c makes them (HMAC-SHA-256 with the matching
-- subkey; XChaCha20-Poly1305 with the sealing subkey and a fresh random nonce per row), and
-- COPYs them back in to join on the tag. Why not in SQL: the key must never reach SQL in
-- production, and although a fixture could hand pgcrypto's hmac() the matching subkey, nothing
-- in PostgreSQL seals with XChaCha20-Poly1305, so Python (Debian's python3-nacl) would be needed
-- for id_sealed anyway; one round trip for all three columns costs about 1.3 s per 120,000
-- people (SCALE=0.1, measured: the sealer 1.2 s, the COPY back 0.13 s), so 10-15 s of the full
-- 1.2 M people's ledger step. Every lead is sealed again on its own, with its own nonce, as
-- intake seals each lead; its id_hmac equals its member's, so screening would match it. The
-- clear numbers exist only in this session's temp tables; the sealer's output (no clear number
-- in it but the masked form) goes through a file under $FP_BENCH_TMP, removed once read back.
-- The key: $FANGPIN_DATA_KEY, else $FANGPIN_KEYS_DIR/data.key (run.sh makes it with `fangpinctl
-- keys make`); the database records its check value, so a service given another key refuses.
-- The sealer runs under $PYTHON (default /usr/bin/python3, which has python3-nacl), from the
-- repository's root.
\set ON_ERROR_STOP 1
\timing off
SET client_min_messages = warning;
\set datakey_check `"${PYTHON:-/usr/bin/python3}" bench/seal_ids.py --check`
-- recorded by the first to seal (as common/migrate.c records it), else compared
INSERT INTO data_key (check_value) VALUES (:'datakey_check') ON CONFLICT DO NOTHING;
SELECT check_value = :'datakey_check' AS datakey_ok FROM data_key \gset
\if :datakey_ok
\else
  \echo 'fixture.sql: the data key is not this database''s (another key sealed its ID numbers)'
  \quit 3
\endif

-- the GB 11643 check character of 17 digits
CREATE FUNCTION pg_temp.id18(c text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT c || substr('10X98765432',
                       (SELECT sum(substr(c, k::int, 1)::int * w)::int
                          FROM unnest('{7,9,10,5,8,4,2,1,6,3,7,9,10,5,8,4,2}'::int[]) WITH ORDINALITY AS x(w, k)) % 11 + 1,
                       1)
$$;
-- a well-mixed non-negative hash of (n, salt)
CREATE FUNCTION pg_temp.h(n bigint, salt int) RETURNS bigint LANGUAGE sql IMMUTABLE AS $$
    SELECT (hashint8(n * 1000003 + salt)::bigint & 2147483647)
$$;

CREATE TEMP TABLE v AS
SELECT (row_number() OVER (ORDER BY code) - 1)::int AS i, code::text AS code
  FROM regions
 WHERE level = 5 AND code LIKE :'prefix' || '%' AND name ~ '(村委会|村民委员会|村|队)$';
SELECT count(*) AS nv, count(DISTINCT left(code, 6)) AS ncounties, count(DISTINCT left(code, 9)) AS ntowns FROM v \gset
\echo '   ' :nv 'rural villages in' :ntowns 'townships of' :ncounties 'counties under' :prefix
-- households of sizes 3,4,2,5,3,1,4,3,2,4 (31 people per 10 households); the last ones cut at :people
SELECT ((:people::bigint + 30) / 31) * 10 AS nh \gset

\echo '== ledger: households and members'
BEGIN;
CREATE TEMP TABLE hh AS
SELECT h, v.code AS village, left(v.code, 6) AS county, v.code || lpad((h / :nv)::text, 4, '0') AS hno,
       31 * (h / 10) + ('{0,3,7,9,14,17,18,22,25,27}'::int[])[h % 10 + 1] AS p0,
       ('{3,4,2,5,3,1,4,3,2,4}'::int[])[h % 10 + 1] AS size
  FROM generate_series(0, :nh - 1) h JOIN v ON v.i = h % :nv;
DELETE FROM hh WHERE p0 >= :people;
UPDATE hh SET size = :people - p0 WHERE p0 + size > :people;
-- monitored households: the :monitored with the smallest hash; m = 1..:monitored
ALTER TABLE hh ADD COLUMN m int;
UPDATE hh SET m = r.m FROM (SELECT h, row_number() OVER (ORDER BY pg_temp.h(h, 1), h) AS m FROM hh) r
 WHERE r.h = hh.h AND r.m <= :monitored;
-- open (or closed) verification cases: the next :open_cases by that hash
ALTER TABLE hh ADD COLUMN oc int;
UPDATE hh SET oc = r.m - :monitored FROM (SELECT h, row_number() OVER (ORDER BY pg_temp.h(h, 1), h) AS m FROM hh) r
 WHERE r.h = hh.h AND r.m > :monitored AND r.m <= :monitored + :open_cases;
CREATE INDEX ON hh (h);
ANALYZE hh;

INSERT INTO ledger_households (county_code, household_no, village_code, household_type, monitored_kind, head_name,
       wage_fen, wage_public_job_fen, operating_fen, property_fen, pension_fen, eco_compensation_fen, dibao_fen,
       other_transfer_fen, production_cost_fen, medical_oop_fen,
       food_clothing_ok, education_ok, medical_ok, housing_ok, water_ok, survey_period)
SELECT county, hno, village,
       CASE WHEN m IS NOT NULL THEN 'monitored' WHEN pg_temp.h(h, 2) % 10 < 3 THEN 'lifted' ELSE 'general' END,
       CASE WHEN m IS NULL THEN NULL
            WHEN m % 20 < 7 THEN 'unstable_lifted' WHEN m % 20 < 15 THEN 'marginal' ELSE 'sudden_hardship' END,
       '测户' || h,
       size * (300000 + pg_temp.h(h, 3) % 1500000), 0, pg_temp.h(h, 4) % 2000000, pg_temp.h(h, 5) % 50000,
       pg_temp.h(h, 6) % 300000, pg_temp.h(h, 7) % 100000,
       CASE WHEN m IS NOT NULL AND m % 7 = 0 THEN 360000 ELSE 0 END, pg_temp.h(h, 8) % 100000,
       pg_temp.h(h, 9) % 600000, pg_temp.h(h, 10) % 3000000,
       true, true, pg_temp.h(h, 11) % 50 <> 0, pg_temp.h(h, 12) % 40 <> 0, true, '2026Q3'
  FROM hh ORDER BY county, hno;

-- members: person p (0..:people-1) is the j-th of household h (j < 5); ID numbers from h * 5 + j,
-- made here into the temp table pp, then sealed (above, "ID numbers at rest")
CREATE TEMP TABLE pp AS
SELECT p, county, pg_temp.id18(county || to_char(born, 'YYYYMMDD') || lpad(sq::text, 3, '0')) AS id_number, hno,
       '测员' || p AS name, rel, born, CASE WHEN sq % 2 = 1 THEN 'male' ELSE 'female' END AS sex,
       CASE WHEN age < 16 OR age > 70 THEN 'none' WHEN x % 10 = 0 THEN 'weak' WHEN x % 53 = 0 THEN 'lost'
            ELSE 'normal' END AS labour,
       CASE WHEN x % 37 = 0 THEN 'disabled' WHEN x % 11 = 0 THEN 'chronic' WHEN x % 41 = 0 THEN 'serious'
            ELSE 'healthy' END AS health,
       CASE WHEN x % 37 = 0 THEN (x % 4 + 1)::smallint END AS disability_grade,
       CASE WHEN age < 6 THEN 'preschool' WHEN age < 19 THEN (CASE WHEN x % 97 = 0 THEN 'dropped_out' ELSE 'in_school' END)
            WHEN x % 5 = 0 THEN 'none' ELSE 'graduated' END AS schooling,
       x % 60 <> 0 AS insured
  FROM (SELECT hh.county, hh.hno, hh.p0 + j AS p,
               CASE j WHEN 0 THEN 'head' WHEN 1 THEN 'spouse' WHEN 4 THEN 'parent' ELSE 'child' END AS rel,
               ci, pg_temp.h(hh.p0 + j, 20) AS x,
               -- born: heads and spouses 1940..1989, children 1976..2025, parents 1925..1974; the
               -- sequence carries the group and the household's index, so (birth date, sequence)
               -- is unique in the whole prefecture
               CASE WHEN j IN (0, 1) THEN date '1940-01-01' WHEN j = 4 THEN date '1925-01-01'
                    ELSE date '1976-01-01' END + (ci % 18250)::int AS born,
               ((ci / 18250)::int * 3 + CASE WHEN j IN (0, 1) THEN 0 WHEN j = 4 THEN 2 ELSE 1 END) * 2
                 + ((hh.p0 + j) % 2)::int AS sq
          FROM hh CROSS JOIN LATERAL generate_series(0, hh.size - 1) j
          CROSS JOIN LATERAL (SELECT hh.h::bigint * 5 + j AS ci) c) q
  CROSS JOIN LATERAL (SELECT extract(year FROM age(date '2026-09-30', born))::int AS age) a;
\copy (SELECT p, id_number FROM pp) TO PROGRAM '"${PYTHON:-/usr/bin/python3}" bench/seal_ids.py >"$FP_BENCH_TMP/members.sealed"'
CREATE TEMP TABLE ps (p bigint, id_hmac bytea, id_sealed bytea, id_masked text);
\copy ps FROM PROGRAM 'cat "$FP_BENCH_TMP/members.sealed" && rm "$FP_BENCH_TMP/members.sealed"'
INSERT INTO ledger_members (county_code, id_hmac, id_sealed, id_masked, household_no, name, relation, birth_date, sex,
       labour, health, disability_grade, schooling, insured)
SELECT pp.county, ps.id_hmac, ps.id_sealed, ps.id_masked, pp.hno, pp.name, pp.rel, pp.born, pp.sex, pp.labour,
       pp.health, pp.disability_grade, pp.schooling, pp.insured
  FROM pp JOIN ps USING (p)
 ORDER BY pp.county, ps.id_hmac;
-- the heads' numbers, for the leads below; the rest goes
CREATE TEMP TABLE heads AS SELECT county, hno, id_number, name FROM pp WHERE rel = 'head';
CREATE UNIQUE INDEX ON heads (hno);
ANALYZE heads;
DROP TABLE pp, ps;
COMMIT;
SELECT count(*) AS nmembers FROM ledger_members WHERE county_code LIKE :'prefix' || '%' \gset
SELECT count(*) AS nhouseholds FROM ledger_households WHERE county_code LIKE :'prefix' || '%' \gset
\echo '   ' :nmembers 'people in' :nhouseholds 'households'

\echo '== monitored households: identified cases and monitoring plans'
BEGIN;
CREATE TEMP TABLE mh AS
SELECT hh.*, l.monitored_kind AS kind,
       -- identified 2021-01 .. 2026-09: the quarter's own identifications included
       date '2021-01-04' + (pg_temp.h(m, 30) % 2080)::int AS opened_on,
       10 + (pg_temp.h(m, 31) % 15)::int AS took,
       (SELECT array_agg(t ORDER BY o) FROM (SELECT DISTINCT ON (t) t, o FROM (VALUES
           (1, (ARRAY['illness','disability','schooling','disaster','accident','industry_failure','unstable_work',
                      'lack_of_labour','housing','water','other'])[1 + pg_temp.h(m, 32) % 11]),
           (2, CASE WHEN m % 3 > 0 THEN (ARRAY['illness','disability','schooling','disaster','unstable_work',
                      'lack_of_labour'])[1 + pg_temp.h(m, 33) % 6] END),
           (3, CASE WHEN m % 5 = 0 THEN (ARRAY['illness','housing','water','accident'])[1 + pg_temp.h(m, 34) % 4] END))
           x(o, t) WHERE t IS NOT NULL ORDER BY t, o) y) AS risks,
       pg_temp.h(m, 35) % 100 AS es
  FROM hh JOIN ledger_households l ON l.county_code = hh.county AND l.household_no = hh.hno
 WHERE hh.m IS NOT NULL;
ALTER TABLE mh ADD COLUMN identified_on date, ADD COLUMN elim_on date, ADD COLUMN case_id bigint,
               ADD COLUMN plan_id bigint;
UPDATE mh SET identified_on = opened_on + took,
              -- a candidate elimination day: 6 months after identification or later
              elim_on = opened_on + took + 183 + (pg_temp.h(m, 36) % 1000)::int;
CREATE UNIQUE INDEX ON mh (m);

WITH c AS (
    INSERT INTO cases (county_code, village_code, household_no, state, kind, risk_types, decision, line_fen,
                       per_capita_net_fen, opened_on, due_on, step_since, consent)
    SELECT county, village, hno, 'identified', kind, risks,
           jsonb_build_object('kind', kind, 'in_range', kind <> 'sudden_hardship', 'risk_types', to_jsonb(risks)),
           720000, 500000 + pg_temp.h(m, 37) % 400000, opened_on, opened_on + 15, identified_on, true
      FROM mh ORDER BY m
    RETURNING id, county_code, household_no)
UPDATE mh SET case_id = c.id FROM c WHERE c.county_code = mh.county AND c.household_no = mh.hno;

-- elimination states: 50% monitored, 5% nominated, 5% notice posted, 3% township approved,
-- 2% county confirmed, 35% eliminated (when its candidate day is on or before 2026-11-20)
WITH p AS (
    INSERT INTO plans (county_code, village_code, household_no, kind, case_id, monitored_kind, risk_types,
                       identified_on, opened_on, elim_state, elim_step_since, elim_notice_posted_on, elim_notice_text,
                       elim_objections, elim_way, eliminated_on, backstop, created_at)
    SELECT county, village, hno, 'monitoring', case_id, kind, risks, identified_on, identified_on, st,
           CASE WHEN st <> 'monitored' THEN step_on END,
           CASE WHEN st IN ('notice_posted', 'township_approved', 'county_confirmed', 'eliminated')
                THEN LEAST(step_on, elim_on) - 12 END,
           CASE WHEN st IN ('notice_posted', 'township_approved', 'county_confirmed', 'eliminated')
                THEN '测户' || h || '：拟消除风险公示' ELSE '' END,
           CASE WHEN m % 97 = 0 THEN 1 ELSE 0 END,
           CASE WHEN st = 'eliminated' THEN CASE WHEN m % 10 < 7 THEN 'by_assistance' ELSE 'natural' END END,
           CASE WHEN st = 'eliminated' THEN elim_on END,
           m % 41 = 0, identified_on::timestamptz
      FROM (SELECT mh.*,
                   CASE WHEN es >= 65 AND elim_on <= date '2026-11-20' THEN 'eliminated'
                        WHEN es >= 65 OR es < 50 THEN 'monitored'
                        WHEN es < 55 THEN 'nominated' WHEN es < 60 THEN 'notice_posted'
                        WHEN es < 63 THEN 'township_approved' ELSE 'county_confirmed' END AS st,
                   date '2026-08-01' + (pg_temp.h(m, 38) % 110)::int AS step_on
              FROM mh) s
     ORDER BY m
    RETURNING id, county_code, household_no)
UPDATE mh SET plan_id = p.id FROM p WHERE p.county_code = mh.county AND p.household_no = mh.hno;
COMMIT;
ANALYZE mh;

\echo '== measures, quarterly checks, plan history'
BEGIN;
-- 1..4 measures a plan; the first answers the first risk type, the others by hash over the twelve
CREATE TEMP TABLE cat (risk text, category text, unit text);
INSERT INTO cat VALUES ('illness', 'health', '县医疗保障局'), ('disability', 'social_help', '县残疾人联合会'),
  ('schooling', 'education', '县教育局'), ('disaster', 'risk_fund', '县应急管理局'),
  ('accident', 'risk_fund', '县防贫办'), ('industry_failure', 'industry', '县农业农村局'),
  ('unstable_work', 'employment', '县人力资源和社会保障局'), ('lack_of_labour', 'backstop', '县民政局'),
  ('housing', 'housing', '县住房和城乡建设局'), ('water', 'water', '县水利局'), ('other', 'helper', '乡镇人民政府');
INSERT INTO measures (county_code, plan_id, category, title, responsible_unit, start_on, end_on, amount_fen, status,
                      status_on, stop_reason, created_at)
SELECT county, plan_id, category, category || ' 帮扶措施', coalesce(u.unit, '县乡村振兴局'), start_on,
       CASE WHEN k % 3 = 0 THEN NULL ELSE start_on + 180 + (x % 540)::int END,
       CASE WHEN category IN ('finance', 'industry', 'housing', 'risk_fund', 'relocation') THEN 100000 + x % 5000000
            ELSE x % 300000 END,
       st, CASE WHEN st <> 'planned' THEN start_on + (x % 60)::int END,
       CASE WHEN st = 'stopped' THEN '户情变化，措施停止' ELSE '' END, start_on::timestamptz
  FROM (SELECT mh.county, mh.plan_id, k, pg_temp.h(mh.m * 8 + k, 40) AS x,
               CASE WHEN k = 0 THEN (SELECT c.category FROM cat c WHERE c.risk = mh.risks[1])
                    ELSE (ARRAY['industry','finance','employment','housing','water','health','education',
                                'social_help','relocation','backstop','helper','risk_fund'])
                         [1 + pg_temp.h(mh.m * 8 + k, 41) % 12] END AS category,
               mh.identified_on + (k * 20) AS start_on,
               (ARRAY['planned','in_progress','in_progress','in_progress','delivered','delivered','delivered',
                      'stopped'])[1 + pg_temp.h(mh.m * 8 + k, 42) % 8] AS st
          FROM mh CROSS JOIN LATERAL generate_series(0, (pg_temp.h(mh.m, 43) % 4)::int) k) s
  LEFT JOIN (SELECT DISTINCT ON (category) category, unit FROM cat ORDER BY category) u USING (category)
 ORDER BY plan_id, k;

-- one check in the quarter for 85% of the measures running in it (started by its end, not ended
-- before its start, not stopped before it), most on track
INSERT INTO measure_checks (county_code, measure_id, quarter, checked_on, actor, level, result, finding)
SELECT m.county_code, m.id, :'quarter', q0 + 60 + (pg_temp.h(m.id, 50) % 31)::int,
       'actor:' || left(p.village_code, 9) || ':bench', 'township',
       CASE WHEN pg_temp.h(m.id, 51) % 10 = 0 THEN 'problem' ELSE 'on_track' END,
       CASE WHEN pg_temp.h(m.id, 51) % 10 = 0 THEN '进度滞后，已督促' ELSE '按计划推进' END
  FROM measures m JOIN plans p ON p.county_code = m.county_code AND p.id = m.plan_id
  CROSS JOIN (SELECT ledger_period_start(:'quarter') AS q0) q
 WHERE m.county_code LIKE :'prefix' || '%' AND m.start_on <= q0 + 90 AND (m.end_on IS NULL OR m.end_on >= q0)
   AND NOT (m.status = 'stopped' AND m.status_on < q0) AND m.status <> 'planned'
   AND pg_temp.h(m.id, 52) % 100 < 85
 ORDER BY m.id;

-- each measure's status history, as the service writes it: measure.added (planned) on its start,
-- then its status now on status_on (measures_quarterly reads it for measures changed after the
-- quarter: migration 014)
INSERT INTO plan_history (county_code, plan_id, measure_id, at, on_day, actor, level, event, from_state, to_state,
                          reason)
SELECT m.county_code, m.plan_id, m.id, m.start_on::timestamptz, m.start_on, 'actor:bench', 'village', 'measure.added',
       NULL, 'planned', m.title
  FROM measures m WHERE m.county_code LIKE :'prefix' || '%' ORDER BY m.id;
INSERT INTO plan_history (county_code, plan_id, measure_id, at, on_day, actor, level, event, from_state, to_state,
                          reason)
SELECT m.county_code, m.plan_id, m.id, m.status_on::timestamptz, m.status_on, 'actor:bench', 'village',
       'measure.' || m.status, 'planned', m.status, m.stop_reason
  FROM measures m WHERE m.county_code LIKE :'prefix' || '%' AND m.status <> 'planned' ORDER BY m.id;

-- plan.opened for every plan; the elimination steps each plan has taken, dated before its step day
INSERT INTO plan_history (county_code, plan_id, at, on_day, actor, level, event, from_state, to_state, reason)
SELECT p.county_code, p.id, p.identified_on::timestamptz, p.identified_on, 'system', NULL, 'plan.opened', NULL,
       'monitored', ''
  FROM plans p WHERE p.county_code LIKE :'prefix' || '%' ORDER BY p.id;
INSERT INTO plan_history (county_code, plan_id, at, on_day, actor, level, event, from_state, to_state, reason)
SELECT p.county_code, p.id, d::timestamptz, d, 'actor:' || left(p.village_code, lv) || ':bench',
       (ARRAY['village','village','township','county','county'])[s.n],
       'elimination.' || s.ev, s.fr, s.tt, CASE WHEN s.n = 1 THEN '收入稳定超过监测线半年以上' ELSE '' END
  FROM plans p
  CROSS JOIN LATERAL (VALUES (1, 'nominate', 'monitored', 'nominated', 12),
                             (2, 'post_notice', 'nominated', 'notice_posted', 12),
                             (3, 'approve', 'notice_posted', 'township_approved', 9),
                             (4, 'confirm', 'township_approved', 'county_confirmed', 6),
                             (5, 'announce', 'county_confirmed', 'eliminated', 6)) s(n, ev, fr, tt, lv)
  CROSS JOIN LATERAL (SELECT coalesce(p.eliminated_on, p.elim_step_since) - (5 - s.n) * 4
                             - CASE WHEN p.elim_state = 'eliminated' THEN 0 ELSE 4 END AS d) dd
 WHERE p.county_code LIKE :'prefix' || '%' AND p.kind = 'monitoring'
   AND s.n <= array_position(ARRAY['nominated','notice_posted','township_approved','county_confirmed','eliminated'],
                             p.elim_state)
 ORDER BY p.id, s.n;
-- plans still monitored that were sent back (return), refused (refuse, by level, with a reason) or
-- had an elimination undone (undo), dated in the two quarters up to the report's
INSERT INTO plan_history (county_code, plan_id, at, on_day, actor, level, event, from_state, to_state, reason)
SELECT p.county_code, p.id, d::timestamptz, d, 'actor:' || left(p.village_code, 9) || ':bench', lvl,
       'elimination.' || ev, fr, 'monitored', why
  FROM plans p
  CROSS JOIN LATERAL (SELECT pg_temp.h(p.id, 80) % 400 AS x) x
  CROSS JOIN LATERAL (SELECT ledger_period_start(:'quarter') - 60 + (pg_temp.h(p.id, 81) % 150)::int AS d) dd
  CROSS JOIN LATERAL (SELECT CASE WHEN x < 8 THEN 'return' WHEN x < 14 THEN 'refuse' ELSE 'undo' END AS ev,
                             (ARRAY['village', 'township', 'county'])[1 + x % 3] AS lvl,
                             CASE WHEN x < 8 THEN 'notice_posted' WHEN x < 14 THEN 'nominated' ELSE 'eliminated' END AS fr,
                             CASE WHEN x < 8 THEN '材料不全，退回补充'
                                  WHEN x < 14 THEN (ARRAY['elim.backstop_household', '收入不稳定', '刚性支出未解决'])[1 + x % 3]
                                  ELSE '回访发现返贫风险' END AS why) e
 WHERE p.county_code LIKE :'prefix' || '%' AND p.kind = 'monitoring' AND p.elim_state = 'monitored' AND x < 16
 ORDER BY p.id;
COMMIT;

\echo '== the month''s verification: open cases, their leads and history, the month''s leads and batches'
BEGIN;
-- cases of the month still in verification or closed, one lead each (their head's), the case
-- history of every step taken; some steps late against the report day
INSERT INTO cases (county_code, village_code, household_no, state, kind, risk_types, opened_on, due_on, step_since,
                   notice_posted_on, consent)
SELECT county, village, hno, st, CASE WHEN st <> 'opened' THEN 'marginal' END,
       CASE WHEN st <> 'opened' THEN '{illness}'::text[] ELSE '{}' END,
       od, od + 15, od + 3 * (array_position(ARRAY['opened','visited','notice_posted','township_reviewed',
                                                   'county_approved','closed_not_included'], st) - 1),
       CASE WHEN st IN ('notice_posted', 'township_reviewed', 'county_approved') THEN od + 6 END,
       st <> 'opened'
  FROM (SELECT hh.*, (:'month' || '-01')::date + (pg_temp.h(oc, 60) % 28)::int AS od,
               (ARRAY['opened','visited','visited','notice_posted','notice_posted','township_reviewed',
                      'county_approved','closed_not_included'])[1 + pg_temp.h(oc, 61) % 8] AS st
          FROM hh WHERE oc IS NOT NULL) s
 ORDER BY county, hno;
INSERT INTO case_history (county_code, case_id, at, actor, level, event, from_state, to_state, reason)
SELECT c.county_code, c.id, ((c.opened_on + 3 * (k - 1)) + time '10:00') AT TIME ZONE 'Asia/Shanghai',
       CASE WHEN k = 1 THEN 'system' ELSE 'actor:' || left(c.village_code, 9) || ':bench' END,
       (ARRAY[NULL, 'village', 'village', 'township', 'county', 'county'])[k],
       (ARRAY['opened', 'visit', 'post_notice', 'review', 'approve', 'close'])[k],
       CASE WHEN k > 1 THEN path[k - 1] END, path[k], ''
  FROM cases c
  CROSS JOIN LATERAL (SELECT CASE WHEN c.state = 'closed_not_included' THEN ARRAY['opened', 'visited', 'closed_not_included']
                                  ELSE ARRAY['opened','visited','notice_posted','township_reviewed','county_approved'] END AS path) pa
  CROSS JOIN LATERAL generate_series(1, array_position(pa.path, c.state)) k
 WHERE c.state <> 'identified' AND c.county_code LIKE :'prefix' || '%'
 ORDER BY c.id, k;

INSERT INTO departments (county_code, code, name_zh, name_en)
SELECT DISTINCT left(v.code, 6), t.code, t.name_zh, t.name_en FROM v, department_types t
 WHERE t.code IN ('yibao', 'weijian', 'minzheng', 'zhujian', 'yingji', 'renshe')
ON CONFLICT DO NOTHING;
CREATE TEMP TABLE kinds (n int, kind text, dept text, amt boolean);
INSERT INTO kinds VALUES (0, 'yibao.high_cost', 'yibao', true), (1, 'weijian.serious_illness', 'weijian', false),
  (2, 'minzheng.temp_relief', 'minzheng', true), (3, 'zhujian.dangerous_house', 'zhujian', false),
  (4, 'yingji.disaster', 'yingji', false), (5, 'renshe.job_loss', 'renshe', false);
-- the leads, made into the temp table nl with their heads' ID numbers, then sealed (each lead
-- on its own, as intake seals it) and inserted: first the open cases' leads (line_no = the case
-- id, g = 1), then the month's other leads (g = 2): people of the ledger picked by hash, six
-- departments, statuses spread
CREATE TEMP TABLE nl AS
SELECT row_number() OVER () AS r, x.* FROM (
SELECT 1 AS g, c.county_code, c.village_code, 'dept:' || c.county_code || ':' || k.dept AS sender, k.dept,
       'bench-' || k.dept || '-' || :'month' AS batch_id, c.id::int AS line_no, 'case' || c.id AS line_ref, k.kind,
       m.id_number, m.name, c.opened_on AS occurred_on,
       CASE WHEN k.amt THEN 100000 + pg_temp.h(c.id, 62) % 3000000 END AS amount_fen,
       (c.opened_on + time '09:00') AT TIME ZONE 'Asia/Shanghai' AS received_at,
       CASE WHEN c.state = 'closed_not_included' THEN 'not_included' ELSE 'verifying' END AS status,
       now() AS status_at
  FROM cases c
  JOIN kinds k ON k.n = pg_temp.h(c.id, 63) % 6
  JOIN heads m ON m.hno = c.household_no AND m.county = c.county_code
 WHERE c.state <> 'identified' AND c.county_code LIKE :'prefix' || '%'
UNION ALL
SELECT 2, lm.county, h.village_code, 'dept:' || lm.county || ':' || k.dept, k.dept,
       'bench-' || k.dept || '-' || :'month', i::int, i::text, k.kind, lm.id_number, lm.name, od,
       CASE WHEN k.amt THEN 100000 + pg_temp.h(i, 71) % 3000000 END,
       (od + 3 + (pg_temp.h(i, 72) % 25)::int)::timestamp AT TIME ZONE 'Asia/Shanghai', st,
       CASE WHEN st = 'unmatched' THEN (od + 5)::timestamp AT TIME ZONE 'Asia/Shanghai' ELSE now() END
  FROM generate_series(1, :leads) i
  CROSS JOIN LATERAL (SELECT (:'month' || '-01')::date + (pg_temp.h(i, 74) % 28)::int AS od,
                             (ARRAY['pending','verifying','verifying','identified','not_included','unmatched'])
                               [1 + pg_temp.h(i, 73) % 6] AS st) d
  JOIN kinds k ON k.n = pg_temp.h(i, 75) % 6
  JOIN hh ON hh.h = pg_temp.h(i, 76) % :nh
  JOIN heads lm ON lm.hno = hh.hno
  JOIN ledger_households h ON h.county_code = lm.county AND h.household_no = lm.hno) x;
\copy (SELECT r, id_number FROM nl) TO PROGRAM '"${PYTHON:-/usr/bin/python3}" bench/seal_ids.py >"$FP_BENCH_TMP/leads.sealed"'
CREATE TEMP TABLE ls (r bigint, id_hmac bytea, id_sealed bytea, id_masked text);
\copy ls FROM PROGRAM 'cat "$FP_BENCH_TMP/leads.sealed" && rm "$FP_BENCH_TMP/leads.sealed"'
INSERT INTO leads (county_code, village_code, sender, department_code, batch_id, line_no, line_ref, period, kind,
                   id_hmac, id_sealed, id_masked, name, occurred_on, amount_fen, detail, received_at, received_on,
                   status, status_at, screened_at)
SELECT nl.county_code, nl.village_code, nl.sender, nl.dept, nl.batch_id, nl.line_no, nl.line_ref, :'month', nl.kind,
       ls.id_hmac, ls.id_sealed, ls.id_masked, nl.name, nl.occurred_on, nl.amount_fen, '基准测试线索', nl.received_at,
       (nl.received_at AT TIME ZONE 'Asia/Shanghai')::date, nl.status, nl.status_at, now()
  FROM nl JOIN ls USING (r)
 ORDER BY nl.g, nl.line_no
ON CONFLICT DO NOTHING;
DROP TABLE nl, ls;
INSERT INTO case_leads (county_code, case_id, lead_id, merged_at)
SELECT l.county_code, l.line_no, l.id, l.received_at FROM leads l
 WHERE l.line_ref LIKE 'case%' AND l.period = :'month' ORDER BY l.id;
-- the departments' batches of the month: received on the 1st..8th of the next month (after the
-- 5th is late); every seventh department sent none
INSERT INTO lead_batches (county_code, sender, department_code, batch_id, period, content_hash, leads, accepted,
                          duplicates, rejected, received_at, received_on)
SELECT l.county_code, l.sender, l.department_code, l.batch_id, :'month', md5(l.batch_id), count(*), count(*), 0, 0,
       ((:'month' || '-01')::date + interval '1 month' + (pg_temp.h(hashtext(l.sender), 64) % 8) * interval '1 day'
        + time '10:00') AT TIME ZONE 'Asia/Shanghai',
       (:'month' || '-01')::date + interval '1 month' + (pg_temp.h(hashtext(l.sender), 64) % 8) * interval '1 day'
  FROM leads l WHERE l.period = :'month' AND l.batch_id LIKE 'bench-%'
 GROUP BY l.county_code, l.sender, l.department_code, l.batch_id
HAVING pg_temp.h(hashtext(l.sender), 65) % 7 <> 0;
-- the counties' quarter summaries: 3..9 days after the quarter (some late), one county none
INSERT INTO quarter_summaries (county_code, quarter, submitted_on, due_on, actor, counts, request_id)
SELECT c, :'quarter', report_quarter_end(:'quarter') + 3 + (pg_temp.h(c::bigint, 66) % 7)::int,
       report_quarter_due(c, :'quarter'), 'actor:' || c || ':bench', '{}', 'bench-' || c
  FROM (SELECT DISTINCT left(code, 6) AS c FROM v) x
 WHERE pg_temp.h(c::bigint, 67) % 9 <> 0;
COMMIT;

SELECT (SELECT count(*) FROM cases) AS ncases, (SELECT count(*) FROM plans) AS nplans,
       (SELECT count(*) FROM measures) AS nmeasures, (SELECT count(*) FROM measure_checks) AS nchecks,
       (SELECT count(*) FROM plan_history) AS nhist, (SELECT count(*) FROM leads) AS nleads \gset
\echo '   cases' :ncases ', plans' :nplans ', measures' :nmeasures ', checks in' :quarter :nchecks ', plan_history' :nhist ', leads of' :month :nleads

-- 009_case_params: the verification case's time limits as policy parameters (read by
-- services/screening/transitions.c with fp_param(name, case village, case opened_on)), the
-- holiday calendar for working-day counting (fp_add_days, screen_decision_due: deploy/db/functions/).

-- National defaults ('00'); a province overrides with its own row (fp_param: province first).
-- notice_days and decision_days are seeded by 001 already: ON CONFLICT keeps those rows.
INSERT INTO policy_params (name, province_code, effective_from, value, unit, source) VALUES
  ('notice_days', '00', '2020-01-01', 5, 'days', 'seed 000: public notice at least 5 days'),
  ('notice_working_days', '00', '2020-01-01', 0, 'flag (0 calendar days, 1 working days)', 'case machine default: the notice counts calendar days'),
  ('decision_days', '00', '2020-01-01', 15, 'days', 'seed 000: 15 days from lead to decision'),
  ('decision_working_days', '00', '2020-01-01', 0, 'flag (0 calendar days, 1 working days)', 'seed 000: 15 calendar days; a province counting working days (e.g. 20 working days) sets 1'),
  ('visit_days', '00', '2020-01-01', 2, 'days', 'case machine default: home visit within 2 working days of the lead'),
  ('notice_post_days', '00', '2020-01-01', 3, 'days', 'case machine default: deliberation and notice posted within 3 working days of the visit'),
  ('review_days', '00', '2020-01-01', 2, 'days', 'case machine default: township review within 2 working days after the notice ends'),
  ('approve_days', '00', '2020-01-01', 2, 'days', 'case machine default: county approval within 2 working days of the review'),
  ('identify_days', '00', '2020-01-01', 2, 'days', 'case machine default: identification within 2 working days of the approval'),
  ('step_working_days', '00', '2020-01-01', 1, 'flag (0 calendar days, 1 working days)', 'case machine default: step limits count working days'),
  ('rigid_ratio_pct', '00', '2020-01-01', 50, 'percent', 'screening rule S03: medical out-of-pocket at least this share of the household''s annual net income is large rigid spending'),
  ('monitor_upper_ratio_pct', '00', '2020-01-01', 100, 'percent', 'screening rules: the top of the monitoring range as a share of the line; 100 = the province''s monitoring standard itself (national reading)')
ON CONFLICT (name, province_code, effective_from) DO NOTHING;

-- The holiday calendar: public holidays ('holiday', a weekday off) and adjusted working weekend
-- days ('workday', 调休上班). A working day is Monday..Friday not listed as a holiday, or a day
-- listed as a workday. County IT fills it every year from the State Council's notice on the next
-- year's holidays (国务院办公厅关于次年部分节假日安排的通知); nothing is seeded here, so until it is
-- filled working days are Monday..Friday only.
CREATE TABLE holidays (
    day  date PRIMARY KEY,
    kind text NOT NULL CHECK (kind IN ('holiday', 'workday')),
    name text NOT NULL DEFAULT ''
);

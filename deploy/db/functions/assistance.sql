-- The status of measure p_measure (of plan p_plan of county p_county: plan_history is indexed by
-- plan) on day p_day, from its history; called only for the measures that changed after p_day.
CREATE OR REPLACE FUNCTION measure_status_on(p_county text, p_plan bigint, p_measure bigint, p_day date) RETURNS text
LANGUAGE sql STABLE AS $$
SELECT coalesce((SELECT h.to_state FROM plan_history h
                  WHERE h.county_code = p_county AND h.plan_id = p_plan AND h.measure_id = p_measure
                    AND h.on_day <= p_day
                    AND h.to_state IN ('planned', 'in_progress', 'delivered', 'stopped')
                  ORDER BY h.on_day DESC, h.id DESC LIMIT 1), 'planned')
$$;

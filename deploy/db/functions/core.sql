-- Services reload their key cache on this notification (and periodically, since NOTIFY is
-- lost while a service is disconnected).
CREATE OR REPLACE FUNCTION fp_keys_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('fangpin_keys', '');
    RETURN NULL;
END $$;

CREATE OR REPLACE TRIGGER curve_keys_notify AFTER INSERT OR UPDATE OR DELETE ON curve_keys
    FOR EACH STATEMENT EXECUTE FUNCTION fp_keys_changed();

CREATE OR REPLACE TRIGGER principals_notify AFTER INSERT OR UPDATE OR DELETE ON principals
    FOR EACH STATEMENT EXECUTE FUNCTION fp_keys_changed();

CREATE OR REPLACE FUNCTION fp_param(p_name text, p_region text, p_on date) RETURNS numeric
LANGUAGE sql STABLE AS $$
    SELECT value FROM policy_params
     WHERE name = p_name AND province_code IN (left(p_region, 2), '00') AND effective_from <= p_on
     ORDER BY (province_code = '00'), effective_from DESC
     LIMIT 1
$$;

-- p_n days after p_from: calendar days, or working days (p_from itself not counted) by the
-- holiday calendar. The same arithmetic as screen_workdays_add (case_machine.c).
CREATE OR REPLACE FUNCTION fp_add_days(p_from date, p_n integer, p_working boolean) RETURNS date
LANGUAGE plpgsql STABLE AS $$
DECLARE
    d    date := p_from;
    n_left integer := abs(p_n);
    step integer := CASE WHEN p_n < 0 THEN -1 ELSE 1 END;
    k    text;
BEGIN
    IF NOT p_working THEN
        RETURN p_from + p_n;
    END IF;
    WHILE n_left > 0 LOOP
        d := d + step;
        SELECT h.kind INTO k FROM holidays h WHERE h.day = d;
        IF k = 'workday' OR (k IS NULL AND extract(isodow FROM d) < 6) THEN
            n_left := n_left - 1;
        END IF;
        k := NULL;
    END LOOP;
    RETURN d;
END $$;

-- 'YYYYQn' -> the first day of that quarter.
CREATE OR REPLACE FUNCTION ledger_period_start(p text) RETURNS date
LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT make_date(left(p, 4)::int, (right(p, 1)::int - 1) * 3 + 1, 1)
$$;

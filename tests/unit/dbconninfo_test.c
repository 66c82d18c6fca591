/* dbconninfo_test.c: the conninfo defaults for a server that stops answering
 * (fp_db_conninfo_defaults, common/db.c): added where the conninfo and its environment say
 * nothing, never over what the user set; every other setting survives the rewrite exactly,
 * URIs and quoted values included. The result is read back with libpq's own parser. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "db.h"

/* The value of keyword in conninfo as libpq parses it (copied into out), or NULL when unset. */
static const char *s_val(const char *conninfo, const char *keyword, char *out, size_t size)
{
    PQconninfoOption *opts = PQconninfoParse(conninfo, NULL);
    assert_non_null(opts);
    const char *found = NULL;
    for (const PQconninfoOption *o = opts; o->keyword; o++) {
        if (strcmp(o->keyword, keyword) != 0 || !o->val) continue;
        snprintf(out, size, "%s", o->val);
        found = out;
    }
    PQconninfoFree(opts);
    return found;
}

static void s_expect(const char *conninfo, const char *keyword, const char *want)
{
    char buf[256];
    const char *got = s_val(conninfo, keyword, buf, sizeof buf);
    if (!want) {
        assert_null(got);
        return;
    }
    assert_non_null(got);
    assert_string_equal(got, want);
}

static void test_defaults_added(void **state)
{
    (void)state;
    char *c = fp_db_conninfo_defaults("host=127.0.0.1 port=5432 dbname=fangpin user=postgres");
    assert_non_null(c);
    s_expect(c, "host", "127.0.0.1");
    s_expect(c, "port", "5432");
    s_expect(c, "dbname", "fangpin");
    s_expect(c, "user", "postgres");
    s_expect(c, "keepalives", "1");
    s_expect(c, "keepalives_idle", "5");
    s_expect(c, "keepalives_interval", "2");
    s_expect(c, "keepalives_count", "3");
    s_expect(c, "tcp_user_timeout", "10000");
    s_expect(c, "connect_timeout", "5");
    s_expect(c, "sslmode", NULL); /* nothing else is invented */
    free(c);
}

static void test_user_values_win(void **state)
{
    (void)state;
    char *c = fp_db_conninfo_defaults("host=db.example connect_timeout=30 keepalives=0 tcp_user_timeout=0"
                                      " keepalives_idle=60");
    assert_non_null(c);
    s_expect(c, "connect_timeout", "30");
    s_expect(c, "keepalives", "0");
    s_expect(c, "tcp_user_timeout", "0");
    s_expect(c, "keepalives_idle", "60");
    s_expect(c, "keepalives_interval", "2");
    s_expect(c, "keepalives_count", "3");
    free(c);
}

static void test_environment_wins(void **state)
{
    (void)state;
    setenv("PGCONNECT_TIMEOUT", "9", 1);
    char *c = fp_db_conninfo_defaults("host=127.0.0.1");
    unsetenv("PGCONNECT_TIMEOUT");
    assert_non_null(c);
    s_expect(c, "connect_timeout", NULL); /* left to libpq, which reads PGCONNECT_TIMEOUT */
    s_expect(c, "keepalives", "1");
    free(c);
}

static void test_uri_and_quoting(void **state)
{
    (void)state;
    char *c = fp_db_conninfo_defaults("postgresql://fangpin:it%27s%20a%5Cpw@db.example:5433/county?connect_timeout=7");
    assert_non_null(c);
    s_expect(c, "host", "db.example");
    s_expect(c, "port", "5433");
    s_expect(c, "dbname", "county");
    s_expect(c, "user", "fangpin");
    s_expect(c, "password", "it's a\\pw");
    s_expect(c, "connect_timeout", "7");
    s_expect(c, "tcp_user_timeout", "10000");
    free(c);
    c = fp_db_conninfo_defaults("host=h password='a b\\'c\\\\d'");
    assert_non_null(c);
    s_expect(c, "password", "a b'c\\d");
    free(c);
}

static void test_invalid_refused(void **state)
{
    (void)state;
    assert_null(fp_db_conninfo_defaults("host=h no_such_option=1"));
    assert_null(fp_db_conninfo_defaults("host='unterminated"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults_added),   cmocka_unit_test(test_user_values_win),
        cmocka_unit_test(test_environment_wins), cmocka_unit_test(test_uri_and_quoting),
        cmocka_unit_test(test_invalid_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* httpauth_test.c: the HTTP ports' bearer token parsing (common/httpauth.c) (fp_httpauth_token): the
 * Authorization header first, else the access_token query parameter; only fpt_ and 43 base64url
 * characters pass, whitespace around the header's token aside. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "../../services/reporting/access.c"
#include "../../services/reporting/httpaccess.c"

#define TOK "fpt_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLM-_01"

static bool s_tok(const char *authz, const char *query, char *out)
{
    return fp_httpauth_token(authz, query, out, 64);
}

static void test_header(void **state)
{
    (void)state;
    char out[64];
    assert_int_equal(strlen(TOK), 47);
    assert_true(s_tok("Bearer " TOK, "", out));
    assert_string_equal(out, TOK);
    assert_true(s_tok("bearer\t" TOK "  ", NULL, out)); /* the scheme in any case; blanks around */
    assert_string_equal(out, TOK);
    assert_true(s_tok("  BEARER   " TOK, "access_token=fpt_x", out));
    assert_string_equal(out, TOK);
    /* a header wins even when it is bad: the query is not a fallback for a wrong header */
    assert_false(s_tok("Basic dXNlcjpwYXNz", "access_token=" TOK, out));
    assert_string_equal(out, "");
    assert_false(s_tok("Bearer", "", out));
    assert_false(s_tok("Bearer ", "", out));
    assert_false(s_tok("Bearer" TOK, "", out));          /* no blank after the scheme */
    assert_false(s_tok("Bearer " TOK "x", "", out));     /* 48 characters */
    assert_false(s_tok("Bearer fpt_abc", "", out));      /* short */
    assert_false(s_tok("Bearer " TOK " " TOK, "", out)); /* two tokens */
}

static void test_query(void **state)
{
    (void)state;
    char out[64];
    assert_true(s_tok(NULL, "access_token=" TOK, out));
    assert_string_equal(out, TOK);
    assert_true(s_tok("", "region=130822&access_token=" TOK "&from=0", out));
    assert_string_equal(out, TOK);
    assert_false(s_tok(NULL, "region=130822", out));
    assert_false(s_tok(NULL, "", out));
    assert_false(s_tok(NULL, NULL, out));
    assert_false(s_tok(NULL, "xaccess_token=" TOK, out));      /* another parameter's name */
    assert_false(s_tok(NULL, "access_token=" TOK "%00", out)); /* percent-encoding is not a token */
    assert_false(s_tok(NULL, "access_token=", out));
}

static void test_characters(void **state)
{
    (void)state;
    char out[64];
    char t[48];
    memcpy(t, TOK, sizeof t);
    for (int c = 1; c < 256; c++) {
        t[20] = (char)c;
        char h[64];
        snprintf(h, sizeof h, "Bearer %s", t);
        bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' || c == '_';
        assert_int_equal(s_tok(h, "", out), ok);
    }
    memcpy(t, TOK, sizeof t);
    t[0] = 'F'; /* the prefix is lower case */
    char h[64];
    snprintf(h, sizeof h, "Bearer %s", t);
    assert_false(s_tok(h, "", out));
    /* out too small for the token: refused, not truncated */
    assert_false(fp_httpauth_token("Bearer " TOK, "", out, 47));
    assert_true(fp_httpauth_token("Bearer " TOK, "", out, 48));
    assert_false(fp_httpauth_token("Bearer " TOK, "", NULL, 48));
}

static void test_scope(void **state)
{
    (void)state;
    fp_principal_t t = {.region = "130822112"}, prov = {.region = ""};
    assert_true(report_scope_allows(&t, "130822112"));
    assert_true(report_scope_allows(&t, "130822112001"));
    assert_false(report_scope_allows(&t, "13082211"));  /* wider */
    assert_false(report_scope_allows(&t, "130822113")); /* a neighbour */
    assert_false(report_scope_allows(&t, ""));
    assert_true(report_scope_allows(&prov, ""));
    assert_true(report_scope_allows(&prov, "13"));
}

/* the grant as one string per subscription, "|"-joined ("" when none), to a principal of kind */
static const char *s_grant_kind(const char *kind, const char *region, const char *topic, size_t len)
{
    static char buf[128];
    const char *out[2] = {NULL, NULL};
    size_t outlen[2] = {0, 0};
    fp_principal_t p = {0};
    snprintf(p.kind, sizeof p.kind, "%s", kind);
    snprintf(p.level, sizeof p.level, "%s", strlen(region) == 9 ? "township" : "county");
    snprintf(p.region, sizeof p.region, "%s", region);
    int n = report_pub_grant(&p, topic, len, out, outlen);
    assert_in_range(n, 0, 2);
    buf[0] = '\0';
    for (int i = 0; i < n; i++) {
        if (i) strcat(buf, "|");
        strncat(buf, out[i], outlen[i]);
    }
    return buf;
}
#define s_grant(region, topic, len) s_grant_kind("actor", region, topic, len)
#define G(region, topic) s_grant(region, topic, strlen(topic))

static void test_pub_grant(void **state)
{
    (void)state;
    /* a township's key */
    assert_string_equal(G("130822112", "130822112"), "130822112");
    assert_string_equal(G("130822112", "130822112001/plan."), "130822112001/plan.");
    assert_string_equal(G("130822112", "13082211"), "130822112"); /* wider: its region */
    assert_string_equal(G("130822112", "13"), "130822112");
    assert_string_equal(G("130822112", ""), "130822112|HEARTBEAT"); /* all: its region, beats */
    assert_string_equal(G("130822112", "HEARTBEAT"), "HEARTBEAT");
    assert_string_equal(G("130822112", "H"), "H");        /* can only match HEARTBEAT */
    assert_string_equal(G("130822112", "130822113"), ""); /* a neighbour */
    assert_string_equal(G("130822112", "130821"), "");
    assert_string_equal(G("130822112", "1308221121"), "1308221121"); /* inside (a village prefix) */
    assert_string_equal(G("130822112", "130822113001/plan."), "");
    /* no region (a province-level principal): as asked */
    assert_string_equal(G("", ""), "");
    fp_principal_t prov = {.kind = "actor", .level = "province", .region = ""};
    assert_int_equal(report_pub_grant(&prov, "", 0, (const char *[2]){0}, (size_t[2]){0}), 1);
    assert_string_equal(G("", "13"), "13");
    /* a topic with a NUL inside is compared as bytes */
    assert_string_equal(s_grant("130822", "130822\0x", 8), "130822");
    assert_string_equal(s_grant("130822", "13\0", 3), "");
    /* an admin of the county: as a county actor */
    assert_string_equal(s_grant_kind("admin", "130822", "", 0), "130822|HEARTBEAT");
    /* departments and the gateway read no events: nothing, not even the heartbeat */
    static const char *none[] = {"", "HEARTBEAT", "130822", "130822112001", "13"};
    for (size_t i = 0; i < sizeof none / sizeof *none; i++) {
        assert_string_equal(s_grant_kind("department", "130822", none[i], strlen(none[i])), "");
        assert_string_equal(s_grant_kind("gateway", "130822", none[i], strlen(none[i])), "");
        assert_string_equal(s_grant_kind("", "130822", none[i], strlen(none[i])), "");
    }
    /* a key no longer admitted (NULL principal): nothing */
    assert_int_equal(report_pub_grant(NULL, "", 0, (const char *[2]){0}, (size_t[2]){0}), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_header), cmocka_unit_test(test_query),     cmocka_unit_test(test_characters),
        cmocka_unit_test(test_scope),  cmocka_unit_test(test_pub_grant),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

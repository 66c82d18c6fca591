/* lead_validate_test.c: the pure validation core of intake (services/intake/lead_validate.c):
 * every reason code from a crafted lead or batch, the order of the checks, the boundaries of
 * every limit, who may push which kind, region scope, the reason catalog.
 * Villages are real 兴隆县 (130822) codes; ID numbers get their check character computed. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

/* The module under test is compiled into this test (tests link only libfangpin). */
#include "../../services/intake/lead_validate.c"
#include "../../services/intake/kinds.c"

#include <stdio.h>

#define V_SANDAOHE "130822112204"     /* 三道河村, 三道河镇 130822112 */
#define V_HUASHUI "130822112201"      /* 花水村, 三道河镇 */
#define V_DAMIAO "130822100202"       /* 大庙村, 兴隆镇 130822100 */
#define V_CHENGDE "130821100013"      /* 新兴社区, 承德县 130821 */
#define V_TIANMEN "429006001001"      /* 鸿渐社区, 天门市 429006 */
#define MAX_FEN INT64_C(100000000000) /* lead_kinds.max_amount_fen default */

typedef struct {
    intake_kind_t kinds[24];
    intake_catalog_t cat;
    intake_sender_t yibao, minzheng, actor_town, actor_village, actor_county, gateway, admin;
    intake_limits_t lim;
    int32_t today;
    char id[19];  /* 130822 19800517 123 + check */
    char idx[19]; /* a valid number ending in X */
} s_fix_t;

/* An 18-character number with a correct check character. */
static void s_mk_id(char out[19], const char *region6, int y, int m, int d, int seq)
{
    snprintf(out, 19, "%.6s%04d%02d%02d%03d", region6, y, m, d, seq);
    out[17] = fp_idcard_check_char(out);
    out[18] = '\0';
}

static void s_fix_init(s_fix_t *f)
{
    /* deploy/db/migrations/002_intake.sql, in a shuffled order (the catalog sorts itself). */
    static const struct {
        const char *code, *sender;
        intake_amount_mode_t amount;
    } k[24] = {
        {"visit.other", "visit", INTAKE_AMOUNT_OPTIONAL},
        {"yibao.high_cost", "yibao", INTAKE_AMOUNT_REQUIRED},
        {"yibao.uninsured", "yibao", INTAKE_AMOUNT_NONE},
        {"weijian.serious_illness", "weijian", INTAKE_AMOUNT_OPTIONAL},
        {"minzheng.dibao_new", "minzheng", INTAKE_AMOUNT_OPTIONAL},
        {"minzheng.tekun_new", "minzheng", INTAKE_AMOUNT_OPTIONAL},
        {"minzheng.temp_relief", "minzheng", INTAKE_AMOUNT_REQUIRED},
        {"jiaoyu.dropout_risk", "jiaoyu", INTAKE_AMOUNT_NONE},
        {"zhujian.dangerous_house", "zhujian", INTAKE_AMOUNT_NONE},
        {"shuiwu.unsafe_water", "shuiwu", INTAKE_AMOUNT_NONE},
        {"canlian.new_disability", "canlian", INTAKE_AMOUNT_NONE},
        {"yingji.disaster", "yingji", INTAKE_AMOUNT_OPTIONAL},
        {"renshe.job_loss", "renshe", INTAKE_AMOUNT_NONE},
        {"renshe.returned_migrant", "renshe", INTAKE_AMOUNT_NONE},
        {"gongan.member_death", "gongan", INTAKE_AMOUNT_NONE},
        {"gongan.hukou_change", "gongan", INTAKE_AMOUNT_NONE},
        {"nongye.industry_failure", "nongye", INTAKE_AMOUNT_OPTIONAL},
        {"visit.income_drop", "visit", INTAKE_AMOUNT_OPTIONAL},
        {"visit.illness", "visit", INTAKE_AMOUNT_OPTIONAL},
        {"visit.accident", "visit", INTAKE_AMOUNT_OPTIONAL},
        {"visit.housing", "visit", INTAKE_AMOUNT_NONE},
        {"self.hardship", "self", INTAKE_AMOUNT_OPTIONAL},
        {"self.illness", "self", INTAKE_AMOUNT_OPTIONAL},
        {"self.disaster", "self", INTAKE_AMOUNT_OPTIONAL},
    };
    memset(f, 0, sizeof *f);
    for (size_t i = 0; i < 24; i++) {
        snprintf(f->kinds[i].code, sizeof f->kinds[i].code, "%s", k[i].code);
        snprintf(f->kinds[i].sender, sizeof f->kinds[i].sender, "%s", k[i].sender);
        f->kinds[i].amount = k[i].amount;
        f->kinds[i].max_amount_fen = MAX_FEN;
    }
    f->cat.kinds = f->kinds;
    f->cat.nkinds = 24;
    intake_catalog_sort(&f->cat);
    f->yibao = (intake_sender_t){"department", "yibao", "130822", NULL, 0, NULL, NULL, NULL};
    f->minzheng = (intake_sender_t){"department", "minzheng", "130822", NULL, 0, NULL, NULL, NULL};
    f->actor_town = (intake_sender_t){"actor", "", "130822112", NULL, 0, NULL, NULL, NULL};
    f->actor_village = (intake_sender_t){"actor", "", V_SANDAOHE, NULL, 0, NULL, NULL, NULL};
    f->actor_county = (intake_sender_t){"actor", "", "130822", NULL, 0, NULL, NULL, NULL};
    f->gateway = (intake_sender_t){"gateway", "", "130822", NULL, 0, NULL, NULL, NULL};
    f->admin = (intake_sender_t){"admin", "", "130822", NULL, 0, NULL, NULL, NULL};
    f->lim = (intake_limits_t){100, 400, 200, 16};
    f->today = fp_date_from_civil(2026, 3, 15);
    s_mk_id(f->id, "130822", 1980, 5, 17, 123);
    for (int seq = 0; seq < 1000; seq++) {
        s_mk_id(f->idx, "130822", 1975, 11, 2, seq);
        if (f->idx[17] == 'X') break;
    }
}

/* A valid yibao.high_cost lead of 三道河村. */
static intake_lead_in_t s_lead(const s_fix_t *f)
{
    intake_lead_in_t in = {
        .id_number = f->id,
        .name = "张三",
        .village_code = V_SANDAOHE,
        .kind = "yibao.high_cost",
        .occurred_on = "2026-02-20",
        .detail = "住院自付 3 万元",
        .line_ref = "line 2",
        .amount_fen = 3000000,
        .has_amount = true,
    };
    return in;
}

/* Checks as the given sender; every reason returned must be in the catalog. */
static const char *s_check_as(const s_fix_t *f, const intake_sender_t *s, const intake_lead_in_t *in)
{
    intake_lead_ok_t ok;
    const char *why = intake_check_lead(&f->cat, s, in, &f->lim, f->today, &ok);
    if (why) assert_non_null(intake_reason(why));
    return why;
}

static const char *s_check(const s_fix_t *f, const intake_lead_in_t *in) { return s_check_as(f, &f->yibao, in); }

/* Every reason the module returns, checked off as the tests produce it. */
#define assert_reason(got, want) assert_string_equal((got) ? (got) : "(valid)", (want))

static void test_reason_catalog(void **state)
{
    (void)state;
    static const char *const codes[] = {
        INTAKE_R_BATCH_ID,           INTAKE_R_BATCH_PERIOD,        INTAKE_R_BATCH_PERIOD_FUTURE,
        INTAKE_R_BATCH_EMPTY,        INTAKE_R_BATCH_TOO_MANY,      INTAKE_R_IDCARD_MISSING,
        INTAKE_R_IDCARD_FORMAT,      INTAKE_R_IDCARD_PROVINCE,     INTAKE_R_IDCARD_LEGACY15,
        INTAKE_R_IDCARD_CHECKSUM,    INTAKE_R_IDCARD_BIRTH_DATE,   INTAKE_R_NAME_MISSING,
        INTAKE_R_NAME_TOO_LONG,      INTAKE_R_NAME_INVALID,        INTAKE_R_VILLAGE_MISSING,
        INTAKE_R_VILLAGE_FORMAT,     INTAKE_R_VILLAGE_NOT_VILLAGE, INTAKE_R_VILLAGE_OUT_OF_SCOPE,
        INTAKE_R_VILLAGE_UNKNOWN,    INTAKE_R_VILLAGE_AMBIGUOUS,   INTAKE_R_KIND_MISSING,
        INTAKE_R_KIND_UNKNOWN,       INTAKE_R_KIND_NOT_ALLOWED,    INTAKE_R_DATE_MISSING,
        INTAKE_R_DATE_FORMAT,        INTAKE_R_DATE_FUTURE,         INTAKE_R_DATE_TOO_OLD,
        INTAKE_R_AMOUNT_UNFLAGGED,   INTAKE_R_AMOUNT_REQUIRED,     INTAKE_R_AMOUNT_NOT_ALLOWED,
        INTAKE_R_AMOUNT_NEGATIVE,    INTAKE_R_AMOUNT_TOO_LARGE,    INTAKE_R_DETAIL_TOO_LONG,
        INTAKE_R_DETAIL_INVALID,     INTAKE_R_LINE_REF_TOO_LONG,   INTAKE_R_LINE_REF_INVALID,
        INTAKE_R_DUPLICATE_IN_BATCH, INTAKE_R_DUPLICATE_EARLIER,
    };
    size_t ncodes = sizeof codes / sizeof codes[0], n = 0;
    for (const intake_reason_t *r = intake_reasons; r->code; r++, n++) {
        assert_non_null(r->en);
        assert_non_null(r->zh);
        assert_true(strlen(r->en) > 10);
        assert_true(strlen(r->zh) > 6);
        assert_true((unsigned char)r->zh[0] >= 0xE0); /* starts with a Chinese character */
        assert_true(s_text_ok(r->zh, strlen(r->zh), false));
        assert_true(s_text_ok(r->en, strlen(r->en), false));
        assert_ptr_equal(intake_reason(r->code), r);
        for (const intake_reason_t *q = intake_reasons; q != r; q++) {
            assert_string_not_equal(q->code, r->code);
            assert_string_not_equal(q->en, r->en); /* each its own message */
            assert_string_not_equal(q->zh, r->zh);
        }
    }
    assert_int_equal(n, ncodes);
    for (size_t i = 0; i < ncodes; i++) assert_non_null(intake_reason(codes[i]));
    assert_null(intake_reason("idcard"));
    assert_null(intake_reason("idcard.format "));
    assert_null(intake_reason(""));
    assert_null(intake_reason(NULL));
    /* The words the brief asks for. */
    assert_non_null(strstr(intake_reason("idcard.legacy15")->en, "18-digit"));
    assert_string_equal(intake_reason("idcard.checksum")->zh, "身份证号校验位错误，请核对");
}

static void test_catalog(void **state)
{
    (void)state;
    s_fix_t f;
    s_fix_init(&f);
    for (size_t i = 1; i < f.cat.nkinds; i++) assert_true(strcmp(f.kinds[i - 1].code, f.kinds[i].code) < 0);
    for (size_t i = 0; i < f.cat.nkinds; i++)
        assert_ptr_equal(intake_catalog_find(&f.cat, f.kinds[i].code), &f.kinds[i]);
    assert_string_equal(intake_catalog_find(&f.cat, "yibao.high_cost")->sender, "yibao");
    assert_null(intake_catalog_find(&f.cat, "yibao.high"));
    assert_null(intake_catalog_find(&f.cat, "yibao.high_cost "));
    assert_null(intake_catalog_find(&f.cat, "YIBAO.HIGH_COST"));
    assert_null(intake_catalog_find(&f.cat, ""));
    assert_null(intake_catalog_find(&f.cat, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"));
    assert_null(intake_catalog_find(&f.cat, NULL));
    assert_null(intake_catalog_find(NULL, "yibao.high_cost"));
    intake_catalog_t empty = {NULL, 0, NULL, 0};
    intake_catalog_sort(&empty);
    intake_catalog_sort(NULL);
    assert_null(intake_catalog_find(&empty, "yibao.high_cost"));

    intake_amount_mode_t m = INTAKE_AMOUNT_OPTIONAL;
    assert_true(intake_amount_mode_parse("none", &m));
    assert_int_equal(m, INTAKE_AMOUNT_NONE);
    assert_true(intake_amount_mode_parse("required", &m));
    assert_int_equal(m, INTAKE_AMOUNT_REQUIRED);
    assert_true(intake_amount_mode_parse("optional", &m));
    assert_int_equal(m, INTAKE_AMOUNT_OPTIONAL);
    assert_false(intake_amount_mode_parse("Optional", &m));
    assert_false(intake_amount_mode_parse("", &m));
    assert_false(intake_amount_mode_parse(NULL, &m));
    assert_int_equal(m, INTAKE_AMOUNT_OPTIONAL);

    intake_limits_t d = intake_limits_default();
    assert_int_equal(d.max_leads, 10000);
    assert_int_equal(d.max_age_days, 400);
    assert_int_equal(d.max_detail_bytes, 4000);
    assert_int_equal(d.max_ref_bytes, 64);
}

static void test_kind_allowed(void **state)
{
    (void)state;
    s_fix_t f;
    s_fix_init(&f);
    const intake_kind_t *hc = intake_catalog_find(&f.cat, "yibao.high_cost");
    const intake_kind_t *tr = intake_catalog_find(&f.cat, "minzheng.temp_relief");
    const intake_kind_t *vi = intake_catalog_find(&f.cat, "visit.illness");
    const intake_kind_t *sh = intake_catalog_find(&f.cat, "self.hardship");

    assert_true(intake_kind_allowed(hc, &f.yibao));  /* its own kind */
    assert_false(intake_kind_allowed(tr, &f.yibao)); /* another department's */
    assert_true(intake_kind_allowed(tr, &f.minzheng));
    assert_false(intake_kind_allowed(hc, &f.minzheng));
    assert_false(intake_kind_allowed(vi, &f.yibao)); /* departments do not visit */
    assert_false(intake_kind_allowed(sh, &f.yibao));
    assert_true(intake_kind_allowed(vi, &f.actor_town)); /* actors: visit.* only */
    assert_false(intake_kind_allowed(hc, &f.actor_town));
    assert_false(intake_kind_allowed(sh, &f.actor_town));
    assert_true(intake_kind_allowed(sh, &f.gateway)); /* gateway: self.* only */
    assert_false(intake_kind_allowed(vi, &f.gateway));
    assert_false(intake_kind_allowed(hc, &f.gateway));

    /* Count per sender over the whole catalog. */
    int n_yibao = 0, n_actor = 0, n_gw = 0, n_admin = 0;
    for (size_t i = 0; i < f.cat.nkinds; i++) {
        n_yibao += intake_kind_allowed(&f.kinds[i], &f.yibao);
        n_actor += intake_kind_allowed(&f.kinds[i], &f.actor_village);
        n_gw += intake_kind_allowed(&f.kinds[i], &f.gateway);
        n_admin += intake_kind_allowed(&f.kinds[i], &f.admin);
    }
    assert_int_equal(n_yibao, 2);
    assert_int_equal(n_actor, 5);
    assert_int_equal(n_gw, 3);
    assert_int_equal(n_admin, 0); /* admins manage, they do not report */

    /* A department row that names no department, or "visit"/"self", pushes nothing. */
    intake_sender_t s = {"department", "", "130822", NULL, 0, NULL, NULL, NULL};
    assert_false(intake_kind_allowed(hc, &s));
    s.department = NULL;
    assert_false(intake_kind_allowed(hc, &s));
    s.department = "visit";
    assert_false(intake_kind_allowed(vi, &s));
    s.department = "self";
    assert_false(intake_kind_allowed(sh, &s));
    s.department = "yibao.high_cost";
    assert_false(intake_kind_allowed(hc, &s));
    s = (intake_sender_t){"Department", "yibao", "130822", NULL, 0, NULL, NULL, NULL}; /* kinds are exact */
    assert_false(intake_kind_allowed(hc, &s));
    s = (intake_sender_t){"robot", "yibao", "130822", NULL, 0, NULL, NULL, NULL};
    assert_false(intake_kind_allowed(hc, &s));
    s = (intake_sender_t){NULL, "yibao", "130822", NULL, 0, NULL, NULL, NULL};
    assert_false(intake_kind_allowed(hc, &s));
    assert_false(intake_kind_allowed(NULL, &f.yibao));
    assert_false(intake_kind_allowed(hc, NULL));
}

static void test_valid_lead(void **state)
{
    (void)state;
    s_fix_t f;
    s_fix_init(&f);
    intake_lead_in_t in = s_lead(&f);
    intake_lead_ok_t ok;
    memset(&ok, 0x5A, sizeof ok);
    assert_null(intake_check_lead(&f.cat, &f.yibao, &in, &f.lim, f.today, &ok));
    assert_string_equal(ok.id_number, f.id);
    assert_string_equal(ok.village, V_SANDAOHE);
    assert_int_equal(ok.occurred_days, fp_date_from_civil(2026, 2, 20));
    assert_ptr_equal(ok.kind, intake_catalog_find(&f.cat, "yibao.high_cost"));
    assert_null(intake_check_lead(&f.cat, &f.yibao, &in, &f.lim, f.today, NULL)); /* ok optional */

    /* A lower-case x is normalized. */
    char lower[19];
    memcpy(lower, f.idx, 19);
    lower[17] = 'x';
    in.id_number = lower;
    assert_null(intake_check_lead(&f.cat, &f.yibao, &in, &f.lim, f.today, &ok));
    assert_string_equal(ok.id_number, f.idx);
    assert_int_equal(ok.id_number[17], 'X');

    /* Empty or absent detail and line_ref are fine; the other date spellings of date.h too. */
    in = s_lead(&f);
    in.detail = NULL;
    in.line_ref = NULL;
    assert_null(s_check(&f, &in));
    in.detail = "";
    in.line_ref = "";
    in.occurred_on = "20260220";
    assert_null(intake_check_lead(&f.cat, &f.yibao, &in, &f.lim, f.today, &ok));
    assert_int_equal(ok.occurred_days, fp_date_from_civil(2026, 2, 20));
    in.occurred_on = "2026/02/20";
    assert_null(s_check(&f, &in));

    /* Each sender kind with one of its own kinds. */
    in = s_lead(&f);
    in.kind = "visit.housing";
    in.has_amount = false;
    in.amount_fen = 0;
    assert_null(s_check_as(&f, &f.actor_town, &in));
    in.kind = "self.hardship";
    assert_null(s_check_as(&f, &f.gateway, &in));
    in.kind = "minzheng.dibao_new";
    assert_null(s_check_as(&f, &f.minzheng, &in));

    /* NULL limits: the defaults. */
    in = s_lead(&f);
    assert_null(intake_check_lead(&f.cat, &f.yibao, &in, NULL, f.today, &ok));
}

/* Missing, malformed and 15-digit numbers. */
static void test_idcard(void **state)
{
    (void)state;
    s_fix_t f;
    s_fix_init(&f);
    intake_lead_in_t in = s_lead(&f);
    char id[40];

    in.id_number = NULL;
    assert_reason(s_check(&f, &in), "idcard.missing");
    in.id_number = "";
    assert_reason(s_check(&f, &in), "idcard.missing");

    static const char *const bad_format[] = {
        "13082219800517123",   /* 17 */
        "1308221980051712345", /* 19 */
        "13082219800517123X4",
        "13082219800517X234", /* X not last */
        "13082219800517123Y",
        "1308221980051712 3",
        "130822 19800517123",
        "13082219800517123*",
        "１３０８２２１９８００５１７１２３",
        "13082280051712A", /* 15 with a letter */
        "1",
        " ",
    };
    for (size_t i = 0; i < sizeof bad_format / sizeof bad_format[0]; i++) {
        in.id_number = bad_format[i];
        assert_reason(s_check(&f, &in), "idcard.format");
    }
    /* Surrounding spaces are not trimmed. */
    snprintf(id, sizeof id, " %s", f.id);
    in.id_number = id;
    assert_reason(s_check(&f, &in), "idcard.format");
    snprintf(id, sizeof id, "%s ", f.id);
    assert_reason(s_check(&f, &in), "idcard.format");

    in.id_number = "130822800517123";
    assert_reason(s_check(&f, &in), "idcard.legacy15");
    in.id_number = "990822800517123"; /* 15 digits: legacy whatever the province */
    assert_reason(s_check(&f, &in), "idcard.legacy15");
}

/* A well-formed 18-character number: its province, check character and birth date. */
static void test_idcard_number(void **state)
{
    (void)state;
    s_fix_t f;
    s_fix_init(&f);
    intake_lead_in_t in = s_lead(&f);
    char id[40];

    /* Province 99 and 00 with a correct check character. */
    s_mk_id(id, "990822", 1980, 5, 17, 123);
    in.id_number = id;
    assert_reason(s_check(&f, &in), "idcard.province");
    s_mk_id(id, "000822", 1980, 5, 17, 123);
    assert_reason(s_check(&f, &in), "idcard.province");
    s_mk_id(id, "160822", 1980, 5, 17, 123);
    assert_reason(s_check(&f, &in), "idcard.province");
    s_mk_id(id, "650100", 1980, 5, 17, 123); /* a Xinjiang number is fine in a Hebei village */
    assert_null(s_check(&f, &in));

    /* Every wrong check character. */
    for (const char *c = "0123456789X"; *c; c++) {
        memcpy(id, f.id, 19);
        if (*c == id[17]) continue;
        id[17] = *c;
        assert_reason(s_check(&f, &in), "idcard.checksum");
    }
    /* A transposition of two digits. */
    memcpy(id, f.id, 19);
    char t = id[8];
    id[8] = id[9];
    id[9] = t;
    if (id[8] != id[9]) assert_reason(s_check(&f, &in), "idcard.checksum");

    /* Birth dates: not a real day, before 1900, after today; today itself is fine. */
    s_mk_id(id, "130822", 1980, 2, 30, 123);
    assert_reason(s_check(&f, &in), "idcard.birth_date");
    s_mk_id(id, "130822", 1899, 12, 31, 123);
    assert_reason(s_check(&f, &in), "idcard.birth_date");
    s_mk_id(id, "130822", 2026, 3, 16, 123);
    assert_reason(s_check(&f, &in), "idcard.birth_date");
    s_mk_id(id, "130822", 2026, 3, 15, 123);
    assert_null(s_check(&f, &in));
    s_mk_id(id, "130822", 2000, 2, 29, 123);
    assert_null(s_check(&f, &in));
    s_mk_id(id, "130822", 1900, 1, 1, 123);
    assert_null(s_check(&f, &in));
}

/* Names accepted (the one in escapes is a private-use character + 明). */
static const char *const s_good_names[] = {"张三",
                                           "欧阳娜娜",
                                           "王〇",
                                           "阿卜杜拉·艾合买提",
                                           "阿卜杜拉•艾合买提",
                                           "Abdulla Ahmat",
                                           "Abdulla·Ahmat",
                                           "José María",
                                           "Mary Ann Smith",
                                           "次仁卓玛",
                                           "\xee\x80\x80\xe6\x98\x8e",
                                           "𠀀一",
                                           "x"};
/* Names refused as name.invalid; the three after "•" join with a katakana middle dot, a full-width
 * full stop and U+2027. */
static const char *const s_bad_names[] = {"张三1",
                                          "张三.",
                                          "张-三",
                                          "O'Brien",
                                          "张三(男)",
                                          "Jean-Pierre",
                                          "张\t三",
                                          "张三\n",
                                          "\x7f张",
                                          " 张三",
                                          "张三 ",
                                          "张 三",
                                          "Abdulla  Ahmat",
                                          " Abdulla",
                                          "Abdulla ",
                                          "Abdulla Ahmat·X 张",
                                          "·张三",
                                          "张三·",
                                          "阿卜杜拉··艾合买提",
                                          "阿卜杜拉· 艾合买提",
                                          "·",
                                          " ",
                                          "•",
                                          "阿卜杜拉・艾合买提",
                                          "阿卜杜拉．艾合买提",
                                          "阿卜杜拉‧艾合买提",
                                          "张３",
                                          "张　三",
                                          "张三\xc2\xa0",
                                          "张\xe2\x80\x8b三",
                                          "\xef\xbb\xbf张三",
                                          "张\xef\xbf\xbd",
                                          "张三、李四",
                                          "张三，",
                                          "《张三》",
                                          "张\xc2\x85",
                                          "\xff",
                                          "\xc0\xaf",
                                          "\xe5\xbc",
                                          "张\xe5\xbc",
                                          "\xed\xa0\x80",
                                          "\xf4\x90\x80\x80",
                                          "\xe0\x80\xaf",
                                          "\xf0\x80\x80\xaf",
                                          "\x80",
                                          "\xf8\x88\x80\x80\x80",
                                          "\xef\xbf\xbe"};

static void test_name(void **state)
{
    (void)state;
    s_fix_t f;
    s_fix_init(&f);
    intake_lead_in_t in = s_lead(&f);
    char buf[200];

    in.name = NULL;
    assert_reason(s_check(&f, &in), "name.missing");
    in.name = "";
    assert_reason(s_check(&f, &in), "name.missing");

    /* 64 bytes: 21 CJK characters (63 bytes) + one letter, or 64 letters; 65 is too long. */
    buf[0] = '\0';
    for (int i = 0; i < 21; i++) strcat(buf, "张");
    strcat(buf, "a");
    assert_int_equal(strlen(buf), 64);
    in.name = buf;
    assert_null(s_check(&f, &in));
    strcat(buf, "b");
    assert_reason(s_check(&f, &in), "name.too_long");
    memset(buf, 'a', 64);
    buf[64] = '\0';
    assert_null(s_check(&f, &in));
    buf[64] = 'a';
    buf[65] = '\0';
    assert_reason(s_check(&f, &in), "name.too_long");
    buf[0] = '\0';
    for (int i = 0; i < 22; i++) strcat(buf, "张"); /* 66 bytes */
    assert_reason(s_check(&f, &in), "name.too_long");
    memset(buf, '1', 65); /* too long is reported before invalid */
    buf[65] = '\0';
    assert_reason(s_check(&f, &in), "name.too_long");

    for (size_t i = 0; i < sizeof s_good_names / sizeof s_good_names[0]; i++) {
        in.name = s_good_names[i];
        assert_null(s_check(&f, &in));
    }
    for (size_t i = 0; i < sizeof s_bad_names / sizeof s_bad_names[0]; i++) {
        in.name = s_bad_names[i];
        const char *why = s_check(&f, &in);
        if (!why || strcmp(why, "name.invalid") != 0)
            fail_msg("name #%zu \"%s\": %s", i, s_bad_names[i], why ? why : "(valid)");
    }
}

static void test_village(void **state)
{
    (void)state;
    s_fix_t f;
    s_fix_init(&f);
    intake_lead_in_t in = s_lead(&f);
    intake_lead_ok_t ok;

    in.village_code = NULL;
    assert_reason(s_check(&f, &in), "village.missing");
    in.village_code = "";
    assert_reason(s_check(&f, &in), "village.missing");
    static const char *const bad_format[] = {
        "13082211220",   "1308221122041", "130822112",    "130822",       "13082211220a", " 30822112204",
        "130822112204 ", "000000000000",  "130800112201", "130822000201", "001308221122", "１３０８２２１１２２０４",
    };
    for (size_t i = 0; i < sizeof bad_format / sizeof bad_format[0]; i++) {
        in.village_code = bad_format[i];
        assert_reason(s_check(&f, &in), "village.format");
    }
    in.village_code = "130822112000"; /* 三道河镇 itself */
    assert_reason(s_check(&f, &in), "village.not_village");
    in.village_code = "130822000000"; /* 兴隆县 */
    assert_reason(s_check(&f, &in), "village.not_village");
    in.village_code = "130800000000"; /* 承德市 */
    assert_reason(s_check(&f, &in), "village.not_village");

    /* A county department: its county, not the next one. */
    in.village_code = V_DAMIAO;
    assert_null(intake_check_lead(&f.cat, &f.yibao, &in, &f.lim, f.today, &ok));
    assert_string_equal(ok.village, V_DAMIAO);
    in.village_code = V_CHENGDE;
    assert_reason(s_check(&f, &in), "village.out_of_scope");
    in.village_code = V_TIANMEN;
    assert_reason(s_check(&f, &in), "village.out_of_scope");

    /* A township-level actor (三道河镇): its villages, not 兴隆镇's. */
    in = s_lead(&f);
    in.kind = "visit.illness";
    in.village_code = V_SANDAOHE;
    assert_null(s_check_as(&f, &f.actor_town, &in));
    in.village_code = V_HUASHUI;
    assert_null(s_check_as(&f, &f.actor_town, &in));
    in.village_code = V_DAMIAO;
    assert_reason(s_check_as(&f, &f.actor_town, &in), "village.out_of_scope");
    assert_null(s_check_as(&f, &f.actor_county, &in));

    /* A village-level actor: only its own village. */
    in.village_code = V_SANDAOHE;
    assert_null(s_check_as(&f, &f.actor_village, &in));
    in.village_code = V_HUASHUI;
    assert_reason(s_check_as(&f, &f.actor_village, &in), "village.out_of_scope");

    /* The scope may be given padded; no valid scope means no villages at all. */
    intake_sender_t s = {"department", "yibao", "130822000000", NULL, 0, NULL, NULL, NULL};
    in = s_lead(&f);
    assert_null(s_check_as(&f, &s, &in));
    s.region = "";
    assert_reason(s_check_as(&f, &s, &in), "village.out_of_scope");
    s.region = NULL;
    assert_reason(s_check_as(&f, &s, &in), "village.out_of_scope");
    s.region = "130800"; /* not a short form: 6 digits read as a county with county 00 */
    assert_reason(s_check_as(&f, &s, &in), "village.out_of_scope");
    s.region = "13"; /* a province-level principal */
    assert_null(s_check_as(&f, &s, &in));
    assert_reason(intake_check_lead(&f.cat, NULL, &in, &f.lim, f.today, &ok), "village.out_of_scope");
}

/* A few places of 兴隆县 (tests/fixtures/regions/130822): 三道河镇 and 兴隆镇 with some of their
 * villages, and the two 榆树沟 of 半壁山镇 and 蓝旗营镇. */
static fp_village_index_t s_villages(void)
{
    static const struct {
        const char *code, *name;
        int level;
    } rows[] = {
        {"130822", "兴隆县", 3},
        {"130822100", "兴隆镇", 4},
        {"130822101", "半壁山镇", 4},
        {"130822108", "蓝旗营镇", 4},
        {"130822112", "三道河镇", 4},
        {"130822100202", "大庙村民委员会", 5},
        {"130822101210", "榆树沟村民委员会", 5},
        {"130822108214", "榆树沟村民委员会", 5},
        {"130822112201", "花水村民委员会", 5},
        {"130822112204", "三道河村民委员会", 5},
    };
    fp_village_index_t ix = {0};
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        assert_true(fp_village_index_add(&ix, rows[i].code, rows[i].level, rows[i].name));
    return ix;
}

/* A village by name: resolved in the sender's index, then checked as a code (scope); refused as
 * ambiguous or unknown; without an index a name is village.format. */
static void test_village_by_name(void **state)
{
    (void)state;
    s_fix_t f;
    s_fix_init(&f);
    fp_village_index_t ix = s_villages();
    intake_sender_t yibao = f.yibao, town = f.actor_town;
    yibao.villages = town.villages = &ix;
    intake_lead_in_t in = s_lead(&f);
    intake_lead_ok_t ok;
    in.village_code = "兴隆县三道河镇花水村5组";
    assert_null(intake_check_lead(&f.cat, &yibao, &in, &f.lim, f.today, &ok));
    assert_string_equal(ok.village, V_HUASHUI);
    in.village_code = "三道河村";
    assert_null(intake_check_lead(&f.cat, &yibao, &in, &f.lim, f.today, &ok));
    assert_string_equal(ok.village, V_SANDAOHE);
    in.village_code = "榆树沟";
    assert_reason(s_check_as(&f, &yibao, &in), "village.ambiguous");
    in.village_code = "半壁山镇榆树沟";
    assert_null(s_check_as(&f, &yibao, &in));
    in.village_code = "花水沟村";
    assert_reason(s_check_as(&f, &yibao, &in), "village.unknown");
    in.village_code = "１３０８２２１１２２０１"; /* a code, written full-width: no name */
    assert_reason(s_check_as(&f, &yibao, &in), "village.format");
    in.village_code = "130822 112201";
    assert_reason(s_check_as(&f, &yibao, &in), "village.format");
    in.village_code = "花水村";
    assert_reason(s_check_as(&f, &f.yibao, &in), "village.format"); /* no index */
    assert_false(intake_village_by_name("130822112201"));
    assert_false(intake_village_by_name(""));
    assert_false(intake_village_by_name(NULL));
    assert_true(intake_village_by_name("13082211220a"));
    /* a township-level actor: a name in its township, not one in 兴隆镇 */
    in = s_lead(&f);
    in.kind = "visit.illness";
    in.village_code = "花水村";
    assert_null(s_check_as(&f, &town, &in));
    in.village_code = "兴隆镇大庙村";
    assert_reason(s_check_as(&f, &town, &in), "village.out_of_scope");
    fp_village_index_free(&ix);
}

static void test_kind(void **state)
{
    (void)state;
    s_fix_t f;
    s_fix_init(&f);
    intake_lead_in_t in = s_lead(&f);

    in.kind = NULL;
    assert_reason(s_check(&f, &in), "kind.missing");
    in.kind = "";
    assert_reason(s_check(&f, &in), "kind.missing");
    in.kind = "yibao.highcost";
    assert_reason(s_check(&f, &in), "kind.unknown");
    in.kind = "yibao";
    assert_reason(s_check(&f, &in), "kind.unknown");
    in.kind = "Yibao.high_cost";
    assert_reason(s_check(&f, &in), "kind.unknown");
    assert_reason(intake_check_lead(NULL, &f.yibao, &in, &f.lim, f.today, NULL), "kind.unknown");

    in.kind = "minzheng.temp_relief"; /* another department's kind */
    assert_reason(s_check(&f, &in), "kind.not_allowed");
    in.kind = "visit.illness";
    assert_reason(s_check(&f, &in), "kind.not_allowed");
    in.kind = "self.illness";
    assert_reason(s_check(&f, &in), "kind.not_allowed");
    in.kind = "yibao.high_cost";
    assert_reason(s_check_as(&f, &f.actor_town, &in), "kind.not_allowed");
    assert_reason(s_check_as(&f, &f.gateway, &in), "kind.not_allowed");
    for (size_t i = 0; i < f.cat.nkinds; i++) {
        in.kind = f.kinds[i].code;
        assert_reason(s_check_as(&f, &f.admin, &in), "kind.not_allowed");
    }
}

static void test_date(void **state)
{
    (void)state;
    s_fix_t f;
    s_fix_init(&f);
    intake_lead_in_t in = s_lead(&f);
    intake_lead_ok_t ok;
    char d[16];

    in.occurred_on = NULL;
    assert_reason(s_check(&f, &in), "date.missing");
    in.occurred_on = "";
    assert_reason(s_check(&f, &in), "date.missing");
    static const char *const bad[] = {
        "2026-3-1",    "2026-02-30", "2025-02-29", "2026-13-01",       "2026-00-10", "yesterday",  "2026-02-20 ",
        " 2026-02-20", "2026-02/20", "1899-12-31", "2026-02-20T00:00", "26-02-20",   "2026.02.20",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        in.occurred_on = bad[i];
        assert_reason(s_check(&f, &in), "date.format");
    }

    /* Today is fine, tomorrow is future. */
    fp_date_format(f.today, d);
    in.occurred_on = d;
    assert_null(intake_check_lead(&f.cat, &f.yibao, &in, &f.lim, f.today, &ok));
    assert_int_equal(ok.occurred_days, f.today);
    fp_date_format(f.today + 1, d);
    assert_reason(s_check(&f, &in), "date.future");
    in.occurred_on = "2199-12-31";
    assert_reason(s_check(&f, &in), "date.future");

    /* Exactly max_age_days ago is fine, one day more is too old. */
    in.occurred_on = d;
    fp_date_format(f.today - f.lim.max_age_days, d);
    assert_null(s_check(&f, &in));
    fp_date_format(f.today - f.lim.max_age_days - 1, d);
    assert_reason(s_check(&f, &in), "date.too_old");
    in.occurred_on = "1900-01-01";
    assert_reason(s_check(&f, &in), "date.too_old");

    /* max_age_days 0: only today; negative counts as 0. */
    intake_limits_t lim = f.lim;
    lim.max_age_days = 0;
    fp_date_format(f.today, d);
    in.occurred_on = d;
    assert_null(intake_check_lead(&f.cat, &f.yibao, &in, &lim, f.today, NULL));
    fp_date_format(f.today - 1, d);
    assert_reason(intake_check_lead(&f.cat, &f.yibao, &in, &lim, f.today, NULL), "date.too_old");
    lim.max_age_days = -5;
    assert_reason(intake_check_lead(&f.cat, &f.yibao, &in, &lim, f.today, NULL), "date.too_old");
    lim.max_age_days = INT32_MAX;
    in.occurred_on = "1900-01-01";
    assert_null(intake_check_lead(&f.cat, &f.yibao, &in, &lim, f.today, NULL));
}

static void test_amount(void **state)
{
    (void)state;
    s_fix_t f;
    s_fix_init(&f);
    intake_lead_in_t in = s_lead(&f); /* yibao.high_cost: required */

    in.has_amount = false;
    in.amount_fen = 0;
    assert_reason(s_check(&f, &in), "amount.required");
    in.amount_fen = 100;
    assert_reason(s_check(&f, &in), "amount.unflagged");
    in.has_amount = true;
    in.amount_fen = 0;
    assert_null(s_check(&f, &in)); /* zero is an amount, not a negative one */
    in.amount_fen = -1;
    assert_reason(s_check(&f, &in), "amount.negative");
    in.amount_fen = INT64_MIN;
    assert_reason(s_check(&f, &in), "amount.negative");
    in.amount_fen = MAX_FEN;
    assert_null(s_check(&f, &in));
    in.amount_fen = MAX_FEN + 1;
    assert_reason(s_check(&f, &in), "amount.too_large");
    in.amount_fen = INT64_MAX;
    assert_reason(s_check(&f, &in), "amount.too_large");

    /* A kind's own maximum. */
    intake_kind_t *hc = (intake_kind_t *)intake_catalog_find(&f.cat, "yibao.high_cost");
    hc->max_amount_fen = 5000000;
    in.amount_fen = 5000000;
    assert_null(s_check(&f, &in));
    in.amount_fen = 5000001;
    assert_reason(s_check(&f, &in), "amount.too_large");

    /* yibao.uninsured: none. Any has_amount is refused, 0 included; a stray amount too. */
    in = s_lead(&f);
    in.kind = "yibao.uninsured";
    assert_reason(s_check(&f, &in), "amount.not_allowed");
    in.amount_fen = 0;
    assert_reason(s_check(&f, &in), "amount.not_allowed");
    in.amount_fen = -5;
    assert_reason(s_check(&f, &in), "amount.not_allowed");
    in.has_amount = false;
    assert_reason(s_check(&f, &in), "amount.unflagged");
    in.amount_fen = 0;
    assert_null(s_check(&f, &in));

    /* visit.illness: optional. */
    in = s_lead(&f);
    in.kind = "visit.illness";
    assert_null(s_check_as(&f, &f.actor_town, &in));
    in.has_amount = false;
    in.amount_fen = 0;
    assert_null(s_check_as(&f, &f.actor_town, &in));
    in.amount_fen = 7;
    assert_reason(s_check_as(&f, &f.actor_town, &in), "amount.unflagged");
    in.has_amount = true;
    in.amount_fen = -7;
    assert_reason(s_check_as(&f, &f.actor_town, &in), "amount.negative");
    in.amount_fen = MAX_FEN + 1;
    assert_reason(s_check_as(&f, &f.actor_town, &in), "amount.too_large");
}

static void test_detail_and_line_ref(void **state)
{
    (void)state;
    s_fix_t f;
    s_fix_init(&f);
    intake_lead_in_t in = s_lead(&f);
    char buf[300];

    memset(buf, 'a', f.lim.max_detail_bytes);
    buf[f.lim.max_detail_bytes] = '\0';
    in.detail = buf;
    assert_null(s_check(&f, &in));
    buf[f.lim.max_detail_bytes] = 'a';
    buf[f.lim.max_detail_bytes + 1] = '\0';
    assert_reason(s_check(&f, &in), "detail.too_long");
    buf[0] = '\0';
    for (int i = 0; i < 66; i++) strcat(buf, "说"); /* 198 bytes */
    assert_null(s_check(&f, &in));
    strcat(buf, "说"); /* 201 */
    assert_reason(s_check(&f, &in), "detail.too_long");

    in.detail = "第一行\n第二行\r\n\t缩进";
    assert_null(s_check(&f, &in));
    static const char *const bad_detail[] = {
        "\xff", "住院\xe5\xbc", "\x01", "a\x1b[31m", "\x7f", "\xc2\x9b", "\xed\xbf\xbf", "\xc1\x81",
    };
    for (size_t i = 0; i < sizeof bad_detail / sizeof bad_detail[0]; i++) {
        in.detail = bad_detail[i];
        assert_reason(s_check(&f, &in), "detail.invalid");
    }

    in = s_lead(&f);
    in.line_ref = "0123456789abcdef"; /* 16 = max_ref_bytes */
    assert_null(s_check(&f, &in));
    in.line_ref = "0123456789abcdefg";
    assert_reason(s_check(&f, &in), "line_ref.too_long");
    in.line_ref = "第5行";
    assert_null(s_check(&f, &in));
    in.line_ref = "a\nb";
    assert_reason(s_check(&f, &in), "line_ref.invalid");
    in.line_ref = "a\tb";
    assert_reason(s_check(&f, &in), "line_ref.invalid");
    in.line_ref = "\xe7\xac";
    assert_reason(s_check(&f, &in), "line_ref.invalid");

    /* The line_ref rule alone, for refused leads: same answers, and a lead refused earlier
     * (here on its ID number) may carry a line_ref that must not be echoed as it is. */
    assert_null(intake_check_line_ref("line 2", &f.lim));
    assert_null(intake_check_line_ref("", &f.lim));
    assert_null(intake_check_line_ref(NULL, &f.lim));
    assert_reason(intake_check_line_ref("0123456789abcdefg", &f.lim), "line_ref.too_long");
    assert_reason(intake_check_line_ref("\xe7\xac", &f.lim), "line_ref.invalid");
    assert_null(intake_check_line_ref("0123456789abcdefg", NULL)); /* default: 64 bytes */
    in = s_lead(&f);
    in.id_number = "";
    in.line_ref = "\xff";
    assert_reason(s_check(&f, &in), "idcard.missing");
    assert_reason(intake_check_line_ref(in.line_ref, &f.lim), "line_ref.invalid");

    /* Limits are literal: 0 bytes allows only the empty string. */
    intake_limits_t lim = f.lim;
    lim.max_ref_bytes = 0;
    lim.max_detail_bytes = 0;
    in = s_lead(&f);
    in.detail = "";
    in.line_ref = "";
    assert_null(intake_check_lead(&f.cat, &f.yibao, &in, &lim, f.today, NULL));
    in.line_ref = "1";
    assert_reason(intake_check_lead(&f.cat, &f.yibao, &in, &lim, f.today, NULL), "line_ref.too_long");
    in.detail = "x";
    assert_reason(intake_check_lead(&f.cat, &f.yibao, &in, &lim, f.today, NULL), "detail.too_long");
    lim.max_detail_bytes = SIZE_MAX;
    lim.max_ref_bytes = SIZE_MAX;
    assert_null(intake_check_lead(&f.cat, &f.yibao, &in, &lim, f.today, NULL));
}

/* Every field wrong at once: the reason follows the documented order as each is fixed. */
static void test_order(void **state)
{
    (void)state;
    s_fix_t f;
    s_fix_init(&f);
    char longref[40];
    memset(longref, 'r', 30);
    longref[30] = '\0';
    intake_lead_in_t in = {
        .id_number = "13082219800517123",
        .name = "张三3",
        .village_code = "130822112000",
        .kind = "minzheng.temp_relief",
        .occurred_on = "2026-02-30",
        .detail = "\xff",
        .line_ref = longref,
        .amount_fen = -1,
        .has_amount = true,
    };
    const intake_lead_in_t good = s_lead(&f);
    intake_lead_ok_t ok, before;
    memset(&ok, 0x5A, sizeof ok);
    memcpy(&before, &ok, sizeof ok);

    static const char *const order[] = {
        "idcard.format", "name.invalid",    "village.not_village", "kind.not_allowed",
        "date.format",   "amount.negative", "detail.invalid",      "line_ref.too_long",
    };
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        const char *why = intake_check_lead(&f.cat, &f.yibao, &in, &f.lim, f.today, &ok);
        assert_reason(why, order[i]);
        assert_memory_equal(&ok, &before, sizeof ok); /* untouched on failure */
        switch (i) {
        case 0: in.id_number = good.id_number; break;
        case 1: in.name = good.name; break;
        case 2: in.village_code = good.village_code; break;
        case 3: in.kind = good.kind; break;
        case 4: in.occurred_on = good.occurred_on; break;
        case 5: in.amount_fen = good.amount_fen; break;
        case 6: in.detail = good.detail; break;
        case 7: in.line_ref = good.line_ref; break;
        }
    }
    assert_null(intake_check_lead(&f.cat, &f.yibao, &in, &f.lim, f.today, &ok));

    /* Missing everything: the ID number first; a NULL lead likewise. */
    intake_lead_in_t empty;
    memset(&empty, 0, sizeof empty);
    assert_reason(intake_check_lead(&f.cat, &f.yibao, &empty, &f.lim, f.today, &ok), "idcard.missing");
    assert_reason(intake_check_lead(&f.cat, &f.yibao, NULL, &f.lim, f.today, &ok), "idcard.missing");
    empty.id_number = f.id;
    assert_reason(intake_check_lead(&f.cat, &f.yibao, &empty, &f.lim, f.today, &ok), "name.missing");
    empty.name = "李四";
    assert_reason(intake_check_lead(&f.cat, &f.yibao, &empty, &f.lim, f.today, &ok), "village.missing");
    empty.village_code = V_HUASHUI;
    assert_reason(intake_check_lead(&f.cat, &f.yibao, &empty, &f.lim, f.today, &ok), "kind.missing");
    empty.kind = "yibao.high_cost";
    assert_reason(intake_check_lead(&f.cat, &f.yibao, &empty, &f.lim, f.today, &ok), "date.missing");
    empty.occurred_on = "2026-03-01";
    assert_reason(intake_check_lead(&f.cat, &f.yibao, &empty, &f.lim, f.today, &ok), "amount.required");
    /* said to a department whose file's column is 金额(元): the yuan column is named, and no
     * unit but yuan is given for it */
    const intake_reason_t *why = intake_reason("amount.required");
    assert_non_null(strstr(why->zh, "金额(元)"));
    assert_non_null(strstr(why->en, "in yuan"));
    assert_null(strstr(why->zh, "单位：分"));
    empty.kind = "yibao.uninsured";
    assert_null(intake_check_lead(&f.cat, &f.yibao, &empty, &f.lim, f.today, &ok));

    /* Out of scope comes before the kind; a bad birth date before the name. */
    in = good;
    in.village_code = V_TIANMEN;
    in.kind = "visit.other";
    assert_reason(intake_check_lead(&f.cat, &f.yibao, &in, &f.lim, f.today, &ok), "village.out_of_scope");
    char id[19];
    s_mk_id(id, "130822", 2030, 1, 1, 1);
    in.id_number = id;
    in.name = "";
    assert_reason(intake_check_lead(&f.cat, &f.yibao, &in, &f.lim, f.today, &ok), "idcard.birth_date");
}

static void test_batch(void **state)
{
    (void)state;
    s_fix_t f;
    s_fix_init(&f);
    fp_period_t p = {0, 0};
    char id[80];

    assert_null(intake_check_batch("yibao-2026-02", "2026-02", 1, &f.lim, f.today, &p));
    assert_int_equal(p.year, 2026);
    assert_int_equal(p.month, 2);
    assert_null(intake_check_batch("A.z_0:9-", "2026-02", 1, &f.lim, f.today, NULL));

    memset(id, 'b', 64);
    id[64] = '\0';
    assert_null(intake_check_batch(id, "2026-02", 1, &f.lim, f.today, NULL));
    id[64] = 'b';
    id[65] = '\0';
    assert_reason(intake_check_batch(id, "2026-02", 1, &f.lim, f.today, NULL), "batch.id");
    static const char *const bad_ids[] = {"", "a b", "a/b", "批次1", "a\n", "a,b", "a+b", "é", "a#"};
    for (size_t i = 0; i < sizeof bad_ids / sizeof bad_ids[0]; i++)
        assert_reason(intake_check_batch(bad_ids[i], "2026-02", 1, &f.lim, f.today, NULL), "batch.id");
    assert_reason(intake_check_batch(NULL, "2026-02", 1, &f.lim, f.today, NULL), "batch.id");

    static const char *const bad_periods[] = {"",           "2026-2", "2026-13", "2026-00", "1999-12",
                                              "2026-02-01", "202602", "2026/02", " 2026-02"};
    for (size_t i = 0; i < sizeof bad_periods / sizeof bad_periods[0]; i++)
        assert_reason(intake_check_batch("b1", bad_periods[i], 1, &f.lim, f.today, NULL), "batch.period");
    assert_reason(intake_check_batch("b1", NULL, 1, &f.lim, f.today, NULL), "batch.period");

    /* The current month is fine (leads of this month so far), the next is not. */
    assert_null(intake_check_batch("b1", "2026-03", 1, &f.lim, f.today, NULL));
    assert_reason(intake_check_batch("b1", "2026-04", 1, &f.lim, f.today, NULL), "batch.period_future");
    assert_reason(intake_check_batch("b1", "2027-01", 1, &f.lim, f.today, NULL), "batch.period_future");
    assert_null(intake_check_batch("b1", "2025-12", 1, &f.lim, f.today, NULL));
    assert_null(intake_check_batch("b1", "2000-01", 1, &f.lim, f.today, NULL));
    /* At a year's end: December is current, January next. */
    int32_t dec31 = fp_date_from_civil(2026, 12, 31);
    assert_null(intake_check_batch("b1", "2026-12", 1, &f.lim, dec31, NULL));
    assert_reason(intake_check_batch("b1", "2027-01", 1, &f.lim, dec31, NULL), "batch.period_future");
    assert_null(intake_check_batch("b1", "2027-01", 1, &f.lim, dec31 + 1, NULL));

    assert_reason(intake_check_batch("b1", "2026-02", 0, &f.lim, f.today, NULL), "batch.empty");
    assert_null(intake_check_batch("b1", "2026-02", 100, &f.lim, f.today, NULL));
    assert_reason(intake_check_batch("b1", "2026-02", 101, &f.lim, f.today, NULL), "batch.too_many");
    assert_reason(intake_check_batch("b1", "2026-02", SIZE_MAX, &f.lim, f.today, NULL), "batch.too_many");
    assert_null(intake_check_batch("b1", "2026-02", 10000, NULL, f.today, NULL));
    assert_reason(intake_check_batch("b1", "2026-02", 10001, NULL, f.today, NULL), "batch.too_many");
    intake_limits_t lim = f.lim;
    lim.max_leads = -1;
    assert_reason(intake_check_batch("b1", "2026-02", 1, &lim, f.today, NULL), "batch.too_many");

    /* Order: id, period, future, empty, too many. */
    assert_reason(intake_check_batch("", "x", 0, &f.lim, f.today, NULL), "batch.id");
    assert_reason(intake_check_batch("b1", "x", 0, &f.lim, f.today, NULL), "batch.period");
    p.year = 0;
    assert_reason(intake_check_batch("b1", "2026-04", 0, &f.lim, f.today, &p), "batch.period_future");
    assert_int_equal(p.year, 2026); /* written once parsed */
    assert_int_equal(p.month, 4);
    assert_reason(intake_check_batch("b1", "2026-03", 0, &f.lim, f.today, NULL), "batch.empty");
}

/* A batch-shaped run over the check: exercises the whole path like the service does and
 * confirms each accepted lead is consistent with the library's own parsers. */
static void test_accepted_are_consistent(void **state)
{
    (void)state;
    s_fix_t f;
    s_fix_init(&f);
    const char *villages[] = {V_SANDAOHE, V_HUASHUI, V_DAMIAO, V_CHENGDE, "130822112000", "13082211220"};
    const char *kinds[] = {"yibao.high_cost", "yibao.uninsured", "visit.other", "nope"};
    int accepted = 0, total = 0;
    for (int v = 0; v < 6; v++)
        for (int k = 0; k < 4; k++)
            for (int a = 0; a < 3; a++) {
                intake_lead_in_t in = s_lead(&f);
                in.village_code = villages[v];
                in.kind = kinds[k];
                in.has_amount = a > 0;
                in.amount_fen = a == 2 ? -1 : 0;
                intake_lead_ok_t ok;
                const char *why = intake_check_lead(&f.cat, &f.yibao, &in, &f.lim, f.today, &ok);
                total++;
                if (why) {
                    assert_non_null(intake_reason(why));
                    continue;
                }
                accepted++;
                fp_idcard_t id;
                assert_int_equal(fp_idcard_parse(ok.id_number, f.today, &id), FP_OK);
                char sh[13];
                fp_region_level_t lv;
                assert_int_equal(fp_region_parse(ok.village, sh, &lv), FP_OK);
                assert_int_equal(lv, FP_REGION_VILLAGE);
                assert_true(fp_region_within(ok.village, f.yibao.region));
                assert_true(intake_kind_allowed(ok.kind, &f.yibao));
            }
    assert_int_equal(total, 72);
    assert_int_equal(accepted, 3 * 2); /* 3 villages x (high_cost with 0, uninsured without) */
}

/* One crafted lead (or batch) per reason code, each asserted exactly; then every code of the
 * catalog that this module can return must have been produced. */
typedef struct {
    const char *want;
    const char *id, *name, *village, *kind, *date, *detail, *ref; /* NULL: keep the good value */
    int amount; /* 0 keep; 1 has_amount with amt; 2 no has_amount with amt */
    int64_t amt;
    int sender; /* 0 yibao, 1 township actor, 2 gateway, 3 admin */
} s_case_t;

/* One crafted batch header per batch.* reason, each asserted exactly and marked in seen. */
static void s_every_batch_reason(const s_fix_t *f, bool seen[])
{
    const char *b;
    b = intake_check_batch("a b", "2026-02", 1, &f->lim, f->today, NULL);
    assert_reason(b, "batch.id");
    seen[intake_reason(b) - intake_reasons] = true;
    b = intake_check_batch("b", "2026-2", 1, &f->lim, f->today, NULL);
    assert_reason(b, "batch.period");
    seen[intake_reason(b) - intake_reasons] = true;
    b = intake_check_batch("b", "2026-04", 1, &f->lim, f->today, NULL);
    assert_reason(b, "batch.period_future");
    seen[intake_reason(b) - intake_reasons] = true;
    b = intake_check_batch("b", "2026-02", 0, &f->lim, f->today, NULL);
    assert_reason(b, "batch.empty");
    seen[intake_reason(b) - intake_reasons] = true;
    b = intake_check_batch("b", "2026-02", 101, &f->lim, f->today, NULL);
    assert_reason(b, "batch.too_many");
    seen[intake_reason(b) - intake_reasons] = true;
}

/* Every code of the catalog was produced, except the reserved ones, set by the service and
 * never here: duplicate.in_batch, duplicate.earlier (village.unknown is set both here, for a
 * name, and by the service, for a code not in the regions table). */
static void s_assert_all_produced(const bool seen[], size_t nreasons)
{
    for (size_t i = 0; i < nreasons; i++) {
        const char *code = intake_reasons[i].code;
        bool reserved = strcmp(code, "duplicate.earlier") == 0 || strcmp(code, "duplicate.in_batch") == 0;
        if (seen[i] == reserved) fail_msg("%s: %s", code, reserved ? "returned though reserved" : "never produced");
    }
}

static void test_every_reason(void **state)
{
    (void)state;
    s_fix_t f;
    s_fix_init(&f);
    char province[19], checksum[19], birth[19], longref[40], longdetail[300], longname[80];
    s_mk_id(province, "990822", 1980, 5, 17, 123);
    memcpy(checksum, f.id, 19);
    checksum[17] = checksum[17] == '0' ? '1' : '0';
    s_mk_id(birth, "130822", 1980, 2, 30, 123);
    memset(longref, 'r', 17);
    longref[17] = '\0';
    memset(longdetail, 'd', 201);
    longdetail[201] = '\0';
    memset(longname, 'n', 65);
    longname[65] = '\0';

    const s_case_t cases[] = {
        {"idcard.missing", .id = ""},
        {"idcard.format", .id = "13082219800517123Z"},
        {"idcard.legacy15", .id = "130822800517123"},
        {"idcard.province", .id = province},
        {"idcard.checksum", .id = checksum},
        {"idcard.birth_date", .id = birth},
        {"name.missing", .name = ""},
        {"name.too_long", .name = longname},
        {"name.invalid", .name = "张 三"},
        {"village.missing", .village = ""},
        {"village.format", .village = "13082211220"},
        {"village.not_village", .village = "130822112000"},
        {"village.out_of_scope", .village = V_DAMIAO, .kind = "visit.other", .sender = 1},
        {"village.ambiguous", .village = "榆树沟村", .sender = 4},
        {"village.unknown", .village = "花水沟", .sender = 4},
        {"kind.missing", .kind = ""},
        {"kind.unknown", .kind = "yibao.nothing"},
        {"kind.not_allowed", .kind = "minzheng.temp_relief"},
        {"kind.not_allowed", .kind = "self.hardship", .sender = 3},
        {"date.missing", .date = ""},
        {"date.format", .date = "2026-02-29"},
        {"date.future", .date = "2026-03-16"},
        {"date.too_old", .date = "2025-02-07"}, /* 2026-03-15 - 401 days */
        {"amount.unflagged", .amount = 2, .amt = 1},
        {"amount.required", .amount = 2, .amt = 0},
        {"amount.not_allowed", .kind = "yibao.uninsured", .amount = 1, .amt = 0},
        {"amount.negative", .amount = 1, .amt = -1},
        {"amount.too_large", .amount = 1, .amt = MAX_FEN + 1},
        {"detail.too_long", .detail = longdetail},
        {"detail.invalid", .detail = "\x01"},
        {"line_ref.too_long", .ref = longref},
        {"line_ref.invalid", .ref = "\r"},
    };
    fp_village_index_t ix = s_villages();
    intake_sender_t named = {"department", "yibao", "130822", NULL, 0, &ix, NULL, NULL}; /* villages by name */
    const intake_sender_t *senders[] = {&f.yibao, &f.actor_town, &f.gateway, &f.admin, &named};
    bool seen[64] = {false};
    size_t nreasons = 0;
    while (intake_reasons[nreasons].code) nreasons++;
    assert_true(nreasons <= 64);

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const s_case_t *c = &cases[i];
        intake_lead_in_t in = s_lead(&f);
        if (c->id) in.id_number = c->id;
        if (c->name) in.name = c->name;
        if (c->village) in.village_code = c->village;
        if (c->kind) in.kind = c->kind;
        if (c->date) in.occurred_on = c->date;
        if (c->detail) in.detail = c->detail;
        if (c->ref) in.line_ref = c->ref;
        if (c->amount) {
            in.has_amount = c->amount == 1;
            in.amount_fen = c->amt;
        }
        const char *why = s_check_as(&f, senders[c->sender], &in);
        if (!why || strcmp(why, c->want) != 0) fail_msg("case %zu: want %s, got %s", i, c->want, why ? why : "(valid)");
        seen[intake_reason(why) - intake_reasons] = true;
    }
    s_every_batch_reason(&f, seen);
    s_assert_all_produced(seen, nreasons);
    fp_village_index_free(&ix);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reason_catalog),
        cmocka_unit_test(test_catalog),
        cmocka_unit_test(test_kind_allowed),
        cmocka_unit_test(test_valid_lead),
        cmocka_unit_test(test_idcard),
        cmocka_unit_test(test_idcard_number),
        cmocka_unit_test(test_name),
        cmocka_unit_test(test_village),
        cmocka_unit_test(test_village_by_name),
        cmocka_unit_test(test_kind),
        cmocka_unit_test(test_date),
        cmocka_unit_test(test_amount),
        cmocka_unit_test(test_detail_and_line_ref),
        cmocka_unit_test(test_order),
        cmocka_unit_test(test_batch),
        cmocka_unit_test(test_accepted_are_consistent),
        cmocka_unit_test(test_every_reason),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* lead_validate.c: the pure validation core of intake: SubmitLeads headers, each lead's
 * fields in a fixed order (first failure wins, as a stable reason code), who may push which
 * lead kind, and the bilingual catalog of reasons. No I/O, no globals. */
#include "lead_validate.h"

#include <stdlib.h>
#include <string.h>

#include "idcard.h"
#include "region.h"
#include "textenc.h"

/* --- reasons ------------------------------------------------------------------------------- */

const intake_reason_t intake_reasons[] = {
    {INTAKE_R_BATCH_ID, "the batch id must be 1 to 64 characters of A-Z, a-z, 0-9 and . _ : -: choose another id",
     "批次号须为 1 至 64 个字母、数字或 . _ : - 字符，请更换批次号"},
    {INTAKE_R_BATCH_PERIOD, "the period is not a month in the form YYYY-MM (2000 to 2199): write it like 2026-03",
     "所属期格式错误，应为 YYYY-MM（如 2026-03）"},
    {INTAKE_R_BATCH_PERIOD_FUTURE,
     "the period is a month that has not begun yet: send leads for the current or an earlier month",
     "所属期晚于当前月份，请报送本月或以前月份的线索"},
    {INTAKE_R_BATCH_EMPTY, "the batch holds no leads: send at least one lead", "批次中没有线索，请至少包含一条线索"},
    {INTAKE_R_BATCH_TOO_MANY,
     "the batch holds more leads than one batch may: split it into several batches with their own ids",
     "批次线索条数超过上限，请拆分为多个批次（各用不同批次号）报送"},
    {INTAKE_R_IDCARD_MISSING, "the ID number is missing: fill in the person's 18-character resident ID number",
     "缺少身份证号，请填写 18 位公民身份号码"},
    {INTAKE_R_IDCARD_FORMAT,
     "the ID number must be 17 digits followed by a digit or X, with no spaces: re-check the number",
     "身份证号格式错误，应为 17 位数字加 1 位数字或 X，且不含空格，请核对"},
    {INTAKE_R_IDCARD_LEGACY15,
     "this is an old 15-digit ID number: convert it to the 18-digit form (or use the number on the current card)",
     "这是 15 位旧身份证号，请转换为 18 位号码（或填写现用身份证上的号码）"},
    {INTAKE_R_IDCARD_PROVINCE, "the ID number's first two digits are not a province code: re-check the number",
     "身份证号前两位不是有效的省级行政区划代码，请核对"},
    {INTAKE_R_IDCARD_CHECKSUM, "the ID number's check character does not match: re-check the number",
     "身份证号校验位错误，请核对"},
    {INTAKE_R_IDCARD_BIRTH_DATE,
     "the birth date inside the ID number is not a real date or lies in the future: re-check the number",
     "身份证号中的出生日期无效或晚于今天，请核对"},
    {INTAKE_R_NAME_MISSING, "the name is missing: fill in the person's name as on the ID card",
     "缺少姓名，请按身份证填写姓名"},
    {INTAKE_R_NAME_TOO_LONG,
     "the name is longer than 64 bytes (about 21 Chinese characters): write the name only, as on the ID card",
     "姓名超过 64 字节（约 21 个汉字），请只填写身份证上的姓名"},
    {INTAKE_R_NAME_INVALID,
     "the name holds characters a name cannot have (digits, punctuation, control characters, "
     "leading, trailing or doubled spaces or dots, or text that is not UTF-8): write it as on the "
     "ID card, with · between the parts of an ethnic-minority name",
     "姓名含有无效字符（数字、标点、控制字符、首尾或连续的空格或间隔点，或非 UTF-8 编码），"
     "请按身份证填写，少数民族姓名各部分之间用“·”分隔"},
    {INTAKE_R_VILLAGE_MISSING,
     "the village code is missing: fill in the 12-digit statistical code of the person's village",
     "缺少村代码，请填写 12 位统计用区划代码"},
    {INTAKE_R_VILLAGE_FORMAT, "the village code is not a valid 12-digit statistical division code: re-check it",
     "村代码不是有效的 12 位统计用区划代码，请核对"},
    {INTAKE_R_VILLAGE_NOT_VILLAGE,
     "the code names a county or township, not a village (its last three digits are 000): "
     "give the person's village",
     "该代码是县或乡镇代码而非村代码（末三位为 000），请填写所在村的代码"},
    {INTAKE_R_VILLAGE_OUT_OF_SCOPE,
     "the village is outside the area you report for: send it to, or through, the county or township it belongs to",
     "该村不在本单位负责的区域内，请交由其所属县或乡镇报送"},
    {INTAKE_R_VILLAGE_UNKNOWN,
     "the village is not in the region table: check its code against the current statistical codes, or write its "
     "township and village names as the region table has them (三道河镇花水村)",
     "区划表中没有该村：请对照最新统计用区划代码核对村代码，或按区划表写明乡镇和村名称（如 三道河镇花水村）"},
    {INTAKE_R_VILLAGE_AMBIGUOUS,
     "several villages of the county have this name: write its township before it (三道河镇花水村), or its code",
     "本县有多个同名的村，请在村名前写明所属乡镇（如 三道河镇花水村），或填写村代码"},
    {INTAKE_R_KIND_MISSING, "the lead kind is missing: fill in one of the kinds listed by ListLeadKinds",
     "缺少线索类型，请填写 ListLeadKinds 列出的类型之一"},
    {INTAKE_R_KIND_UNKNOWN, "the lead kind is not a known kind: use a code listed by ListLeadKinds",
     "线索类型不存在，请使用 ListLeadKinds 列出的类型代码"},
    {INTAKE_R_KIND_NOT_ALLOWED, "you may not send leads of this kind: use the kinds marked allowed in ListLeadKinds",
     "本单位无权报送该类型线索，请使用 ListLeadKinds 中标注允许的类型"},
    {INTAKE_R_DATE_MISSING, "the date it happened is missing: fill in occurred_on as YYYY-MM-DD",
     "缺少发生日期，请按 YYYY-MM-DD 填写"},
    {INTAKE_R_DATE_FORMAT, "the date it happened is not a real date in the form YYYY-MM-DD (1900 to 2199): re-check it",
     "发生日期无效，应为 YYYY-MM-DD 格式的真实日期，请核对"},
    {INTAKE_R_DATE_FUTURE, "the date it happened is after today: re-check the date", "发生日期晚于今天，请核对"},
    {INTAKE_R_DATE_TOO_OLD,
     "the date it happened is older than the intake accepts: report it to the village for a home visit instead",
     "发生日期早于可受理的期限，请转交所在村入户核实"},
    {INTAKE_R_AMOUNT_UNFLAGGED,
     "an amount is given but has_amount is not set: set has_amount, or leave the amount at 0",
     "填写了金额但未设置 has_amount，请设置 has_amount 或将金额置为 0"},
    {INTAKE_R_AMOUNT_REQUIRED,
     "this kind of lead needs an amount: fill in the amount (in a CSV file the 金额(元) column, in yuan;"
     " in a request amount_fen with has_amount)",
     "该类型线索必须填写金额（CSV 文件填写“金额(元)”列，单位元；接口请求填写 amount_fen 并设置 has_amount）"},
    {INTAKE_R_AMOUNT_NOT_ALLOWED, "this kind of lead takes no amount: leave the amount out",
     "该类型线索不填写金额，请去掉金额"},
    {INTAKE_R_AMOUNT_NEGATIVE, "the amount is negative: give the amount as a positive number of fen (0 is allowed)",
     "金额不能为负数，请填写以分为单位的非负金额"},
    {INTAKE_R_AMOUNT_TOO_LARGE,
     "the amount is larger than this kind of lead allows: check that it is in fen (1 yuan = 100 fen)",
     "金额超过该类型线索的上限，请核对单位是否为分（1 元 = 100 分）"},
    {INTAKE_R_DETAIL_TOO_LONG, "the description is too long: shorten it", "情况说明过长，请精简"},
    {INTAKE_R_DETAIL_INVALID,
     "the description is not valid UTF-8 text or holds control characters: send plain UTF-8 text",
     "情况说明不是有效的 UTF-8 文本或含有控制字符，请使用 UTF-8 纯文本"},
    {INTAKE_R_LINE_REF_TOO_LONG, "the line reference is too long: shorten it", "行号引用过长，请缩短"},
    {INTAKE_R_LINE_REF_INVALID,
     "the line reference is not valid UTF-8 or holds control characters: use plain text such as a line number",
     "行号引用不是有效的 UTF-8 文本或含有控制字符，请使用行号等纯文本"},
    {INTAKE_R_DUPLICATE_IN_BATCH, "the same person, kind and date appear earlier in this batch: send each lead once",
     "本批次中已有相同人员、类型和日期的线索，请勿重复报送"},
    {INTAKE_R_DUPLICATE_EARLIER,
     "this lead (same person, kind and date) was already received in an earlier batch: nothing to do",
     "该线索（相同人员、类型和日期）已在以前批次中收到，无需再报"},
    {NULL, NULL, NULL},
};

const intake_reason_t *intake_reason(const char *code) { return fp_reason_find(intake_reasons, code); }

/* --- catalog and senders ---------------------------------------------------------------------- */

/* True if the fixed-size field (NUL-terminated or filling fsz) equals the string s. */
static bool s_field_eq(const char *field, size_t fsz, const char *s)
{
    return strnlen(s, fsz) < fsz && strncmp(field, s, fsz) == 0;
}

static int s_kind_cmp(const void *a, const void *b)
{
    const intake_kind_t *x = a, *y = b;
    return strncmp(x->code, y->code, sizeof x->code);
}

void intake_catalog_sort(intake_catalog_t *c)
{
    if (!c || !c->kinds || c->nkinds < 2) return;
    qsort(c->kinds, c->nkinds, sizeof c->kinds[0], s_kind_cmp);
}

const intake_kind_t *intake_catalog_find(const intake_catalog_t *c, const char *code)
{
    if (!c || !c->kinds || !code) return NULL;
    if (strnlen(code, sizeof c->kinds[0].code) == sizeof c->kinds[0].code) return NULL;
    size_t lo = 0, hi = c->nkinds;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int d = strncmp(c->kinds[mid].code, code, sizeof c->kinds[mid].code);
        if (d == 0) return &c->kinds[mid];
        if (d < 0) lo = mid + 1;
        else hi = mid;
    }
    return NULL;
}

bool intake_amount_mode_parse(const char *s, intake_amount_mode_t *out)
{
    if (!s || !out) return false;
    if (strcmp(s, "none") == 0) *out = INTAKE_AMOUNT_NONE;
    else if (strcmp(s, "optional") == 0) *out = INTAKE_AMOUNT_OPTIONAL;
    else if (strcmp(s, "required") == 0) *out = INTAKE_AMOUNT_REQUIRED;
    else return false;
    return true;
}

bool intake_kind_allowed(const intake_kind_t *k, const intake_sender_t *s)
{
    if (!k || !s || !s->kind) return false;
    if (strcmp(s->kind, "department") == 0) {
        const char *d = s->department;
        /* "visit" and "self" are not departments, whatever a principal row says. */
        if (!d || !*d || strcmp(d, "visit") == 0 || strcmp(d, "self") == 0) return false;
        return s_field_eq(k->sender, sizeof k->sender, d);
    }
    if (strcmp(s->kind, "actor") == 0) return s_field_eq(k->sender, sizeof k->sender, "visit");
    if (strcmp(s->kind, "gateway") == 0) return s_field_eq(k->sender, sizeof k->sender, "self");
    return false; /* admin, or a kind this module does not know */
}

/* --- limits ------------------------------------------------------------------------------------ */

intake_limits_t intake_limits_default(void)
{
    intake_limits_t l = {INTAKE_DEFAULT_MAX_LEADS, INTAKE_DEFAULT_MAX_AGE_DAYS, INTAKE_DEFAULT_MAX_DETAIL_BYTES,
                         INTAKE_DEFAULT_MAX_REF_BYTES};
    return l;
}

/* strnlen with a cap that may be SIZE_MAX; returns cap + 1 (saturating) if s is longer. */
static size_t s_len_upto(const char *s, size_t cap)
{
    if (cap >= SIZE_MAX - 1) return strlen(s);
    return strnlen(s, cap + 1);
}

/* --- UTF-8 ------------------------------------------------------------------------------------- */

/* Free text of len bytes: strict UTF-8 without control characters (C0, DEL, C1); tab, LF
 * and CR are allowed when `newlines`. */
static bool s_text_ok(const char *s, size_t len, bool newlines)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + len;
    while (p < end) {
        unsigned c = *p;
        if (c >= 0x20 && c < 0x7F) { /* the common case: printable ASCII */
            p++;
            continue;
        }
        if (c < 0x80) {
            if (!(newlines && (c == '\t' || c == '\n' || c == '\r'))) return false;
            p++;
            continue;
        }
        uint32_t cp;
        size_t k = fp_utf8_next(p, (size_t)(end - p), &cp);
        if (k == 0 || (cp >= 0x80 && cp <= 0x9F)) return false;
        p += k;
    }
    return true;
}

/* --- names ------------------------------------------------------------------------------------- */

/* Non-ASCII code points a name never holds: C1 controls, spaces and invisible format
 * characters, dots that look like '·' but are not, CJK and full-width punctuation and digits,
 * noncharacters and the replacement character (the mark of a botched conversion). Sorted. */
static const uint32_t s_name_bad[][2] = {
    {0x0080, 0x00A0},                                     /* C1 controls, no-break space */
    {0x00AD, 0x00AD},                                     /* soft hyphen */
    {0x1680, 0x1680}, {0x180E, 0x180E}, {0x2000, 0x2021}, /* spaces, zero-width characters, dashes, quotes, daggers */
    {0x2023, 0x206F},                   /* the rest of General Punctuation (2022 '•' is a name separator) */
    {0x2219, 0x2219}, {0x22C5, 0x22C5}, /* bullet and dot operators */
    {0x3000, 0x3004},                   /* ideographic space, 、。〃〄 */
    {0x3008, 0x301F},                   /* CJK brackets and quotes, 〜 */
    {0x30FB, 0x30FB},                   /* katakana middle dot '・' */
    {0xFDD0, 0xFDEF},                   /* noncharacters */
    {0xFE10, 0xFE1F}, {0xFE30, 0xFE6F}, /* vertical and small punctuation forms */
    {0xFEFF, 0xFEFF},                   /* byte-order mark */
    {0xFF01, 0xFF20},                   /* full-width ！ to ＠, digits ０-９ included */
    {0xFF3B, 0xFF40}, {0xFF5B, 0xFF65}, /* full-width brackets ... halfwidth '･' */
    {0xFFF0, 0xFFFF},                   /* specials, U+FFFD included */
};

static bool s_name_cp_bad(uint32_t cp)
{
    if ((cp & 0xFFFE) == 0xFFFE) return true; /* U+xFFFE, U+xFFFF of every plane */
    size_t lo = 0, hi = sizeof s_name_bad / sizeof s_name_bad[0];
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cp < s_name_bad[mid][0]) hi = mid;
        else if (cp > s_name_bad[mid][1]) lo = mid + 1;
        else return true;
    }
    return false;
}

/* A letter of a Latin-script name: A-Z, a-z, Latin-1 and Latin Extended-A/B letters, and
 * combining diacritics. */
static bool s_latin(uint32_t cp)
{
    if ((cp | 0x20) >= 'a' && (cp | 0x20) <= 'z') return true;
    if (cp >= 0xC0 && cp <= 0x24F) return cp != 0xD7 && cp != 0xF7;
    return cp >= 0x300 && cp <= 0x36F;
}

/* The name rules (len is 1..64 bytes here):
 *   - strict UTF-8; no control character; no ASCII digit or punctuation, no code point of
 *     s_name_bad; every other character is allowed (CJK, other scripts, private-use
 *     characters that older systems use for rare characters in names, 〇);
 *   - separators: '·' (U+00B7) and '•' (U+2022) between the parts of an ethnic-minority name
 *     (阿卜杜拉·艾合买提), and the ASCII space, only in a name that is otherwise all Latin
 *     letters ("Abdulla Ahmat"); a Chinese name has no spaces ("张 三" is refused, a typing
 *     slip that would defeat matching against the ledger);
 *   - a separator is never first, last or next to another separator. */
static bool s_name_ok(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + len;
    bool prev_sep = true, space = false, latin = true;
    while (p < end) {
        uint32_t cp;
        size_t k = fp_utf8_next(p, (size_t)(end - p), &cp);
        if (k == 0) return false;
        p += k;
        if (cp == ' ' || cp == 0xB7 || cp == 0x2022) {
            if (prev_sep) return false;
            prev_sep = true;
            if (cp == ' ') space = true;
            continue;
        }
        prev_sep = false;
        if (cp < 0x80) {
            if ((cp | 0x20) < 'a' || (cp | 0x20) > 'z') return false; /* controls, digits, punctuation */
            continue;
        }
        if (s_name_cp_bad(cp)) return false;
        if (latin && !s_latin(cp)) latin = false;
    }
    if (prev_sep) return false;
    return !space || latin;
}

/* --- batch ------------------------------------------------------------------------------------- */

static int s_clamp0(int v) { return v < 0 ? 0 : v; }

bool intake_batch_id_ok(const char *batch_id)
{
    size_t idlen = batch_id ? strnlen(batch_id, INTAKE_MAX_BATCH_ID + 1) : 0;
    if (idlen == 0 || idlen > INTAKE_MAX_BATCH_ID) return false;
    for (size_t i = 0; i < idlen; i++) {
        unsigned char c = (unsigned char)batch_id[i];
        bool ok = (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') || c == '.' || c == '_' ||
            c == ':' || c == '-';
        if (!ok) return false;
    }
    return true;
}

const char *intake_check_batch(const char *batch_id, const char *period, size_t nleads, const intake_limits_t *lim,
                               int32_t today, fp_period_t *period_out)
{
    intake_limits_t def = intake_limits_default();
    if (!lim) lim = &def;

    if (!intake_batch_id_ok(batch_id)) return INTAKE_R_BATCH_ID;

    fp_period_t p;
    if (!period || fp_period_parse(period, &p) != FP_OK) return INTAKE_R_BATCH_PERIOD;
    if (period_out) *period_out = p;
    fp_period_t now = fp_period_of(today);
    if ((int64_t)p.year * 12 + p.month > (int64_t)now.year * 12 + now.month) return INTAKE_R_BATCH_PERIOD_FUTURE;

    if (nleads == 0) return INTAKE_R_BATCH_EMPTY;
    if (nleads > (size_t)s_clamp0(lim->max_leads)) return INTAKE_R_BATCH_TOO_MANY;
    return NULL;
}

/* --- one lead --------------------------------------------------------------------------------- */

static bool s_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9') return false;
    return true;
}

/* The ID number into out (normalized). fp_idcard_parse answers FP_EINVAL both for bad
 * characters and for an unknown province; the shape is checked here first to tell them apart. */
static const char *s_check_id(const char *s, int32_t today, char out[19])
{
    if (!s || !*s) return INTAKE_R_IDCARD_MISSING;
    size_t len = strnlen(s, 19);
    if (len == 15 && s_digits(s, 15)) return INTAKE_R_IDCARD_LEGACY15;
    if (len != 18 || !s_digits(s, 17) || !((s[17] >= '0' && s[17] <= '9') || s[17] == 'X' || s[17] == 'x'))
        return INTAKE_R_IDCARD_FORMAT;
    fp_idcard_t id;
    switch (fp_idcard_parse(s, today, &id)) {
    case FP_OK: break;
    case FP_ECHECKSUM: return INTAKE_R_IDCARD_CHECKSUM;
    case FP_EDATE: return INTAKE_R_IDCARD_BIRTH_DATE;
    case FP_ELEGACY: return INTAKE_R_IDCARD_LEGACY15;
    default: return INTAKE_R_IDCARD_PROVINCE; /* the shape is right: only the province is left */
    }
    memcpy(out, id.number, 19);
    return NULL;
}

bool intake_village_by_name(const char *text)
{
    if (!text || !*text) return false;
    for (; *text; text++)
        if (*text < '0' || *text > '9') return true;
    return false;
}

/* A village by name into code (13 bytes), or the reason it is none. A code badly written
 * (full-width digits, spaces: "130822 112201") stays village.format: codes are not trimmed. */
static const char *s_village_name(const char *v, const intake_sender_t *s, char code[13])
{
    char norm[FP_VNAME_MAX];
    if (!fp_kind_norm(v, norm, sizeof norm) || !intake_village_by_name(norm)) return INTAKE_R_VILLAGE_FORMAT;
    if (!s || !s->villages) return INTAKE_R_VILLAGE_FORMAT;
    size_t i;
    switch (fp_village_match(s->villages, v, s->conv, s->conv_ctx, &i, 1, NULL)) {
    case FP_VILLAGE_ONE: break;
    case FP_VILLAGE_AMBIGUOUS: return INTAKE_R_VILLAGE_AMBIGUOUS;
    default: return INTAKE_R_VILLAGE_UNKNOWN;
    }
    memcpy(code, s->villages->places[i].code, 13);
    return NULL;
}

static const char *s_check_village(const char *v, const intake_sender_t *s, char out[13])
{
    if (!v || !*v) return INTAKE_R_VILLAGE_MISSING;
    char byname[13];
    if (intake_village_by_name(v)) {
        const char *why = s_village_name(v, s, byname);
        if (why) return why;
        v = byname;
    }
    if (strnlen(v, 13) != 12 || !s_digits(v, 12)) return INTAKE_R_VILLAGE_FORMAT;
    char sh[13];
    fp_region_level_t lv;
    if (fp_region_parse(v, sh, &lv) != FP_OK) return INTAKE_R_VILLAGE_FORMAT;
    if (lv != FP_REGION_VILLAGE) return INTAKE_R_VILLAGE_NOT_VILLAGE;
    /* No valid scope, no villages: an empty region must not mean "everywhere". */
    char scope[13];
    if (!s || !s->region || fp_region_parse(s->region, scope, NULL) != FP_OK) return INTAKE_R_VILLAGE_OUT_OF_SCOPE;
    if (strncmp(v, scope, strlen(scope)) != 0) return INTAKE_R_VILLAGE_OUT_OF_SCOPE;
    memcpy(out, v, 12);
    out[12] = '\0';
    return NULL;
}

static const char *s_check_amount(const intake_kind_t *k, const intake_lead_in_t *in)
{
    if (!in->has_amount) {
        if (in->amount_fen != 0) return INTAKE_R_AMOUNT_UNFLAGGED;
        return k->amount == INTAKE_AMOUNT_REQUIRED ? INTAKE_R_AMOUNT_REQUIRED : NULL;
    }
    if (k->amount == INTAKE_AMOUNT_NONE) return INTAKE_R_AMOUNT_NOT_ALLOWED;
    if (in->amount_fen < 0) return INTAKE_R_AMOUNT_NEGATIVE;
    if (in->amount_fen > k->max_amount_fen) return INTAKE_R_AMOUNT_TOO_LARGE;
    return NULL;
}

const char *intake_check_line_ref(const char *line_ref, const intake_limits_t *lim)
{
    if (!line_ref) return NULL;
    intake_limits_t def = intake_limits_default();
    if (!lim) lim = &def;
    size_t len = s_len_upto(line_ref, lim->max_ref_bytes);
    if (len > lim->max_ref_bytes) return INTAKE_R_LINE_REF_TOO_LONG;
    if (!s_text_ok(line_ref, len, false)) return INTAKE_R_LINE_REF_INVALID;
    return NULL;
}

const char *intake_check_lead(const intake_catalog_t *cat, const intake_sender_t *s, const intake_lead_in_t *in,
                              const intake_limits_t *lim, int32_t today, intake_lead_ok_t *ok)
{
    if (!in) return INTAKE_R_IDCARD_MISSING;
    intake_limits_t def = intake_limits_default();
    if (!lim) lim = &def;
    intake_lead_ok_t r;
    const char *why;

    if ((why = s_check_id(in->id_number, today, r.id_number))) return why;

    if (!in->name || !*in->name) return INTAKE_R_NAME_MISSING;
    size_t nlen = strnlen(in->name, INTAKE_MAX_NAME_BYTES + 1);
    if (nlen > INTAKE_MAX_NAME_BYTES) return INTAKE_R_NAME_TOO_LONG;
    if (!s_name_ok(in->name, nlen)) return INTAKE_R_NAME_INVALID;

    if ((why = s_check_village(in->village_code, s, r.village))) return why;

    if (!in->kind || !*in->kind) return INTAKE_R_KIND_MISSING;
    r.kind = intake_kind_resolve(cat, s, in->kind);
    if (!r.kind) return INTAKE_R_KIND_UNKNOWN;
    if (!intake_kind_allowed(r.kind, s)) return INTAKE_R_KIND_NOT_ALLOWED;

    if (!in->occurred_on || !*in->occurred_on) return INTAKE_R_DATE_MISSING;
    if (fp_date_parse(in->occurred_on, &r.occurred_days) != FP_OK) return INTAKE_R_DATE_FORMAT;
    if (r.occurred_days > today) return INTAKE_R_DATE_FUTURE;
    if ((int64_t)r.occurred_days < (int64_t)today - s_clamp0(lim->max_age_days)) return INTAKE_R_DATE_TOO_OLD;

    if ((why = s_check_amount(r.kind, in))) return why;

    if (in->detail) {
        size_t dlen = s_len_upto(in->detail, lim->max_detail_bytes);
        if (dlen > lim->max_detail_bytes) return INTAKE_R_DETAIL_TOO_LONG;
        if (!s_text_ok(in->detail, dlen, true)) return INTAKE_R_DETAIL_INVALID;
    }
    if ((why = intake_check_line_ref(in->line_ref, lim))) return why;

    if (ok) *ok = r;
    return NULL;
}

/* refusal.c: the one table of reason codes (refusal.h). Add a code here, then regenerate
 * docs/refusals.md (build-test/tests/refusal_test --doc > docs/refusals.md). */
#include "refusal.h"

#include <string.h>

#define S_BAD FANGPIN__V1__CODE__BAD_REQUEST
#define S_LARGE FANGPIN__V1__CODE__TOO_LARGE
#define S_UNKNOWN FANGPIN__V1__CODE__UNKNOWN_OPERATION
#define S_FORBIDDEN FANGPIN__V1__CODE__FORBIDDEN
#define S_NOT_FOUND FANGPIN__V1__CODE__NOT_FOUND
#define S_CONFLICT FANGPIN__V1__CODE__CONFLICT
#define S_UNAVAILABLE FANGPIN__V1__CODE__UNAVAILABLE
#define S_INTERNAL FANGPIN__V1__CODE__INTERNAL

const fp_refusal_t fp_refusals[] = {
    /* --- the request path: every service, before an operation runs (common/service.c) --- */
    {"request.frames", S_BAD, "the message is not one frame (or an empty delimiter and one frame): send one frame",
     "请求应为一个帧"},
    {"request.too_large", S_LARGE,
     "the frame is above FANGPIN_MAX_REQUEST_BYTES (intake 4 MiB, the others 1 MiB): send less in one request",
     "请求过大，请减少单次请求的内容"},
    {"request.too_complex", S_LARGE,
     "decoding the frame would take more than 8 times its size plus 64 KiB: send fewer, fuller items",
     "请求解码所需内存超过其大小的 8 倍（条目或字段过多而内容过少），请精简后重发"},
    {"request.malformed", S_BAD, "the frame is not the service's request message", "无法解析的请求"},
    {"request.id", S_BAD,
     "the request id must be 1 to 128 printable ASCII characters (space to ~): it makes a retry safe",
     "请求号须为 1 至 128 个可打印 ASCII 字符（用于安全重试）"},
    {"request.unknown_operation", S_UNKNOWN, "the request names no operation this service knows", "未知的操作"},
    {"request.field", S_BAD, "a field of the request is malformed or out of range: the message names the field",
     "请求字段格式错误或超出范围（见说明中的字段名）"},
    {"key.revoked", S_FORBIDDEN, "the key of this connection was revoked: use another registered key",
     "本连接所用的密钥已吊销，请改用其他已登记的密钥"},
    {"principal.disabled", S_FORBIDDEN, "the principal of this key is disabled", "该密钥所属的用户已停用"},
    {"key.unregistered", S_FORBIDDEN, "your key is no longer registered (revoked or disabled)", "密钥未注册或已停用"},
    {"service.stopping", S_UNAVAILABLE, "the service is stopping: retry with the same request id",
     "服务正在停止，请用相同请求号重试"},
    {"db.unavailable", S_UNAVAILABLE,
     "the database is not reachable: nothing was changed; retry with the same request id",
     "数据库暂不可用，未作任何更改，请用相同请求号重试"},
    {"db.failed", S_INTERNAL, "a database step failed: nothing was changed (logged with the request id)",
     "数据库操作失败，未作任何更改（已记录日志）"},
    {"internal.error", S_INTERNAL, "the answer could not be made (logged with the request id)",
     "无法生成应答（已记录日志）"},

    /* --- who may call: every service ------------------------------------------------------- */
    {"caller.kind", S_FORBIDDEN,
     "this kind of principal may not call this operation (a change of cases and plans: village, township and"
     " county actors; leads: departments, village actors and the self-report gateway)",
     "该类用户不能办理此操作"},
    {"caller.level", S_FORBIDDEN, "your level does not take this step (the message names the level that does)",
     "本级不能办理此操作"},
    {"caller.county", S_FORBIDDEN, "your key is not scoped to a county", "密钥未限定到县"},
    {"read.kind", S_FORBIDDEN,
     "this kind of principal reads none of it (departments, the gateway, unknown kinds or levels)", "该类用户无权查阅"},
    {"read.report", S_FORBIDDEN,
     "not this report for this principal (a village actor's deadlines; civil affairs reads lowincome_quarterly only)",
     "本级无权查阅该报表"},
    {"read.region", S_FORBIDDEN, "a region prefix outside the principal's region", "所查区域超出您的管辖范围"},
    {"reopen.level", S_FORBIDDEN, "ReopenReport by someone other than an admin or a county-level (or higher) actor",
     "只有管理员或县级（及以上）人员可以重新开放报表"},

    /* --- intake ------------------------------------------------------------------------- */
    {"batch.*", S_BAD, "a malformed batch: the code and words of intake's catalogue (docs/protocol.md, SubmitLeads)",
     "批次格式错误（见受理服务的原因目录）"},
    {"batch.not_found", S_NOT_FOUND, "no batch of yours has this batch id", "未找到该批次"},
    {"file.unreadable", S_BAD,
     "the uploaded file cannot be read as a department's file (a CSV in UTF-8 or GBK, or an XLSX as Excel and WPS"
     " save it, with a header naming the columns): the message says where; nothing was submitted",
     "上传的文件无法读取（须为 UTF-8 或 GBK 编码的 CSV，或 Excel、WPS 保存的 "
     "XLSX，并有列名表头），详见说明；未报送任何数据"},
    {"profile.unknown", S_NOT_FOUND,
     "your department has no live column profile of that name and version (a department reads only its own):"
     " see fangpinctl profile list",
     "本部门没有该名称（及版本）的在用列映射方案（各部门只能读取本部门的方案），请用 fangpinctl profile list 查看"},
    {"compare.columns", S_FORBIDDEN,
     "a comparison column your department may not compare (another department's), or a department without a"
     " comparison table or answer file: docs/compare.md lists each department's",
     "本部门不能比对该列（属于其他部门），或本部门没有比对列表或回复文件：见 docs/compare.md"},
    {"compare.out_of_scope", S_FORBIDDEN,
     "a department compares its own county's ledger only, with the key of a county's department",
     "部门只能比对本县的台账（须为县级部门的密钥）"},
    {"compare.export_unknown", S_NOT_FOUND, "your department has no export of this county with this id",
     "本部门在本县没有该编号的比对导出"},
    {"compare.answer", S_BAD,
     "an answer of the batch is malformed (its ID number, or a fact or value not of your department's answer"
     " file): the message names it; nothing was stored",
     "批次中有一条回复格式错误（身份证号，或不属于本部门回复文件的事项或取值），见说明；未保存任何内容"},
    {"batch.reused", S_CONFLICT, "this batch id was already used for different leads: choose a new batch id",
     "该批次号已用于内容不同的批次，请使用新的批次号"},
    {"data_key.changed", S_UNAVAILABLE,
     "the county's data key was changed: intake must be restarted with the new key; nothing was stored, retry"
     " with the same batch id",
     "县级数据密钥已更换，需用新密钥重启受理服务；本批次未保存，请用相同批次号重试"},

    /* --- screening ---------------------------------------------------------------------- */
    {"case.*", S_CONFLICT,
     "a step the case table refuses: the code and words of its catalogue (docs/screening-rules.md)",
     "案件流程不允许该事项（见案件规则目录）"},
    {"case.bad_request", S_BAD, NULL, NULL},             /* the catalogue's words */
    {"case.level_not_allowed", S_FORBIDDEN, NULL, NULL}, /* the catalogue's words */
    {"case.not_found", S_NOT_FOUND, "no such case in your region", "您的管辖范围内无此案件"},
    {"category.*", S_CONFLICT,
     "a change of a low-income category the household's state refuses: the code and words of its catalogue"
     " (domain/lowincome.c, docs/lowincome.md)",
     "该户状态不允许变更此类别（见低收入人口类别规则）"},
    {"category.unknown", S_NOT_FOUND, NULL, NULL},   /* the catalogue's words */
    {"category.household", S_NOT_FOUND, NULL, NULL}, /* the catalogue's words */
    {"category.authority", S_FORBIDDEN, NULL, NULL}, /* the catalogue's words */
    {"category.by_case", S_FORBIDDEN, NULL, NULL},   /* the catalogue's words */
    {"category.bad_request", S_BAD, NULL, NULL},     /* the catalogue's words */
    {"category.referral", S_NOT_FOUND, NULL, NULL},  /* the catalogue's words */
    {"notice.long_number", S_BAD,
     "the notice text carries a long number: a notice never shows ID, phone or bank numbers",
     "公示内容含有长数字串：公示不得出现身份证号、电话或银行账号"},

    /* --- assistance --------------------------------------------------------------------- */
    {"plan.not_found", S_NOT_FOUND, "no such plan, measure or household in your region",
     "您的管辖范围内无此帮扶计划、措施或农户"},
    {"plan.not_lifted", S_CONFLICT, "only a lifted household (脱贫户) gets a yearly consolidation plan",
     "仅脱贫户制定年度巩固提升计划"},
    {"plan.exists", S_CONFLICT, "the household already has a consolidation plan for that year",
     "该户当年已有年度巩固提升计划"},
    {"plan.consolidation", S_CONFLICT, "a consolidation plan has no risk elimination (the household is lifted)",
     "年度巩固提升计划不办理风险消除（该户为脱贫户）"},
    {"plan.eliminated", S_CONFLICT,
     "the household's risk is eliminated: a new measure needs the elimination undone first",
     "该户已标注风险消除，新增帮扶措施须先回退风险消除"},
    {"plan.facts", S_CONFLICT,
     "the household's facts are missing or out of range (no member in the ledger, or bad income records): check"
     " the ledger first",
     "该户台账或收入数据缺失或超出范围，请先核对台账"},
    {"quarter.submitted", S_CONFLICT, "the county's summary of that quarter was already submitted",
     "本县该季度汇总已报送"},
    {"check.stopped", S_CONFLICT, "the measure is stopped: there is nothing to check", "该措施已终止，无需核查"},
    {"check.done", S_CONFLICT, "the measure was already checked in this quarter", "该措施本季度已核查"},
    {"finding.not_found", S_NOT_FOUND, "no data-quality finding (疑点) has this id", "未找到该疑点"},
    {"finding.out_of_scope", S_FORBIDDEN,
     "the finding is not of your village (a fix claim or an explanation) or your township (a review)",
     "该疑点不属于您所在的村（整改、说明）或乡镇（审核）"},
    {"finding.state", S_CONFLICT,
     "the finding is not in a state for this step: a fix claim or an explanation needs it open or overdue, a"
     " review explained and not yet reviewed",
     "该疑点当前状态不能办理此操作（整改、说明：待整改或已逾期；审核：已说明且未审核）"},
    {"finding.reason_required", S_BAD, "an explanation, or the rejection of one, needs a reason", "请填写理由"},
    {"change.concurrent", S_CONFLICT, "done meanwhile by someone else: nothing was changed",
     "他人已同时办理，本次未作更改"},
    {"elim.*", S_CONFLICT,
     "a step the elimination table refuses: the code and words of its catalogue (docs/assistance-rules.md)",
     "风险消除流程不允许该事项（见风险消除规则目录）"},
    {"elim.bad_request", S_BAD, NULL, NULL},             /* the catalogue's words */
    {"elim.level_not_allowed", S_FORBIDDEN, NULL, NULL}, /* the catalogue's words */
    {"measure.*", S_CONFLICT,
     "a status change the measure rules refuse: the code and words of their catalogue"
     " (docs/assistance-rules.md)",
     "帮扶措施状态变更不允许（见措施规则目录）"},
    {"measure.bad_status", S_BAD, NULL, NULL}, /* the catalogue's words */

    /* --- reporting ---------------------------------------------------------------------- */
    {"region.not_found", S_NOT_FOUND, "no region has that code: check region_prefix",
     "区划表中没有该代码，请核对 region_prefix"},
    {"report.not_frozen", S_NOT_FOUND, "that report is not frozen: there is nothing to re-open",
     "该报表尚未封存，无需重新开放"},
    {NULL, 0, NULL, NULL},
};

const fp_refusal_t *fp_refusal_find(const char *code)
{
    if (!code || !*code) return NULL;
    const fp_refusal_t *family = NULL;
    for (const fp_refusal_t *r = fp_refusals; r->code; r++) {
        size_t n = strlen(r->code);
        if (strcmp(r->code, code) == 0) return r;
        if (n >= 2 && r->code[n - 1] == '*' && r->code[n - 2] == '.' && strncmp(r->code, code, n - 1) == 0 &&
            code[n - 1])
            family = r;
    }
    return family;
}

int fp_code_http(Fangpin__V1__Code code)
{
    switch (code) {
    case FANGPIN__V1__CODE__OK:
    case FANGPIN__V1__CODE__PARTIAL:
    case FANGPIN__V1__CODE__DUPLICATE: return 200;
    case FANGPIN__V1__CODE__BAD_REQUEST: return 400;
    case FANGPIN__V1__CODE__FORBIDDEN: return 403;
    case FANGPIN__V1__CODE__NOT_FOUND:
    case FANGPIN__V1__CODE__UNKNOWN_OPERATION: return 404;
    case FANGPIN__V1__CODE__CONFLICT: return 409;
    case FANGPIN__V1__CODE__TOO_LARGE: return 413;
    case FANGPIN__V1__CODE__UNAVAILABLE: return 503;
    default: return 500;
    }
}

Fangpin__V1__Code fp_refusal_status(const char *code)
{
    const fp_refusal_t *r = fp_refusal_find(code);
    return r ? r->status : FANGPIN__V1__CODE__INTERNAL;
}

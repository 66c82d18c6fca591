/* leadfile_fuzz.c: libFuzzer target for a department's file as leads (common/leadfile.c), the
 * entry intake's desk gives every upload: any bytes, read under the built-in column profile.
 * Invariants: a refusal says why; a file that loads has its header and a reason for every line
 * refused here; the batch of all its lines packs only the lines not refused here, into a
 * SubmitLeads that decodes again with as many leads; the results file (CSV) starts with its BOM. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "leadfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fp_leadfile_t lf;
    memset(&lf, 0, sizeof lf);
    fp_profile_default(&lf.profile);
    fp_buf_t raw = {0};
    fp_buf_append(&raw, (const char *)data, size);
    if (fp_leadfile_load(&lf, "f", &raw) != 0) {
        if (!lf.err.len) abort();
    } else {
        if (!lf.header_ready) abort();
        size_t local = 0;
        for (size_t i = 0; i < lf.nrows; i++) {
            if (lf.rows[i].result == FP_LF_REJECTED && lf.rows[i].reason < 0) abort();
            local += lf.rows[i].reason >= 0;
        }
        uint32_t *map;
        uint8_t *req;
        size_t len;
        size_t n = fp_leadfile_request(&lf, "2026-10", "b", 0, lf.nrows, &map, &req, &len);
        if (n != lf.nrows - local) abort();
        if (n) {
            Fangpin__V1__IntakeRequest *rq = fangpin__v1__intake_request__unpack(NULL, len, req);
            if (!rq || !rq->submit_leads || rq->submit_leads->n_leads != n) abort();
            fangpin__v1__intake_request__free_unpacked(rq, NULL);
        }
        fp_outcome_t *out = fp_leadfile_outcomes(&lf);
        fp_buf_t csv = {0};
        fp_results_csv(&lf.sheet, out, lf.nrows, &csv);
        if (csv.len < 3 || memcmp(csv.data, "\xEF\xBB\xBF", 3) != 0) abort();
        fp_buf_free(&csv);
        free(out);
        free(map);
        free(req);
    }
    fp_leadfile_free(&lf);
    fp_buf_free(&raw);
    return 0;
}

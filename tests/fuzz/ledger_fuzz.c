/* ledger_fuzz.c: libFuzzer target for the rules of the ledger's census file (common/ledger.c),
 * everything `fangpinctl ledger import` does before the database: encoding detection
 * (UTF-8/GBK), CSV, the header, every line's checks and the household grouping. The input is
 * the file. Invariants: no crash, leak or blow-up; every line is accounted for, refused lines
 * never outnumber the lines read, every refused line has a reason with a code and both texts,
 * and a refused file says why. */
#include <stdint.h>
#include <stdlib.h>

#include "date.h"
#include "ledger.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fp_ledger_t lg;
    fp_ledger_init(&lg, fp_date_from_civil(2026, 11, 24));
    unsigned long line;
    char msg[1024];
    if (fp_ledger_read(&lg, (const char *)data, size, &line, msg, sizeof msg) == FP_OK) {
        fp_ledger_households(&lg);
        fp_ledger_refuse_households(&lg);
        if (lg.refused_lines < 0 || (size_t)lg.refused_lines > lg.nlines) abort();
        if (lg.refused_hh < 0 || (size_t)lg.refused_hh > lg.nhh) abort();
        for (size_t i = 0; i < lg.nlines; i++) {
            const fp_ledger_line_t *l = &lg.lines[i];
            if (l->reason >= (int32_t)lg.arena.nreasons) abort();
            if (l->reason < 0 && (l->hh < 0 || !lg.hhs[l->hh].has_data || lg.hhs[l->hh].refused)) abort();
            if (l->reason >= 0 &&
                (!lg.arena.reasons[l->reason].code[0] || !lg.arena.reasons[l->reason].zh[0] ||
                 !lg.arena.reasons[l->reason].en[0]))
                abort();
        }
    } else if (!msg[0]) {
        abort();
    }
    fp_ledger_free(&lg);
    return 0;
}

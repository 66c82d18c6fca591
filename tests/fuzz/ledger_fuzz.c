/* ledger_fuzz.c: libFuzzer target for the census (ledger) file reader of `fangpinctl ledger
 * import` (tools/fangpinctl/ledger.c), everything it does before the database: encoding
 * detection (UTF-8/GBK), CSV, the header, every line's checks and the household grouping.
 * The input is the file, passed through a memfd. Invariants: no crash, leak or blow-up; every
 * line is accounted for, and refused lines never outnumber the lines read. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../../tools/fangpinctl/ledger.c"

#include "ctl_stubs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int fd = memfd_create("ledger", 0);
    if (fd < 0) return 0;
    if (size && write(fd, data, size) != (ssize_t)size) {
        close(fd);
        return 0;
    }
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    s_im_t im = {.path = path, .today = fp_date_from_civil(2026, 11, 24)};
    if (s_load(&im) == 0) {
        s_households(&im);
        s_refuse_households(&im);
        if (im.refused_lines < 0 || (size_t)im.refused_lines > im.nlines) abort();
        if (im.refused_hh < 0 || (size_t)im.refused_hh > im.nhh) abort();
    }
    s_im_free(&im);
    close(fd);
    return 0;
}

/* regions_file_fuzz.c: libFuzzer target for the division-code file reader of `fangpinctl
 * regions import` (tools/fangpinctl/regions.c): gzip or plain CSV, the header that names the
 * level, and every row's checks, up to the COPY it would send (there is no database here, so
 * the COPY fails and the reader must simply stop). The input is the file, through a memfd.
 * Invariants: no crash, leak or blow-up; rows read are never more than the input's lines. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../../tools/fangpinctl/regions.c"

#include "ctl_stubs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int fd = memfd_create("regions", 0);
    if (fd < 0) return 0;
    if (size && write(fd, data, size) != (ssize_t)size) {
        close(fd);
        return 0;
    }
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    char *files[1] = {path};
    int level[1] = {0};
    long rows[1] = {0};
    s_import_t im = {.conn = NULL, .files = files, .nfiles = 1, .file_level = level, .file_rows = rows};
    s_file(&im, 0);
    long total = 0;
    for (int l = 0; l <= S_LEVELS; l++) total += im.read[l];
    if (total < 0 || rows[0] < 0) abort();
    free(im.codes.slots);
    fp_buf_free(&im.copy);
    close(fd);
    return 0;
}

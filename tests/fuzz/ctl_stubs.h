/* ctl_stubs.h: the fangpinctl functions a file reader's command links to but never reaches when
 * fuzzed (the targets include the command's .c file and call only its reader): no database, no
 * data key, no migration. */
#ifndef FP_FUZZ_CTL_STUBS_H
#define FP_FUZZ_CTL_STUBS_H
#include <stdbool.h>

#include "../../tools/fangpinctl/ctl.h"

PGconn *ctl_pg_connect(void) { return NULL; }
struct fp_seal *ctl_data_key(bool required, bool *failed)
{
    (void)required;
    *failed = true;
    return NULL;
}
int ctl_migrate(PGconn *c, const char *who, int *applied)
{
    (void)c, (void)who, (void)applied;
    return -1;
}
int ctl_pg_exec(const char *who, PGconn *c, const char *sql, const char *what)
{
    (void)who, (void)c, (void)sql, (void)what;
    return -1;
}

#endif

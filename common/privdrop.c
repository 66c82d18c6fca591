/* privdrop.c: see privdrop.h. */
#define _GNU_SOURCE
#include "privdrop.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

int fp_privdrop(const char *user)
{
    if (geteuid() != 0) return 0;
    if (!user || !*user) {
        fp_log_error("running as root: set FANGPIN_RUN_AS to the unprivileged user to run as");
        return 1;
    }
    errno = 0;
    struct passwd *pw = getpwnam(user);
    if (!pw) {
        fp_log_error("running as root, and the user to run as does not exist: create it "
                     "(useradd --system --no-create-home fangpin) or set FANGPIN_RUN_AS",
                     "user", user, "error", errno ? strerror(errno) : "no such user");
        return 1;
    }
    if (pw->pw_uid == 0) {
        fp_log_error("FANGPIN_RUN_AS names a user with uid 0: a service never runs as root", "user", user);
        return 1;
    }
    uid_t uid = pw->pw_uid;
    gid_t gid = pw->pw_gid;
    if (initgroups(user, gid) != 0 || setresgid(gid, gid, gid) != 0 || setresuid(uid, uid, uid) != 0) {
        fp_log_error("cannot switch to the user to run as", "user", user, "error", strerror(errno));
        return 1;
    }
    if (setuid(0) == 0 || geteuid() == 0) {
        fp_log_error("root could be regained after switching users: stopping", "user", user);
        return 1;
    }
    char ids[32];
    snprintf(ids, sizeof ids, "%u:%u", (unsigned)uid, (unsigned)gid);
    fp_log_info("started as root: now running as an unprivileged user", "user", user, "uid_gid", ids);
    return 0;
}

/* err.c: descriptions of fp_err_t values. */
#include "err.h"

const char *fp_strerror(int err)
{
    switch ((fp_err_t)err) {
    case FP_OK: return "ok";
    case FP_EINVAL: return "invalid input";
    case FP_ENOMEM: return "out of memory";
    case FP_EIO: return "input/output error";
    case FP_ERANGE: return "value out of range";
    case FP_ECHECKSUM: return "check digit mismatch";
    case FP_EDATE: return "invalid date";
    case FP_ENOTFOUND: return "not found";
    case FP_EDB: return "database error";
    case FP_EDBDOWN: return "database unavailable";
    case FP_EZMQ: return "messaging error";
    case FP_ETOOBIG: return "too large";
    case FP_EFORBIDDEN: return "forbidden";
    case FP_ECONFIG: return "bad configuration";
    case FP_ELEGACY: return "legacy 15-digit ID number";
    case FP_EAGAIN: return "try again";
    case FP_ECONFLICT: return "conflict";
    case FP_ERR_MIN_: break;
    }
    return "unknown error";
}

/* err.h: the one error enum of libfangpin. Functions return fp_err_t (FP_OK is 0);
 * errno, ZeroMQ and libpq failures are mapped to it at the boundary. Never stored globally. */
#ifndef FP_ERR_H
#define FP_ERR_H

typedef enum {
    FP_OK = 0,
    FP_EINVAL = -1, /* malformed input */
    FP_ENOMEM = -2,
    FP_EIO = -3,       /* system call or file failure */
    FP_ERANGE = -4,    /* value outside its bounds */
    FP_ECHECKSUM = -5, /* check digit does not match */
    FP_EDATE = -6,     /* not a valid calendar date */
    FP_ENOTFOUND = -7,
    FP_EDB = -8,     /* PostgreSQL reported an error */
    FP_EDBDOWN = -9, /* PostgreSQL unreachable */
    FP_EZMQ = -10,   /* ZeroMQ call failed */
    FP_ETOOBIG = -11,
    FP_EFORBIDDEN = -12,
    FP_ECONFIG = -13, /* bad configuration value */
    FP_ELEGACY = -14, /* 15-digit legacy ID number (accepted only through fp_idcard_upgrade15) */
    FP_EAGAIN = -15,  /* try again later */
    FP_ECONFLICT = -16,
    FP_ERR_MIN_ = -17
} fp_err_t;

/* A short English description of an error; never NULL. */
const char *fp_strerror(int err);

#endif

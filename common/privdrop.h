/* privdrop.h: a service started by root gives up root before it opens anything to the network.
 * It reads what only root may read (its secret certificate) first, then becomes the
 * unprivileged user FANGPIN_RUN_AS for the rest of its life, as nginx or PostgreSQL do. */
#ifndef FP_PRIVDROP_H
#define FP_PRIVDROP_H

/* Does nothing unless the process runs as root. As root, switches the real, effective and saved
 * user and group ids (and the supplementary groups) to those of the user `user` for good, and
 * checks that root cannot be regained. Returns 0, or 1 after logging why (no such user, a user
 * with uid 0, a failed switch): the service must then stop. */
int fp_privdrop(const char *user);

#endif

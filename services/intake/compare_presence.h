/* compare_presence.h: the county's present members held by intake for the batches of a large
 * comparison answer file (compare_presence.c; docs/compare.md, "Who is in the ledger"). */
#ifndef INTAKE_COMPARE_PRESENCE_H
#define INTAKE_COMPARE_PRESENCE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mem.h"
#include "intake.h"
#include "seal.h"

/* A batch of a file of several (SubmitCompareAnswers.defer_rules) of county: the county's members
 * are read if they are not held, or were read too long ago, and no other county's are in use. */
void intake_presence_want(intake_t *in, const char *county);
/* The members of county when they are held and read to the end, otherwise NULL. */
const intake_presence_t *intake_presence_ready(intake_t *in, const char *county);
/* The snapshot they were read in (pg_snapshot's text), for compare_answers_apply. */
const char *intake_presence_snapshot(const intake_presence_t *p);
bool intake_presence_has(const intake_presence_t *p, const uint8_t h[FP_SEAL_HMAC_LEN]);
/* The batch's n persons (their keyed hashes; one repeated counts once) looked up in p: how many
 * are present; the others into out as a text[] literal of their hex in order ("{}": none), as
 * compare_answers_apply gives them. */
uint32_t intake_presence_check(const intake_presence_t *p, const uint8_t (*h)[FP_SEAL_HMAC_LEN], size_t n,
                               fp_buf_t *out);
/* The database found the ledger changed since they were read: dropped (read again by the next
 * batch that wants them). */
void intake_presence_stale(intake_t *in, const char *county);
/* Dropped once unused for a minute (the service's tick), and when the service stops. */
void intake_presence_tick(intake_t *in);
void intake_presence_stop(intake_t *in);

#endif

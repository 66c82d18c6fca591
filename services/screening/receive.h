/* receive.h: screening's receipt of accepted leads (receive.c). */
#ifndef SCREEN_RECEIVE_H
#define SCREEN_RECEIVE_H
#include <stdbool.h>
#include <stdint.h>

#include "service.h"
#include "zsock.h"

typedef struct {
    fp_service_t *svc;
    void *pull;
    fp_zsock_t *zs;
    char worker[96]; /* host:pid, recorded in leads.screened_by */
    bool claiming, again;
    uint64_t last_scan;
    uint64_t received;
    fp_counter_t *c_received;
} screen_recv_t;

int screen_recv_start(screen_recv_t *r, fp_service_t *svc);
void screen_recv_ready(screen_recv_t *r);
void screen_recv_tick(screen_recv_t *r);
void screen_recv_stop(screen_recv_t *r);

#endif

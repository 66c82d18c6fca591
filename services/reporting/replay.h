/* replay.h: the Replay operation of the reporting service (the Clone pattern's snapshot). */
#ifndef REPORT_REPLAY_H
#define REPORT_REPLAY_H
#include "fangpin/v1/reporting.pb-c.h"
#include "service.h"

/* Answers in->replay (takes in and frees it when it has answered). */
void report_replay(fp_service_t *svc, fp_request_t *req, ProtobufCMessage *m, void *arg);
/* A region prefix is 0 to 12 digits. */
bool report_prefix_valid(const char *prefix);

#endif

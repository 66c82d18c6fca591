/* dash.c: the dashboard's paths on the reporting service's HTTP port (dash.h): /dash/api/... to
 * dash_api.c, the page's files from the binary. */
#include "dash.h"

#include <string.h>

#include "web.h"

extern const fp_web_file_t fp_web_dash[]; /* web/dash, web/common, web/vendor/echarts (CMakeLists.txt) */

static bool s_on; /* FANGPIN_REPORTING_DASH */

int report_dash_start(fp_service_t *svc)
{
    s_on = fp_config_bool(fp_service_config(svc), "FANGPIN_REPORTING_DASH");
    return 0;
}

bool report_dash_http(fp_service_t *svc, fp_http_req_t *req)
{
    const char *path = fp_http_req_path(req);
    if (!s_on || strncmp(path, "/dash", 5) != 0 || (path[5] != '\0' && path[5] != '/')) return false;
    if (strncmp(path, "/dash/api/", 10) == 0) return report_dash_api(svc, req, path + 10);
    return fp_web_serve(req, "/dash/", fp_web_dash);
}

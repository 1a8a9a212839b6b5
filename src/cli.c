#include "cli.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

int dnn_parse_long(const char *text, long min, long max, long *out)
{
    if (!text || !*text)
        return 1;
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (errno != 0 || *end != '\0' || end == text || v < min || v > max)
        return 1;
    *out = v;
    return 0;
}

int dnn_parse_double(const char *text, double *out)
{
    if (!text || !*text)
        return 1;
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (errno != 0 || *end != '\0' || end == text || !isfinite(v))
        return 1;
    *out = v;
    return 0;
}

int dnn_parse_long_list(const char *text, long min, long max, long *out, int max_count)
{
    if (!text || !*text)
        return -1;
    char buf[1024];
    if (strlen(text) >= sizeof buf)
        return -1;
    strcpy(buf, text);
    int n = 0;
    char *save = NULL;
    for (char *item = strtok_r(buf, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
        if (n == max_count || dnn_parse_long(item, min, max, &out[n]) != 0)
            return -1;
        n++;
    }
    /* strtok_r skips empty items: "1,,2" and "1," must not pass */
    size_t len = strlen(text);
    if (text[0] == ',' || text[len - 1] == ',' || strstr(text, ",,"))
        return -1;
    return n;
}

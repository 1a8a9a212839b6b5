#include "programs/cli.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
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

static int listed(const char *name, const char *const *list)
{
    for (; *list; list++)
        if (strcmp(name, *list) == 0)
            return 1;
    return 0;
}

int dnn_read_option(int argc, char **argv, int *i, const char *const *switches,
                    const char *const *valued, char *name, size_t name_size, const char **value,
                    char *err, size_t err_size)
{
    const char *arg = argv[*i];
    *value = NULL;
    if (listed(arg, switches)) {
        snprintf(name, name_size, "%s", arg);
        return 0;
    }
    if (strncmp(arg, "--", 2) != 0)
        return snprintf(err, err_size, "unexpected argument '%s' (see --help)", arg), 2;
    const char *eq = strchr(arg, '=');
    size_t len = eq ? (size_t)(eq - arg) : strlen(arg);
    if (len >= name_size)
        return snprintf(err, err_size, "unknown option '%.40s...'", arg), 2;
    memcpy(name, arg, len);
    name[len] = '\0';
    if (!listed(name, valued))
        return snprintf(err, err_size, "unknown option '%s' (see --help)", name), 2;
    if (eq) {
        *value = eq + 1;
    } else if (*i + 1 < argc) {
        *value = argv[++*i];
        if (strncmp(*value, "--", 2) == 0)
            return snprintf(err, err_size,
                            "%s needs a value, got the option '%s' (write %s=VALUE for a value "
                            "that starts with --)",
                            name, *value, name),
                   2;
    } else {
        return snprintf(err, err_size, "%s needs a value (see --help)", name), 2;
    }
    return 0;
}

int dnn_parse_options(int argc, char **argv, const dnn_option_set *set, void *ctx, char *err,
                      size_t err_size)
{
    char name[64];
    size_t name_size = set->name_size < sizeof name ? set->name_size : sizeof name;
    for (int i = 1; i < argc; i++) {
        const char *value;
        int rc = dnn_read_option(argc, argv, &i, set->switches, set->valued, name, name_size,
                                 &value, err, err_size);
        if (rc == 0)
            rc = set->apply(ctx, name, value, err, err_size);
        if (rc != 0)
            return rc;
    }
    return 0;
}

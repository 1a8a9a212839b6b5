#ifndef DNN_CLI_H
#define DNN_CLI_H

#include <stddef.h>

/* Strict parsers for command-line values: the whole string must be a number in
 * range (no trailing text, no overflow). Return 0 on success. */
int dnn_parse_long(const char *text, long min, long max, long *out);
int dnn_parse_double(const char *text, double *out); /* finite values only */
/* "a,b,c": up to max_count longs in [min, max]; returns the count, or -1. */
int dnn_parse_long_list(const char *text, long min, long max, long *out, int max_count);

/* Reads the option at argv[*i] into name (name_size bytes) and *value. A switch
 * (from the NULL-terminated list `switches`) has no value (*value = NULL); a flag
 * from `valued` takes one, as --flag=VALUE or as the next argument, which must not
 * start with "--" (a forgotten value: "--save --iters 5"; --flag=--x still passes
 * one). *i is left on the last argument used. Returns 0, or 2 with a message naming
 * the option in err: an unknown option, a stray argument or a missing value. */
int dnn_read_option(int argc, char **argv, int *i, const char *const *switches,
                    const char *const *valued, char *name, size_t name_size, const char **value,
                    char *err, size_t err_size);

#endif

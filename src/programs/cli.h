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

/* Applies one option read by dnn_parse_options to ctx; value is NULL for a switch.
 * Returns 0, or non-zero with a message in err, which ends the parsing. */
typedef int (*dnn_option_fn)(void *ctx, const char *name, const char *value, char *err,
                             size_t err_size);

/* A program's options, for dnn_parse_options. */
typedef struct {
    const char *const *switches; /* NULL-terminated: the options without a value */
    const char *const *valued;   /* NULL-terminated: the options that take one */
    size_t name_size;            /* room for a name and its NUL, at most 64: a longer
                                  * option is unknown */
    dnn_option_fn apply;
} dnn_option_set;

/* Reads argv[1..] in order with dnn_read_option and hands each option to set->apply.
 * Returns 0, or the first non-zero return of either (2 from dnn_read_option) with its
 * message in err. */
int dnn_parse_options(int argc, char **argv, const dnn_option_set *set, void *ctx, char *err,
                      size_t err_size);

#endif

#ifndef DNN_CLI_H
#define DNN_CLI_H

/* Strict parsers for command-line values: the whole string must be a number in
 * range (no trailing text, no overflow). Return 0 on success. */
int dnn_parse_long(const char *text, long min, long max, long *out);
int dnn_parse_double(const char *text, double *out); /* finite values only */
/* "a,b,c": up to max_count longs in [min, max]; returns the count, or -1. */
int dnn_parse_long_list(const char *text, long min, long max, long *out, int max_count);

#endif

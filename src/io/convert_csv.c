/* CSV to the course's HDF5 layout, one line at a time: a row is one example, the label
 * column its label (0/1 or true/false), every other column a feature (a finite number);
 * without labels (out->no_labels) every column is a feature.
 * Memory: the longest line and one block of examples. Fields may be quoted ("a,b" and
 * "say ""hi""" as in RFC 4180) but may not span lines; blanks around a field and blank
 * lines are ignored; a UTF-8 byte order mark before the first line is skipped. */
#include "io/convert.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "io/file_checks.h"

typedef struct {
    const char *path;
    FILE *f;
    char delimiter;
    char *line;       /* the current line, split in place into fields */
    size_t line_cap;
    long line_no;     /* of the current line, from 1 */
    char **fields;    /* n_fields pointers into line */
    int n_fields, fields_cap;
    dnn_error *err;
} csv_reader;

/* "PATH line L" and then the formatted text, which starts with its own separator:
 * ": why" or ", column 3 ('x'): why". */
__attribute__((format(printf, 3, 4))) static dnn_status fail(csv_reader *r, dnn_status st,
                                                             const char *fmt, ...)
{
    char *msg = r->err->message;
    size_t size = sizeof r->err->message;
    int used = r->line_no > 0 ? snprintf(msg, size, "%s line %ld", r->path, r->line_no)
                              : snprintf(msg, size, "%s", r->path);
    if (used >= 0 && (size_t)used < size) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg + used, size - (size_t)used, fmt, ap);
        va_end(ap);
    }
    r->err->bad_index = -1;
    return st;
}

/* "PATH line 17, column 3 ('petal'): WHY", the field cut to 40 characters. */
static dnn_status bad_field(csv_reader *r, int column, const char *why)
{
    const char *text = r->fields[column];
    if (!*text)
        return fail(r, DNN_ERR_DATA, ", column %d: empty (a missing value?)", column + 1);
    return fail(r, DNN_ERR_DATA, ", column %d ('%.40s%s'): %s", column + 1, text,
                strlen(text) > 40 ? "..." : "", why);
}

static int is_blank(char c, char delimiter)
{
    return (c == ' ' || c == '\t') && c != delimiter;
}

static int add_field(csv_reader *r, char *field)
{
    if (r->n_fields == r->fields_cap) {
        int cap = r->fields_cap ? 2 * r->fields_cap : 64;
        char **grown = cap > r->fields_cap ? realloc(r->fields, (size_t)cap * sizeof *grown)
                                           : NULL;
        if (!grown)
            return 0;
        r->fields = grown;
        r->fields_cap = cap;
    }
    r->fields[r->n_fields++] = field;
    return 1;
}

/* A quoted field starting at *p (the opening quote), unquoted in place; *p ends past
 * the closing quote. 0 when the quote is not closed on this line. */
static int unquote(char **p)
{
    char *w = *p, *q = *p + 1;
    for (;; q++) {
        if (*q == '\0')
            return 0;
        if (*q == '"' && q[1] == '"')
            q++;
        else if (*q == '"')
            break;
        *w++ = *q;
    }
    *w = '\0'; /* w < q: the closing quote is already read */
    *p = q + 1;
    return 1;
}

/* Splits r->line into r->fields in place. */
static dnn_status split(csv_reader *r)
{
    char d = r->delimiter, *p = r->line;
    r->n_fields = 0;
    for (;;) {
        while (is_blank(*p, d))
            p++;
        char *field = p, *end = NULL; /* end: where the field's text stops */
        if (*p == '"') {
            if (!unquote(&p)) /* ends the field itself */
                return fail(r, DNN_ERR_DATA,
                            ", column %d: a quote that is not closed on this line (quoted "
                            "fields may not span lines)",
                            r->n_fields + 1);
            while (is_blank(*p, d))
                p++;
            if (*p != d && *p != '\0')
                return fail(r, DNN_ERR_DATA, ", column %d: text after the closing quote",
                            r->n_fields + 1);
        } else {
            while (*p != d && *p != '\0')
                p++;
            end = p;
            while (end > field && is_blank(end[-1], d))
                end--;
        }
        char next = *p; /* the delimiter or the end of the line */
        if (end)
            *end = '\0'; /* end <= p: may overwrite the delimiter, kept in next */
        if (!add_field(r, field))
            return fail(r, DNN_ERR_NOMEM, ": out of memory for %d fields", r->n_fields + 1);
        if (next == '\0')
            return DNN_OK;
        p++;
    }
}

/* The next line that is not blank, split into fields: 1; at the end: 0; else -1. */
static int next_row(csv_reader *r, dnn_status *st)
{
    for (;;) {
        errno = 0;
        ssize_t len = getline(&r->line, &r->line_cap, r->f);
        if (len < 0) {
            if (ferror(r->f)) {
                r->line_no++;
                *st = errno == ENOMEM ? fail(r, DNN_ERR_NOMEM, ": out of memory for the line")
                                      : fail(r, DNN_ERR_IO, ": cannot read: %s",
                                             strerror(errno ? errno : EIO));
                return -1;
            }
            return 0;
        }
        r->line_no++;
        if (strlen(r->line) != (size_t)len) {
            *st = fail(r, DNN_ERR_DATA, ": a NUL byte: not a text file");
            return -1;
        }
        while (len > 0 && (r->line[len - 1] == '\n' || r->line[len - 1] == '\r'))
            r->line[--len] = '\0';
        if (r->line_no == 1 && strncmp(r->line, "\xEF\xBB\xBF", 3) == 0)
            memmove(r->line, r->line + 3, (size_t)len - 2);
        const char *c = r->line;
        while (*c == ' ' || *c == '\t' || *c == '\r')
            c++;
        if (*c == '\0')
            continue;
        *st = split(r);
        return *st == DNN_OK ? 1 : -1;
    }
}

/* 1 when the whole of s is a number (strtod: also inf and nan) */
static int parse_number(const char *s, double *v)
{
    char *end;
    double x = strtod(s, &end);
    if (end == s || *end != '\0')
        return 0;
    *v = x;
    return 1;
}

/* 1 when s is a label: a number equal to 0 or 1, or true/false in any case */
static int parse_label(const char *s, uint8_t *y)
{
    double v;
    if (strcasecmp(s, "true") == 0 || strcasecmp(s, "false") == 0) {
        *y = strcasecmp(s, "true") == 0;
        return 1;
    }
    if (!parse_number(s, &v) || (v != 0.0 && v != 1.0))
        return 0;
    *y = v == 1.0;
    return 1;
}

/* A --label that is a column number: 1 and the number in *n. */
static int label_number(const char *label, long *n)
{
    char *end;
    errno = 0;
    long v = label ? strtol(label, &end, 10) : 0;
    if (!label || errno != 0 || end == label || *end != '\0')
        return 0;
    *n = v;
    return 1;
}

/* The label column (from 0) for a --label that is a number or NULL (the last). */
static dnn_status label_by_number(csv_reader *r, const char *label, int n, int *column)
{
    long v = -1;
    if (label)
        label_number(label, &v);
    if (v >= 1 && v <= n)
        *column = (int)v - 1;
    else if (v < 0 && v >= -(long)n)
        *column = n + (int)v;
    else
        return fail(r, DNN_ERR_ARG,
                    ": --label %s: the rows have %d columns (number them 1 to %d, or -1 for "
                    "the last)",
                    label, n, n);
    return DNN_OK;
}

/* The label column (from 0) named label in the header row (the current fields). */
static dnn_status label_by_name(csv_reader *r, const char *label, int *column)
{
    int found = -1, twice = 0;
    for (int j = 0; j < r->n_fields; j++)
        if (strcmp(r->fields[j], label) == 0) {
            twice = found >= 0;
            found = found < 0 ? j : found;
        }
    if (twice)
        return fail(r, DNN_ERR_ARG, ": --label '%s': two columns have that name; give its "
                    "number instead", label);
    if (found < 0) {
        char names[200] = "";
        for (int j = 0; j < r->n_fields && strlen(names) < 150; j++)
            snprintf(names + strlen(names), sizeof names - strlen(names), "%s'%.40s'",
                     j ? ", " : "", r->fields[j]);
        return fail(r, DNN_ERR_ARG, ": --label '%s': no such column in the header (%s%s)",
                    label, names, strlen(names) >= 150 ? ", ..." : "");
    }
    *column = found;
    return DNN_OK;
}

/* The first row is a header when one of its fields is neither empty (a missing value),
 * a number nor, in the label column, true/false. */
static int looks_like_header(const csv_reader *r, int label_column)
{
    for (int j = 0; j < r->n_fields; j++) {
        double v;
        uint8_t y;
        if (r->fields[j][0] && !parse_number(r->fields[j], &v) &&
            !(j == label_column && parse_label(r->fields[j], &y)))
            return 1;
    }
    return 0;
}

/* Reads the first row and settles the header, the label column (-1 without labels) and
 * the column count. */
static dnn_status read_first_row(csv_reader *r, const dnn_csv_options *opts, int no_labels,
                                 int *n, int *label_column, int *header,
                                 dnn_convert_summary *summary)
{
    dnn_status st = DNN_OK;
    int got = next_row(r, &st);
    if (got == 0)
        return fail(r, DNN_ERR_DATA, ": empty file: no rows");
    if (got < 0)
        return st;
    *n = r->n_fields;
    *label_column = -1;
    if (no_labels) {
        if (opts->label)
            return fail(r, DNN_ERR_ARG, ": --label and --no-labels: give one");
        *header = opts->header >= 0 ? opts->header : looks_like_header(r, -1);
        return DNN_OK;
    }
    if (*n < 2) {
        const char *other = strchr(r->fields[0], ';')    ? "';'"
                            : strchr(r->fields[0], '\t') ? "tab"
                            : strchr(r->fields[0], ',')  ? "','"
                            : strchr(r->fields[0], '|')  ? "'|'"
                                                         : NULL;
        return fail(r, DNN_ERR_DATA, ": one column; a row needs features and a label%s%s%s",
                    other ? " (try --delimiter " : "", other ? other : "", other ? ")" : "");
    }
    long number;
    int by_name = opts->label && !label_number(opts->label, &number);
    if (by_name && opts->header == 0)
        return fail(r, DNN_ERR_ARG, ": --label '%s' is a column name, but --no-header says "
                    "there is no header row; give the column's number", opts->label);
    if (!by_name && (st = label_by_number(r, opts->label, *n, label_column)) != DNN_OK)
        return st;
    *header = opts->header >= 0 ? opts->header : by_name || looks_like_header(r, *label_column);
    if (by_name && (st = label_by_name(r, opts->label, label_column)) != DNN_OK)
        return st;
    if (*header)
        snprintf(summary->labels, sizeof summary->labels, "column %d ('%.100s')",
                 *label_column + 1, r->fields[*label_column]);
    else
        snprintf(summary->labels, sizeof summary->labels, "column %d", *label_column + 1);
    return DNN_OK;
}

/* One row into x (its features) and *y (untouched when label_column is -1). */
static dnn_status parse_row(csv_reader *r, int label_column, dnn_convert_type type, double *x,
                            uint8_t *y)
{
    for (int j = 0, k = 0; j < r->n_fields; j++) {
        const char *why = NULL;
        if (j == label_column) {
            if (!parse_label(r->fields[j], y))
                why = "the label is not 0 or 1 (nor true/false)";
        } else if (!parse_number(r->fields[j], &x[k])) {
            why = "not a number";
        } else {
            why = dnn_convert_bad_feature(x[k++], type);
        }
        if (why)
            return bad_field(r, j, why);
    }
    return DNN_OK;
}

/* Every data row, block by block, into the sink. */
static dnn_status convert_rows(csv_reader *r, int n, int label_column, int first_is_data,
                               long first_line, dnn_convert_sink *sink, dnn_convert_type type,
                               long *examples)
{
    size_t features = (size_t)n - (label_column >= 0);
    long rows = dnn_convert_block_rows(features), filled = 0;
    double *X = malloc((size_t)rows * features * sizeof *X);
    uint8_t *Y = malloc((size_t)rows);
    dnn_status st = X && Y ? DNN_OK : fail(r, DNN_ERR_NOMEM, ": out of memory for a block");
    int got = first_is_data;
    if (st == DNN_OK && !got)
        got = next_row(r, &st);
    while (st == DNN_OK && got > 0) {
        if (r->n_fields != n) {
            st = fail(r, DNN_ERR_DATA, ": %d fields, expected %d as on line %ld", r->n_fields, n,
                      first_line);
            break;
        }
        st = parse_row(r, label_column, type, X + (size_t)filled * features, Y + filled);
        if (st == DNN_OK && ++filled == rows) {
            st = dnn_convert_sink_append(sink, X, Y, filled, r->err);
            *examples += filled;
            filled = 0;
        }
        if (st == DNN_OK)
            got = next_row(r, &st);
    }
    if (st == DNN_OK && filled > 0) {
        st = dnn_convert_sink_append(sink, X, Y, filled, r->err);
        *examples += filled;
    }
    free(X);
    free(Y);
    return st;
}

dnn_status dnn_convert_csv(const char *csv_path, const dnn_csv_options *opts,
                           const dnn_convert_output *out, dnn_convert_summary *summary,
                           dnn_error *err)
{
    csv_reader r = {.path = csv_path, .delimiter = opts->delimiter, .err = err};
    *summary = (dnn_convert_summary){0};
    dnn_status st = dnn_check_input_file(csv_path, NULL, err);
    if (st != DNN_OK)
        return st;
    if (!(r.f = fopen(csv_path, "r")))
        return fail(&r, DNN_ERR_IO, ": cannot open: %s", strerror(errno));
    int n = 0, label_column = -1, header = 0;
    dnn_convert_type type = out->type == DNN_CONVERT_UINT8 ? DNN_CONVERT_UINT8
                                                           : DNN_CONVERT_FLOAT64;
    dnn_convert_sink *sink = NULL;
    st = read_first_row(&r, opts, out->no_labels, &n, &label_column, &header, summary);
    long first_line = r.line_no;
    uint64_t features = (uint64_t)n - (label_column >= 0);
    if (st == DNN_OK)
        st = dnn_convert_sink_open(&sink, out, 1, &features, 0, type, err);
    if (st == DNN_OK)
        st = convert_rows(&r, n, label_column, !header, first_line, sink, type,
                          &summary->examples);
    if (st == DNN_OK && summary->examples == 0) {
        r.line_no = 0;
        st = fail(&r, DNN_ERR_DATA, ": a header row and no examples");
    }
    dnn_status closed = dnn_convert_sink_close(&sink, st == DNN_OK, err);
    st = st == DNN_OK ? closed : st;
    summary->features = (long)features;
    summary->type = type;
    fclose(r.f);
    free(r.line);
    free(r.fields);
    return st;
}

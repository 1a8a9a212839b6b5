/* dnn-train's --metrics file and progress line (metrics.h). */
#include "programs/metrics.h"

#include <errno.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "comm/comm.h"

enum { PROGRESS_EVERY_MS = 500 }; /* the progress line's redraws, at most this often */

/* Whether to show the progress line: DNN_PROGRESS=1 or 0 decides; unset, when stdout
 * is a terminal, unless Open MPI's mpirun started us: it gives every rank's stdout a
 * pseudo-terminal of its own, whatever its own stdout is (launch/run, which knows its
 * own, passes DNN_PROGRESS=1 when that is a terminal). */
static int progress_wanted(void)
{
    const char *force = getenv("DNN_PROGRESS");
    if (force && *force)
        return strcmp(force, "0") != 0;
    return isatty(STDOUT_FILENO) && !getenv("OMPI_COMM_WORLD_SIZE");
}

int metrics_open(run_metrics *m, const char *path, char *msg, size_t size)
{
    memset(m, 0, sizeof *m);
    m->path = path;
    m->progress = dnn_comm_rank() == 0 && progress_wanted();
    const char *after = getenv("DNN_PROGRESS_AFTER"); /* tests: seconds before it shows */
    m->progress_after = after ? strtod(after, NULL) : 3.0;
    if (!path || dnn_comm_rank() != 0)
        return 1;
    struct stat st;
    /* a FIFO would block the open, a device or directory is no place for records */
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
        snprintf(msg, size, "--metrics %s: not a regular file", path);
        return 0;
    }
    m->file = fopen(path, "a");
    if (!m->file) {
        snprintf(msg, size, "--metrics %s: %s", path, strerror(errno));
        return 0;
    }
    return 1;
}

void metrics_close(run_metrics *m)
{
    metrics_clear_progress(m);
    if (m->file)
        fclose(m->file);
    m->file = NULL;
}

void metrics_start(run_metrics *m, long first, long steps)
{
    m->start = m->printed_at = dnn_comm_wtime();
    m->shown_at = m->start - PROGRESS_EVERY_MS * 1e-3; /* the first may come at once */
    m->first_step = m->next_step = first;
    m->steps = steps;
    m->examples = 0;
    m->compute = m->combine = m->collective = 0.0;
}

/* "1h02m", "3m05s", "42s": a time left, to the second. */
static void format_duration(double seconds, char *buf, size_t size)
{
    long s = (long)(seconds + 0.5);
    if (s >= 3600)
        snprintf(buf, size, "%ldh%02ldm", s / 3600, s / 60 % 60);
    else if (s >= 60)
        snprintf(buf, size, "%ldm%02lds", s / 60, s % 60);
    else
        snprintf(buf, size, "%lds", s);
}

static void show_progress(run_metrics *m, long i, double cost, double now)
{
    long done = i + 1 - m->first_step, left = m->steps - (i + 1);
    double elapsed = now - m->start, rate = (double)done / elapsed;
    char eta[32];
    format_duration((double)left / rate, eta, sizeof eta);
    /* \r and erase to the line's end: the line is redrawn in place */
    printf("\r\033[Kstep %ld/%ld  cost %.6g  %.3g steps/s  ETA %s", i + 1, m->steps, cost, rate,
           eta);
    fflush(stdout);
    m->progress_shown = 1;
    m->shown_at = now;
}

void metrics_step(run_metrics *m, long i, double cost, long examples, double compute,
                  double combine, double collective)
{
    m->examples += examples;
    m->compute += compute;
    m->combine += combine;
    m->collective += collective;
    if (!m->progress || i + 1 >= m->steps)
        return;
    double now = dnn_comm_wtime();
    if (now - m->start >= m->progress_after && now - m->shown_at >= PROGRESS_EVERY_MS * 1e-3)
        show_progress(m, i, cost, now);
}

void metrics_clear_progress(run_metrics *m)
{
    if (!m->progress_shown)
        return;
    printf("\r\033[K");
    fflush(stdout);
    m->progress_shown = 0;
}

/* One "name": value member, to the last bit; JSON has no NaN or Inf: null. */
static void put_number(FILE *f, const char *name, double value)
{
    if (isfinite(value))
        fprintf(f, ", \"%s\": %.17g", name, value);
    else
        fprintf(f, ", \"%s\": null", name);
}

/* One "name": {"min": .., "avg": .., "max": ..} member. */
static void put_spread(FILE *f, const char *name, const double *lo_avg_hi)
{
    fprintf(f, ", \"%s\": {\"min\": %.6g, \"avg\": %.6g, \"max\": %.6g}", name, lo_avg_hi[0],
            lo_avg_hi[1], lo_avg_hi[2]);
}

/* Collective: min, avg, max over ranks of compute, combine, wait and collective seconds
 * since the previous record. A rank's wait is its collective seconds less the least of
 * any rank's: the rank that came last to each collective waited least, so what the
 * others spent beyond it was waiting for slower ranks (an estimate: it takes the last
 * rank to be the same one each time). Its combine is then its combining without that
 * wait. */
static void spread_over_ranks(const run_metrics *m, double out[4][3])
{
    double least = -dnn_comm_max_double(-m->collective);
    double mine[4] = {m->compute, m->combine - (m->collective - least),
                      m->collective - least, m->collective};
    double hi[4], neg_lo[4], sum[4];
    for (int k = 0; k < 4; k++) {
        hi[k] = mine[k];
        neg_lo[k] = -mine[k];
        sum[k] = mine[k];
    }
    dnn_comm_max_doubles(hi, 4);
    dnn_comm_max_doubles(neg_lo, 4);
    dnn_comm_sum_doubles(sum, 4);
    for (int k = 0; k < 4; k++) {
        out[k][0] = -neg_lo[k];
        out[k][1] = sum[k] / dnn_comm_size();
        out[k][2] = hi[k];
    }
}

int metrics_print(run_metrics *m, const metrics_line *line)
{
    if (!m->path)
        return 0;
    double spread[4][3];
    spread_over_ranks(m, spread);
    double now = dnn_comm_wtime(), elapsed = now - m->start, interval = now - m->printed_at;
    long steps = line->step + 1 - m->next_step;
    long examples = m->examples;
    m->printed_at = now;
    m->next_step = line->step + 1;
    m->examples = 0;
    m->compute = m->combine = m->collective = 0.0;
    if (!m->file)
        return 0;
    FILE *f = m->file;
    if (line->batches)
        fprintf(f, "{\"epoch\": %ld, \"step\": %ld", line->iteration, line->step);
    else
        fprintf(f, "{\"iteration\": %ld", line->iteration);
    put_number(f, "cost", line->cost);
    if (line->has_test) {
        put_number(f, "test_cost", line->test_cost);
        put_number(f, "test_accuracy", line->test_accuracy);
    }
    fprintf(f, ", \"ranks\": %d, \"threads\": %d, \"elapsed_s\": %.6g, \"steps\": %ld",
            dnn_comm_size(), omp_get_max_threads(), elapsed, steps);
    fprintf(f, ", \"interval_s\": %.6g, \"examples_per_s\": %.6g", interval,
            interval > 0 ? (double)examples / interval : 0.0);
    static const char *const names[4] = {"compute_s", "combine_s", "wait_s", "collective_s"};
    for (int k = 0; k < 4; k++)
        put_spread(f, names[k], spread[k]);
    fputs("}\n", f);
    if (fflush(f) == 0 && !ferror(f))
        return 0;
    fprintf(stderr, "dnn-train: warning: --metrics %s: writing failed (%s); no more records\n",
            m->path, strerror(errno));
    fclose(f);
    m->file = NULL;
    return 1;
}

#ifndef DNN_PROGRAMS_METRICS_H
#define DNN_PROGRAMS_METRICS_H

/* What dnn-train tells the people watching a run, besides its printed lines:
 * --metrics FILE.jsonl, one JSON object per printed line (written by rank 0, appended
 * and flushed line by line), and on a terminal a progress line updated in place.
 * docs/DESIGN.md ("Metrics and progress") lists the fields. */

#include <stdio.h>

typedef struct {
    FILE *file;            /* rank 0's --metrics file, NULL elsewhere or without it */
    const char *path;      /* --metrics, on every rank (NULL: none) */
    int progress;          /* rank 0 shows the progress line (stdout is a terminal) */
    int progress_shown;    /* a progress line is on the screen now */
    double progress_after; /* seconds into the loop before the line first shows */
    /* wall times: the loop's start, the last progress line, the last record */
    double start, shown_at, printed_at;
    long first_step, steps; /* the loop's steps: first .. steps - 1 */
    long next_step;         /* the first step after the last record */
    /* since the last record (or the start): training examples over all ranks, and
     * this rank's seconds (dnn_trainer_last_times): forward and backward; combining
     * (threads, processes, the update); of it, collectives */
    long examples;
    double compute, combine, collective;
} run_metrics;

/* Collective: opens path for appending on rank 0 (NULL: no file). A path that is not a
 * regular file, or cannot be opened, gives 0 with a message in msg on rank 0, which the
 * caller agrees on with the other ranks before any work. Nothing existing is changed. */
int metrics_open(run_metrics *m, const char *path, char *msg, size_t size);
void metrics_close(run_metrics *m);

/* Local: the loop is about to run steps first .. steps - 1. */
void metrics_start(run_metrics *m, long first, long steps);

/* Local: after each step (i its index, cost the cost it computed, examples its batch's
 * over all ranks). Adds the step's times; rank 0 redraws the progress line now and then. */
void metrics_step(run_metrics *m, long i, double cost, long examples, double compute,
                  double combine, double collective);

/* Rank 0: takes the progress line off the screen, before other output. */
void metrics_clear_progress(run_metrics *m);

/* What one printed line says, for its JSON object. */
typedef struct {
    long iteration; /* the full batch's iteration, or the epoch with mini-batches */
    long step;      /* the last step taken (the same as iteration with the full batch) */
    int batches;    /* mini-batches: the object has "epoch" and "step", else "iteration" */
    double cost;
    int has_test; /* --test: test_cost and test_accuracy are known */
    double test_cost, test_accuracy;
} metrics_line;

/* Collective (every rank, at every print): min/avg/max over ranks of the times since the
 * last record (the steps in between); rank 0 writes one line. Returns 0, or 1 on rank 0 when the write failed (the file is
 * then closed and the run goes on: a full disk does not cost the training). */
int metrics_print(run_metrics *m, const metrics_line *line);

#endif

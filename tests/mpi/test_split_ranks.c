/* The first layer split by inputs across two ranks of one node (dnn_exchange SPLIT with
 * one thread per rank), run under mpiexec -np 2: every step splits where the ranks
 * share memory, and a run ends with the bits of one process stepping alone, also when
 * it mixes split steps with steps of the other way, when the sums take the checked
 * path, and when a step fails (the parameters stay as they were). Mid-run reads of the
 * parameters (dnn_trainer_sync, dnn_trainer_count_correct) see the current values.
 * Argument: 1 when the ranks must split (shared memory), 0 when they must not. Exit
 * status 0 when every rank passed; it says so and exits 0 on CPUs without AVX-512. */
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "comm.h"
#include "dnn/params.h"
#include "dnn/rng.h"
#include "dnn/train.h"
#include "kernels.h"
#include "rank_check.h"
#include "split_cases.h"

/* three blocks of the codes kernels' 512 inputs, the last partial; one chunk a rank */
enum { CODED = 1300, EXAMPLES = 80, CHUNK = 40, STEPS = 10 };

static dnn_dataset make_coded_data(void)
{
    dnn_dataset d = {.n_features = CODED, .m_total = EXAMPLES, .first = 0, .m = EXAMPLES};
    size_t n = (size_t)CODED * EXAMPLES;
    d.X = malloc(n * sizeof *d.X);
    d.Y = malloc(EXAMPLES * sizeof *d.Y);
    d.X_codes = malloc(n);
    if (!d.X || !d.Y || !d.X_codes) {
        fprintf(stderr, "out of memory\n");
        exit(1);
    }
    dnn_rng rng;
    dnn_rng_seed(&rng, 12);
    for (size_t i = 0; i < n; i++) {
        d.X_codes[i] = (uint8_t)(dnn_rng_uniform(&rng) * 256.0);
        d.X[i] = d.X_codes[i] / 255.0;
    }
    for (int j = 0; j < EXAMPLES; j++)
        d.Y[j] = d.X[(size_t)j * CODED] > 0.5;
    return d;
}

/* This rank's examples of all: a view, not a copy. */
static dnn_dataset shard_of(const dnn_dataset *all, int rank)
{
    dnn_dataset d = *all;
    d.first = (long)rank * CHUNK;
    d.m = CHUNK;
    d.X = all->X + (size_t)d.first * CODED;
    d.Y = all->Y + d.first;
    d.X_codes = all->X_codes + (size_t)d.first * CODED;
    return d;
}

typedef struct {
    const char *name;
    const char *ways;    /* step i goes ways[i % len]: 'p' split, 's' shared */
    int steps;
    double learning_rate;
    int huge, nan_label; /* huge_first_gradients; a NaN label (the first step fails) */
    int fails;           /* a step fails */
} run_case;

static dnn_params *new_params(const run_case *c)
{
    static const int dims[] = {CODED, 12, 5, 1};
    dnn_params *p = dnn_params_new(3, dims);
    if (!p || dnn_initialize_parameters_deep(p, DNN_INIT_HE, 3) != DNN_OK) {
        fprintf(stderr, "out of memory\n");
        exit(1);
    }
    if (c->huge)
        huge_first_gradients(p);
    return p;
}

/* Steps a trainer as the case says, until one fails (*status; *taken steps); the
 * parameters before the last step go to before, the correct predictions after step 3
 * to *correct. */
static dnn_params *run(const run_case *c, const dnn_dataset *data, const dnn_reducer *r,
                       long *split, dnn_status *status, int *taken, dnn_params *before,
                       long *correct)
{
    dnn_params *p = new_params(c);
    dnn_trainer *t = dnn_trainer_new(p, data, EXAMPLES, CHUNK, DNN_REDUCE_EXACT);
    if (!t) {
        fprintf(stderr, "out of memory\n");
        exit(1);
    }
    size_t n = strlen(c->ways);
    *status = DNN_OK;
    *correct = -1;
    *taken = 0;
    for (int i = 0; i < c->steps && *status == DNN_OK; i++, ++*taken) {
        double cost;
        dnn_trainer_sync(t);
        memcpy(before->arena, p->arena, p->count * sizeof *p->arena);
        dnn_trainer_set_exchange(t, c->ways[i % n] == 'p' ? DNN_EXCHANGE_SPLIT
                                                          : DNN_EXCHANGE_SHARED);
        *status = dnn_trainer_step(t, r, c->learning_rate, &cost);
        if (i == 3 && *status == DNN_OK &&
            dnn_trainer_count_correct(t, data, r, correct) != DNN_OK)
            *correct = -2;
    }
    *split = dnn_trainer_split_steps(t);
    dnn_trainer_free(&t);
    return p;
}

static void check_case(const run_case *c, dnn_dataset *all, int must_split)
{
    int rank = dnn_comm_rank();
    if (c->nan_label)
        all->Y[EXAMPLES - 3] = NAN; /* in rank 1's chunk */
    dnn_dataset mine = shard_of(all, rank);
    dnn_reducer ranks = dnn_comm_reducer(), alone = dnn_reducer_local();
    dnn_params *before = new_params(c), *alone_before = new_params(c);
    long split, alone_split, correct, alone_correct;
    dnn_status st, alone_st;
    int taken, alone_taken;
    dnn_params *p = run(c, &mine, &ranks, &split, &st, &taken, before, &correct);
    dnn_params *q = run(c, all, &alone, &alone_split, &alone_st, &alone_taken, alone_before,
                        &alone_correct);
    long want = must_split ? steps_going(c->ways, taken, 'p') : 0;
    CHECK(split == want, "%s: %ld split steps, not %ld", c->name, split, want);
    CHECK(alone_split == 0, "%s: one thread alone split", c->name);
    CHECK(st == alone_st && taken == alone_taken, "%s: status %d after %d steps, alone %d after %d",
          c->name, (int)st, taken, (int)alone_st, alone_taken);
    CHECK((st != DNN_OK) == c->fails, "%s: status %d", c->name, (int)st);
    CHECK(!c->nan_label || taken == 1, "%s: %d steps, not 1", c->name, taken);
    CHECK(memcmp(p->arena, q->arena, p->count * sizeof *p->arena) == 0,
          "%s: not the bits of one process alone", c->name);
    CHECK(correct == alone_correct, "%s: %ld correct after step 3, alone %ld", c->name, correct,
          alone_correct);
    if (st != DNN_OK)
        CHECK(memcmp(p->arena, before->arena, p->count * sizeof *p->arena) == 0,
              "%s: a failed step changed the parameters", c->name);
    dnn_params_free(&p);
    dnn_params_free(&q);
    dnn_params_free(&before);
    dnn_params_free(&alone_before);
    if (c->nan_label)
        all->Y[EXAMPLES - 3] = 0.0;
}

int main(int argc, char **argv)
{
    if (dnn_comm_init(&argc, &argv) != 0)
        return 1;
    int must_split = argc > 1 && strcmp(argv[1], "1") == 0;
    omp_set_num_threads(1);
    if (dnn_comm_size() != 2 || !dnn_kernel_suits_codes(12, CHUNK, CODED)) {
        if (dnn_comm_rank() == 0)
            printf("skipped: needs 2 ranks and a CPU with AVX-512 (%d ranks)\n", dnn_comm_size());
        dnn_comm_finalize();
        return 0;
    }
    dnn_dataset all = make_coded_data();
    static const run_case cases[] = {
        {"split steps", "p", STEPS, 0.5, 0, 0, 0},
        {"split and shared steps", "ppsps", STEPS, 0.5, 0, 0, 0},
        {"huge gradients (the checked sums)", "p", 1, 1e-300, 1, 0, 0},
        {"a failed split step", "p", STEPS, 0.5, 0, 1, 1},
        {"a split step diverging after others", "p", STEPS, 1e30, 0, 0, 1},
    };
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++)
        check_case(&cases[k], &all, must_split);
    dnn_dataset_free(&all);
    int first = dnn_comm_first_failure(failures == 0);
    if (dnn_comm_rank() == 0)
        printf("%s: split across ranks %s\n", first < 0 ? "ok" : "FAILED",
               must_split ? "at every split step" : "never (no shared memory)");
    dnn_comm_finalize();
    return first < 0 ? 0 : 1;
}

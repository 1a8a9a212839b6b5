#ifndef DNN_EARLY_STOP_H
#define DNN_EARLY_STOP_H

/* Early stopping (dnn-train --early-stop N). At each print of iterations 0, P, 2P, ...
 * (--print-every P) the test cost of the parameters is compared with the lowest so far:
 * a strictly lower one keeps a copy of the parameters and restarts the count; after N
 * such prints in a row without one, training stops, and the run ends with the best
 * parameters. The print of the last iteration, when it is not one of those, does not
 * count: a run stopped there and resumed to a larger --iters must make the same
 * decisions as one that never stopped; it competes only for the model the run ends with
 * (early_stop_keep_best). No MPI here: every rank feeds it the same cost
 * (dnn_trainer_evaluate gives the same bits on every rank), and the program makes rank
 * 0's decision everyone's. */
#include "dnn/checkpoint.h"
#include "dnn/params.h"
#include "dnn/status.h"

typedef struct {
    long patience;       /* N: prints without a lower test cost that stop training; 0: off */
    dnn_params *best;    /* the parameters of the best print (NULL when off) */
    int have_best;       /* best holds the parameters of some print */
    double best_cost;    /* their test cost */
    long best_iteration; /* the iteration that left them */
    long since_best;     /* prints since then, none with a lower test cost */
} early_stop;

/* Off when patience is 0 (nothing is allocated); else room for a copy of parameters
 * shaped like `like`. DNN_ERR_NOMEM when that fails (es is then off). */
dnn_status early_stop_init(early_stop *es, long patience, const dnn_params *like);
void early_stop_free(early_stop *es);

/* One print after iteration `iteration`, with params as that iteration left them and
 * their test cost. Returns 1 when training stops here (N prints since the best without
 * a strictly lower cost; an equal one is not lower, nor is NaN or +Inf ever), 0
 * otherwise (always 0 when off). */
int early_stop_observe(early_stop *es, const dnn_params *params, double test_cost,
                       long iteration);

/* Whether the state already asks to stop (a checkpoint written when training stopped
 * early, resumed with the same N or a smaller one). */
int early_stop_reached(const early_stop *es);

/* At the end of a run: params are the last ones, final_cost their test cost when the
 * last iteration's print did not count (INFINITY when it did, or there is none). Copies
 * the best parameters into params unless those are strictly better; returns whether it
 * copied. */
int early_stop_keep_best(const early_stop *es, dnn_params *params, double final_cost);

/* The state into a checkpoint's fields: best_params points into es (valid while es
 * lives and unchanged), NULL when off or before the first print. */
void early_stop_to_checkpoint(const early_stop *es, dnn_checkpoint_info *ci);
/* The state from a resumed checkpoint's fields (none when ci->best_params is NULL:
 * then es starts afresh). es must be on and shaped like the checkpoint's parameters. */
void early_stop_from_checkpoint(early_stop *es, const dnn_checkpoint_info *ci);

#endif

/* An outside program of dnn's io part (dnn/model_io.h): saves a model to the file named
 * by its argument, reads it back and checks that the parameters are the same bits. */
#include <stdio.h>
#include <string.h>

#include "dnn.h"
#include "dnn/model_io.h"

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: model_file OUT.h5\n");
        return 2;
    }
    int dims[] = {3, 4, 1};
    dnn_params *p = dnn_params_new(2, dims), *back = NULL;
    dnn_model_info info = {.init = "he", .seed = 3, .iterations = 0, .learning_rate = 0.1};
    dnn_error err = {0};
    if (!p || dnn_initialize_parameters_deep(p, DNN_INIT_HE, 3) != DNN_OK) {
        fprintf(stderr, "model_file: setup failed\n");
        return 1;
    }
    dnn_status s = dnn_model_save(argv[1], p, &info, &err);
    if (s == DNN_OK)
        s = dnn_model_load(argv[1], &back, NULL, &err);
    if (s != DNN_OK) {
        fprintf(stderr, "model_file: %s: %s\n", dnn_status_string(s), err.message);
        return 1;
    }
    int same = back->count == p->count &&
               memcmp(back->arena, p->arena, p->count * sizeof(double)) == 0;
    printf("model file: %zu parameters, %s\n", p->count, same ? "read back the same" : "DIFFERENT");
    dnn_params_free(&back);
    dnn_params_free(&p);
    return same ? 0 : 1;
}

/* Writes the data files of the reliability tests into DIR: one good file in the
 * course's layout and one for each way a file can be bad.
 *
 * usage: make_bad_files DIR
 *
 * Every file has M = 256 examples of N = 4 float64 features (train_set_x (M, N)) and
 * uint8 labels (train_set_y (M)) unless its name says otherwise. With 2 ranks and
 * --chunk 64, rank 0 owns examples 0..127 and rank 1 owns 128..255. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { M = 256, N = 4 };

static const char *dir;
static double X[M * N];
static unsigned char Y[M];

/* Features in [-1, 1) from a fixed recurrence; label 1 inside a sphere. */
static void good_data(void)
{
    unsigned long long s = 12345;
    for (int i = 0; i < M; i++) {
        double r = 0;
        for (int k = 0; k < N; k++) {
            s = s * 6364136223846793005ull + 1442695040888963407ull;
            double v = (double)(s >> 11) * 0x1p-53 * 2.0 - 1.0;
            X[i * N + k] = v;
            r += v * v;
        }
        Y[i] = r < N / 3.0;
    }
}

static void die(const char *what)
{
    fprintf(stderr, "make_bad_files: %s failed\n", what);
    exit(1);
}

static void path_of(char *out, size_t size, const char *name)
{
    if ((size_t)snprintf(out, size, "%s/%s", dir, name) >= size)
        die("path");
}

static void write_dataset(hid_t file, const char *name, hid_t file_type, hid_t mem_type,
                          int rank, const hsize_t *dims, const void *data)
{
    hid_t space = H5Screate_simple(rank, dims, NULL);
    hid_t set = H5Dcreate2(file, name, file_type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (space < 0 || set < 0 || H5Dwrite(set, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0)
        die(name);
    H5Dclose(set);
    H5Sclose(space);
}

/* A file with X as (mx, N) (or (mx) when x_rank is 1) and Y as (my) (or (my, 2) when
 * y_cols is 2); a NULL name leaves that dataset out. */
static void write_file(const char *name, const char *x_name, int x_rank, hsize_t mx,
                       const char *y_name, hsize_t my, int y_cols)
{
    char path[1024];
    path_of(path, sizeof path, name);
    hid_t file = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    if (file < 0)
        die(path);
    if (x_name) {
        hsize_t dims[2] = {mx, N};
        write_dataset(file, x_name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, x_rank, dims, X);
    }
    if (y_name) {
        hsize_t dims[2] = {my, 2};
        static unsigned char wide[2 * M];
        for (hsize_t i = 0; i < 2 * my && i < 2 * M; i++)
            wide[i] = Y[i / 2];
        write_dataset(file, y_name, H5T_STD_U8LE, H5T_NATIVE_UCHAR, y_cols == 2 ? 2 : 1, dims,
                      y_cols == 2 ? wide : Y);
    }
    H5Fclose(file);
}

static void write_good(const char *name)
{
    write_file(name, "train_set_x", 2, M, "train_set_y", M, 1);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: make_bad_files DIR\n");
        return 2;
    }
    dir = argv[1];
    char path[1024];
    good_data();
    write_good("good.h5");

    /* bad values in rank 1's half only (examples 128..255 with 2 ranks, --chunk 64) */
    Y[200] = 2;
    write_good("rank1_label.h5");
    Y[200] = 0;
    X[180 * N + 2] = NAN;
    write_good("rank1_nan.h5");
    X[180 * N + 2] = 0.5;

    /* bad values at the start */
    Y[37] = 2;
    write_good("label_2.h5");
    Y[37] = 1;
    X[41 * N + 1] = NAN;
    write_good("nan.h5");
    X[41 * N + 1] = 0.25;
    X[99 * N + 3] = -INFINITY;
    write_good("inf.h5");
    X[99 * N + 3] = 0.25;

    /* bad structure */
    write_file("no_y.h5", "train_set_x", 2, M, NULL, 0, 1);
    write_file("no_datasets.h5", NULL, 2, 0, NULL, 0, 1);
    write_file("x_rank1.h5", "train_set_x", 1, M, "train_set_y", M, 1);
    write_file("y_2cols.h5", "train_set_x", 2, M, "train_set_y", M, 2);
    write_file("count_mismatch.h5", "train_set_x", 2, M, "train_set_y", M - 6, 1);
    write_file("empty.h5", "train_set_x", 2, 0, "train_set_y", 0, 1);
    write_file("two_examples.h5", "train_set_x", 2, 2, "train_set_y", 2, 1);

    /* not HDF5 at all, and a good file cut in half */
    path_of(path, sizeof path, "not_hdf5.h5");
    FILE *f = fopen(path, "w");
    if (!f || fputs("train_set_x,train_set_y\n0.5,1\n", f) < 0 || fclose(f) != 0)
        die(path);
    write_good("truncated.h5");
    path_of(path, sizeof path, "truncated.h5");
    FILE *g = fopen(path, "rb");
    if (!g || fseek(g, 0, SEEK_END) != 0)
        die(path);
    long size = ftell(g);
    fclose(g);
    if (size <= 0 || truncate(path, size / 2) != 0)
        die("truncate");
    return 0;
}

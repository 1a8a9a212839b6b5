/* Writes the data files of the reliability tests into DIR: one good file in the
 * course's layout and one for each way a file can be bad.
 *
 * usage: make_bad_files DIR
 *
 * Every file has M = 256 examples of N = 4 float64 features (train_set_x (M, N)) and
 * uint8 labels (train_set_y (M)) unless its name says otherwise. With 2 ranks and
 * --chunk 64, rank 0 owns examples 0..127 and rank 1 owns 128..255.
 *
 * Files whose sizes ask for more memory than they hold (issue 19), each a few KB:
 *   huge_model.h5       a model of layer sizes 4,16384,16384,1 (2 GiB of parameters)
 *                       whose datasets were never written
 *   huge_checkpoint.h5  a sealed checkpoint (format 1) of the same layer sizes, the same
 *   unwritten_checkpoint.h5  the same with layer sizes 4,3,1
 *   huge_x.h5           train_set_x (50000, 4000) never written: 1.5 GiB as doubles
 *   zeros_x.h5          train_set_x (50000, 4000) of zeros stored compressed, every
 *                       chunk in the file: a real file that needs 1.5 GiB to load */
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

/* The good data with float64 labels, label i set to value. */
static void write_float_labels(const char *name, int i, double value)
{
    char path[1024];
    path_of(path, sizeof path, name);
    double y[M];
    for (int k = 0; k < M; k++)
        y[k] = Y[k];
    y[i] = value;
    hid_t file = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    if (file < 0)
        die(path);
    hsize_t dims[2] = {M, N};
    write_dataset(file, "train_set_x", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 2, dims, X);
    write_dataset(file, "train_set_y", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, dims, y);
    H5Fclose(file);
}

/* A float64 dataset of the given shape in chunks of at most 1024 x 1024 values. With
 * a filter (deflate) its chunks are all written when it is created (zeros), else none
 * ever is: HDF5 reads it as zeros all the same, and the header asks for as much memory
 * as the shape says. */
static void chunked_dataset(hid_t loc, const char *name, int rank, const hsize_t *dims,
                            int compressed)
{
    hsize_t chunk[2];
    for (int k = 0; k < rank; k++)
        chunk[k] = dims[k] < 1024 ? dims[k] : 1024;
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    hid_t space = H5Screate_simple(rank, dims, NULL);
    if (dcpl < 0 || space < 0 || H5Pset_chunk(dcpl, rank, chunk) < 0 ||
        (compressed && (H5Pset_deflate(dcpl, 9) < 0 ||
                        H5Pset_alloc_time(dcpl, H5D_ALLOC_TIME_EARLY) < 0)))
        die(name);
    hid_t set = H5Dcreate2(loc, name, H5T_IEEE_F64LE, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    if (set < 0)
        die(name);
    H5Dclose(set);
    H5Sclose(space);
    H5Pclose(dcpl);
}

static void int_attr(hid_t loc, const char *name, hid_t type, hsize_t n, const void *values)
{
    hid_t space = H5Screate_simple(1, &n, NULL);
    hid_t attr = H5Acreate2(loc, name, type, space, H5P_DEFAULT, H5P_DEFAULT);
    if (attr < 0 || H5Awrite(attr, type, values) < 0)
        die(name);
    H5Aclose(attr);
    H5Sclose(space);
}

static void string_attr(hid_t loc, const char *name, const char *value)
{
    hsize_t one = 1;
    hid_t type = H5Tcopy(H5T_C_S1);
    H5Tset_size(type, strlen(value) + 1);
    hid_t space = H5Screate_simple(1, &one, NULL);
    hid_t attr = H5Acreate2(loc, name, type, space, H5P_DEFAULT, H5P_DEFAULT);
    if (attr < 0 || H5Awrite(attr, type, value) < 0)
        die(name);
    H5Aclose(attr);
    H5Sclose(space);
    H5Tclose(type);
}

static const int huge_dims[] = {N, 16384, 16384, 1};
enum { HUGE_L = 3, SEAL = 512 };

static void write_huge_model(void)
{
    char path[1024], name[16];
    path_of(path, sizeof path, "huge_model.h5");
    hid_t file = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    if (file < 0)
        die(path);
    int_attr(file, "layer_sizes", H5T_NATIVE_INT, HUGE_L + 1, huge_dims);
    for (int l = 1; l <= HUGE_L; l++) {
        hsize_t w[2] = {(hsize_t)huge_dims[l], (hsize_t)huge_dims[l - 1]};
        hsize_t b[2] = {(hsize_t)huge_dims[l], 1};
        snprintf(name, sizeof name, "W%d", l);
        chunked_dataset(file, name, 2, w, 0);
        snprintf(name, sizeof name, "b%d", l);
        chunked_dataset(file, name, 2, b, 0);
    }
    H5Fclose(file);
}

/* The checkpoint seal (include/dnn/checkpoint.h): FNV-1a 64 of the bytes after it. */
static void seal(const char *path)
{
    FILE *f = fopen(path, "r+b");
    if (!f || fseek(f, SEAL, SEEK_SET) != 0)
        die(path);
    unsigned long long h = 0xcbf29ce484222325ull;
    int c;
    while ((c = getc(f)) != EOF) {
        h ^= (unsigned char)c;
        h *= 0x100000001b3ull;
    }
    char text[SEAL] = {0};
    snprintf(text, sizeof text, "dnn-checkpoint 1\nfnv1a64 %016llx\n", h);
    if (fseek(f, 0, SEEK_SET) != 0 || fwrite(text, 1, SEAL, f) != SEAL || fclose(f) != 0)
        die(path);
}

static void write_unwritten_checkpoint(const char *name, int L, const int *dims)
{
    char path[1024];
    path_of(path, sizeof path, name);
    hid_t fcpl = H5Pcreate(H5P_FILE_CREATE);
    if (fcpl < 0 || H5Pset_userblock(fcpl, SEAL) < 0)
        die("user block");
    hid_t file = H5Fcreate(path, H5F_ACC_TRUNC, fcpl, H5P_DEFAULT);
    if (file < 0)
        die(path);
    hsize_t count = 0;
    for (int l = 1; l <= L; l++)
        count += (hsize_t)dims[l] * (hsize_t)(dims[l - 1] + 1);
    chunked_dataset(file, "parameters", 1, &count, 0);
    long long next = 1, chunk = 128, m_total = M;
    unsigned long long fingerprint = 0;
    unsigned seed = 1;
    double lr = 0.0075;
    int n_features = N;
    int_attr(file, "next_iteration", H5T_NATIVE_LLONG, 1, &next);
    int_attr(file, "layer_sizes", H5T_NATIVE_INT, (hsize_t)L + 1, dims);
    string_attr(file, "dtype", "float64");
    int_attr(file, "chunk", H5T_NATIVE_LLONG, 1, &chunk);
    string_attr(file, "reduce", "exact");
    int_attr(file, "learning_rate", H5T_NATIVE_DOUBLE, 1, &lr);
    int_attr(file, "m_total", H5T_NATIVE_LLONG, 1, &m_total);
    int_attr(file, "n_features", H5T_NATIVE_INT, 1, &n_features);
    int_attr(file, "data_fingerprint", H5T_NATIVE_ULLONG, 1, &fingerprint);
    string_attr(file, "init", "lecun");
    int_attr(file, "seed", H5T_NATIVE_UINT, 1, &seed);
    H5Fclose(file);
    H5Pclose(fcpl);
    seal(path);
}

/* X (50000, 4000) and uint8 labels; X never written, or zeros compressed. */
static void write_big_x(const char *name, int compressed)
{
    char path[1024];
    path_of(path, sizeof path, name);
    hid_t file = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    if (file < 0)
        die(path);
    hsize_t dims[2] = {50000, 4000};
    chunked_dataset(file, "train_set_x", 2, dims, compressed);
    static unsigned char labels[50000];
    write_dataset(file, "train_set_y", H5T_STD_U8LE, H5T_NATIVE_UCHAR, 1, dims, labels);
    H5Fclose(file);
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
    write_float_labels("label_half.h5", 37, 0.5);
    write_float_labels("label_nan.h5", 37, NAN);
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

    write_huge_model();
    write_unwritten_checkpoint("huge_checkpoint.h5", HUGE_L, huge_dims);
    static const int small_dims[] = {N, 3, 1};
    write_unwritten_checkpoint("unwritten_checkpoint.h5", 2, small_dims);
    write_big_x("huge_x.h5", 0);
    write_big_x("zeros_x.h5", 1);
    return 0;
}

/* A small mutation fuzzer for the harnesses, without libFuzzer: a bounded, repeatable
 * fuzz run that ctest can afford on every build (fuzz_mutate_TARGET, label fuzz), in the
 * normal build and under AddressSanitizer. libFuzzer (launch/fuzz) finds more, guided by
 * coverage; this finds what blind damage to the seed files reaches, the same inputs on
 * every run.
 *
 * Input 0..S-1 are the S seed files (every file directly inside the directories named,
 * in name order) as they are; input S + r takes a seed and applies 1 to 4 damages, all
 * chosen by a pseudo-random sequence of its own (seed, r): a bit flipped, a byte or a
 * 2-, 4- or 8-byte little-endian word set to a boundary value or moved by a small amount
 * (sizes and offsets in HDF5's headers), a cut, bytes removed, inserted or copied from
 * elsewhere in the file, or a piece of another seed at the same offset.
 *
 * The inputs run in child processes, BATCH at a time, so that what inputs leave behind
 * stays in their batch: libhdf5 1.10 keeps internal state after failing to open some
 * damaged files, and a later file on the same inode (the harnesses rewrite one
 * temporary file) can then be read differently (tests/fuzz/README.md). An input that
 * fails in its batch runs again alone, in a forked child and then, if it fails there, in
 * a new process (this program run with --one: a heap of its own, as in a replay):
 *   - it fails in the new process too: the run ends with status 1, the input is in the
 *     file named by --keep (a broken invariant, a sanitizer's report or a crash in our
 *     code);
 *   - it crashes alone inside libhdf5 (the first frame of the crash or of the
 *     sanitizer's report that is not in libc or a sanitizer is libhdf5's): reported
 *     ("inside libhdf5"), kept as --keep.libhdf5-N, and the run goes on: damaged files
 *     crash libhdf5 1.10 in many ways our code cannot prevent (tests/fuzz/known_issues/);
 *   - it passes alone: reported ("fails only after other inputs") and the run goes on.
 *     What an input's outcome can depend on besides its bytes is libhdf5's state and
 *     what it reads of memory it does not own (tests/fuzz/known_issues/checkpoint_load/misread-*).
 * The children's temporary files go to a directory of the run's own (TMPDIR), emptied
 * after each child; under LeakSanitizer each child checks for leaks when its batch is
 * done.
 *
 * usage: fuzz_mutate_TARGET [--runs N] [--seconds S] [--seed N] [--keep FILE] [--dump DIR]
 *                           DIR_OR_FILE...
 *   --runs N     damaged inputs after the seeds (default 2000)
 *   --seconds S  stop earlier after S seconds (default 60), saying so: a guard against
 *                a slow machine, not the bound (that is --runs)
 *   --seed N     of the sequences (default 1)
 *   --keep FILE  each input is written there before it runs (default
 *                fuzz_mutate_last_input in the working directory); removed at the end
 *   --dump DIR   every input also written to DIR/input-NNNNNN
 * or: fuzz_mutate_TARGET --one FILE   runs FILE alone (exit status 86: inside libhdf5) */
#define _GNU_SOURCE /* MAP_ANONYMOUS, dladdr, REG_RIP */
#include <dirent.h>
#include <dlfcn.h>
#include <execinfo.h>
#include <signal.h>
#include <spawn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fuzz.h"

enum { MAX_SIZE = 1 << 16, /* an input never grows past this */
       BATCH = 64 };     /* inputs per child process */

typedef struct {
    char *name;
    uint8_t *data;
    size_t size;
} seed_file;

static seed_file *seeds;
static size_t n_seeds, cap_seeds;

static uint64_t rng_state;

/* splitmix64: the same sequence everywhere; each input seeds it afresh */
static uint64_t next_random(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

/* 0..n-1 (n >= 1) */
static size_t below(size_t n)
{
    return (size_t)(next_random() % n);
}

static void add_seed(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        exit(1);
    }
    uint8_t *data = malloc(MAX_SIZE);
    size_t size = data ? fread(data, 1, MAX_SIZE, f) : 0;
    int failed = !data || ferror(f);
    fclose(f);
    if (failed) {
        fprintf(stderr, "%s: cannot read\n", path);
        exit(1);
    }
    if (n_seeds == cap_seeds) {
        cap_seeds = cap_seeds ? 2 * cap_seeds : 32;
        seeds = realloc(seeds, cap_seeds * sizeof *seeds);
        if (!seeds)
            exit(1);
    }
    size_t len = strlen(path) + 1;
    seeds[n_seeds].name = malloc(len);
    if (!seeds[n_seeds].name)
        exit(1);
    memcpy(seeds[n_seeds].name, path, len);
    seeds[n_seeds].data = data;
    seeds[n_seeds++].size = size;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(((const seed_file *)a)->name, ((const seed_file *)b)->name);
}

static void add_seeds(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        perror(path);
        exit(1);
    }
    if (!S_ISDIR(st.st_mode)) {
        add_seed(path);
        return;
    }
    DIR *d = opendir(path);
    if (!d) {
        perror(path);
        exit(1);
    }
    struct dirent *e;
    char name[4096];
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        snprintf(name, sizeof name, "%s/%s", path, e->d_name);
        if (stat(name, &st) == 0 && S_ISREG(st.st_mode))
            add_seed(name);
    }
    closedir(d);
}

static const uint64_t boundaries[] = {0,          1,          2,          0x7f,
                                      0x80,       0xff,       0x100,      0x7fff,
                                      0x8000,     0xffff,     0x10000,    0x7fffffff,
                                      0x80000000, 0xffffffff, 1ull << 32, 0x7fffffffffffffffull,
                                      UINT64_MAX, 512,        4096,       1u << 20};

static void set_word(uint8_t *at, int bytes, uint64_t v)
{
    for (int k = 0; k < bytes; k++)
        at[k] = (uint8_t)(v >> (8 * k));
}

static uint64_t get_word(const uint8_t *at, int bytes)
{
    uint64_t v = 0;
    for (int k = 0; k < bytes; k++)
        v |= (uint64_t)at[k] << (8 * k);
    return v;
}

/* One damage to buf (size *size, room MAX_SIZE). */
static void damage(uint8_t *buf, size_t *size)
{
    size_t n = *size;
    if (n == 0) {
        buf[0] = (uint8_t)next_random();
        *size = 1;
        return;
    }
    static const int widths[] = {1, 2, 4, 8};
    int width = widths[below(4)];
    size_t at = below(n), len;
    switch (below(9)) {
    case 0: /* a bit */
        buf[at] ^= (uint8_t)(1u << below(8));
        break;
    case 1: /* a word set to a boundary */
        if (at + (size_t)width <= n)
            set_word(buf + at, width, boundaries[below(sizeof boundaries / sizeof *boundaries)]);
        break;
    case 2: /* a word moved by a little */
        if (at + (size_t)width <= n)
            set_word(buf + at, width,
                     get_word(buf + at, width) + (uint64_t)((int64_t)below(33) - 16));
        break;
    case 3: /* a cut */
        *size = at;
        break;
    case 4: /* bytes removed */
        len = 1 + below(n - at < 64 ? n - at : 64);
        memmove(buf + at, buf + at + len, n - at - len);
        *size = n - len;
        break;
    case 5: /* random bytes inserted */
        len = 1 + below(16);
        if (n + len <= MAX_SIZE) {
            memmove(buf + at + len, buf + at, n - at);
            for (size_t k = 0; k < len; k++)
                buf[at + k] = (uint8_t)next_random();
            *size = n + len;
        }
        break;
    case 6: { /* bytes copied over from elsewhere in the file */
        size_t from = below(n);
        len = 1 + below(32);
        if (at + len <= n && from + len <= n)
            memmove(buf + at, buf + from, len);
        break;
    }
    case 7: { /* a piece of another seed at the same offset */
        const seed_file *s = &seeds[below(n_seeds)];
        len = 1 + below(256);
        if (at + len <= n && at + len <= s->size)
            memcpy(buf + at, s->data + at, len);
        break;
    }
    default: /* a byte set to a boundary */
        buf[at] = (uint8_t)boundaries[below(10)];
        break;
    }
}

static long seed_value = 1;
static int keep_fd = -1;
static const char *dump_dir;
static char tmp_dir[4096];

/* Input i (see the top of the file) into buf. */
static size_t make_input(long i, uint8_t *buf)
{
    if ((size_t)i < n_seeds) {
        memcpy(buf, seeds[i].data, seeds[i].size);
        return seeds[i].size;
    }
    rng_state = (uint64_t)seed_value * 0x2545f4914f6cdd1du + (uint64_t)(i - (long)n_seeds);
    next_random();
    const seed_file *s = &seeds[below(n_seeds)];
    size_t size = s->size;
    memcpy(buf, s->data, size);
    for (size_t k = 1 + below(4); k > 0; k--)
        damage(buf, &size);
    return size;
}

static void write_all(int fd, const uint8_t *data, size_t size, const char *what)
{
    size_t done = 0;
    while (done < size) {
        ssize_t n = pwrite(fd, data + done, size - done, (off_t)done);
        if (n <= 0) {
            fprintf(stderr, "%s: cannot write: %s\n", what, strerror(errno));
            _exit(1);
        }
        done += (size_t)n;
    }
}

/* Writes input i where --keep and --dump say, then runs it. */
static void run_input(long i, uint8_t *buf)
{
    size_t size = make_input(i, buf);
    if (ftruncate(keep_fd, 0) != 0) {
        perror("--keep");
        _exit(1);
    }
    write_all(keep_fd, buf, size, "--keep");
    if (dump_dir) {
        char name[4096];
        snprintf(name, sizeof name, "%s/input-%06ld", dump_dir, i);
        int fd = open(name, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd < 0) {
            perror(name);
            _exit(1);
        }
        write_all(fd, buf, size, name);
        close(fd);
    }
    LLVMFuzzerTestOneInput(buf, size);
}

/* Removes what the last child left in tmp_dir. */
static void empty_tmp_dir(void)
{
    DIR *d = opendir(tmp_dir);
    if (!d)
        return;
    struct dirent *e;
    char name[8192];
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
            snprintf(name, sizeof name, "%s/%s", tmp_dir, e->d_name);
            unlink(name);
        }
    }
    closedir(d);
}

static void remove_tmp_dir(void)
{
    empty_tmp_dir();
    rmdir(tmp_dir);
}

/* LeakSanitizer's check and AddressSanitizer's report hook, when the program has them
 * (the sanitizer builds). */
void __lsan_do_leak_check(void) __attribute__((weak));
void __asan_set_error_report_callback(void (*callback)(const char *)) __attribute__((weak));

/* A child's exit status: its input crashed inside libhdf5. */
enum { CRASH_IN_LIBHDF5 = 86 };

/* Frames of libc, the dynamic loader and the sanitizers: the crash is in their caller. */
static int runtime_module(const char *module)
{
    return strstr(module, "/libc.so") || strstr(module, "/libc-") || strstr(module, "/ld-linux") ||
           strstr(module, "/libasan") || strstr(module, "/libubsan") ||
           strstr(module, "/libclang_rt");
}

/* Whether the code at pc belongs to libhdf5 (1), to libc or a sanitizer (-1: look at
 * its caller), or to anything else, ours included (0). */
static int frame_kind(const void *pc)
{
    Dl_info where;
    if (!dladdr(pc, &where) || !where.dli_fname)
        return 0;
    return strstr(where.dli_fname, "/libhdf5") ? 1 : runtime_module(where.dli_fname) ? -1 : 0;
}

/* A crash: the faulting instruction, or its first caller outside libc (a memcpy),
 * decides. */
static void crash_handler(int sig, siginfo_t *info, void *context)
{
    (void)info;
#if defined(__aarch64__)
    const void *pc = (const void *)((ucontext_t *)context)->uc_mcontext.pc;
#else
    const void *pc = (const void *)((ucontext_t *)context)->uc_mcontext.gregs[REG_RIP];
#endif
    int kind = frame_kind(pc);
    if (kind < 0) {
        /* the stack from the faulting frame on, found by its pc */
        void *frames[64];
        int n = backtrace(frames, 64), k = 0;
        while (k < n && frames[k] != pc)
            k++;
        for (k++; k < n && kind < 0; k++)
            kind = frame_kind(frames[k]);
    }
    if (kind == 1)
        _exit(CRASH_IN_LIBHDF5);
    signal(sig, SIG_DFL);
    raise(sig);
}

/* AddressSanitizer's report: the first frame of its first stack that is not in libc or
 * a sanitizer (an interceptor such as memcpy) decides. Frames read
 * "    #0 0x7f90dd84814a in __interceptor_memcpy ../../../../src/libsanitizer/...",
 * "    #1 0x7f90db190f18  (/lib/x86_64-linux-gnu/libhdf5_serial.so.103+0x190f18)" or
 * "    #5 0x556377cc98b6 in dnn_h5_read_attr (/path/to/the/program+0x1ca8b6)". */
static void asan_report(const char *report)
{
    int in_stack = 0;
    for (const char *line = report; line && *line;) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        char text[1024];
        snprintf(text, sizeof text, "%.*s", (int)(len < sizeof text ? len : sizeof text - 1), line);
        line = end ? end + 1 : NULL;
        const char *hash = strchr(text, '#');
        if (!hash || hash[1] < '0' || hash[1] > '9' || !strstr(hash, " 0x")) {
            if (in_stack)
                return; /* past the first stack */
            continue;
        }
        in_stack = 1;
        const char *in = strstr(hash, " in ");
        const char *function = in ? in + 4 : "";
        const char *module = strrchr(text, '(');
        int runtime = strncmp(function, "__interceptor_", 14) == 0 ||
                      strncmp(function, "__asan", 6) == 0 ||
                      strncmp(function, "__sanitizer", 11) == 0 ||
                      strncmp(function, "__GI_", 5) == 0 || strncmp(function, "__mem", 5) == 0 ||
                      strncmp(function, "__str", 5) == 0 || strstr(text, "libsanitizer") ||
                      strstr(text, "sysdeps/") || (module && runtime_module(module));
        if (runtime)
            continue;
        if (strstr(text, "/libhdf5"))
            _exit(CRASH_IN_LIBHDF5);
        return;
    }
}

static void watch_crashes(void)
{
    void *warm[1];
    backtrace(warm, 1); /* loads the unwinder now, not in the handler */
    static char stack[1 << 16];
    stack_t alt = {.ss_sp = stack, .ss_size = sizeof stack, .ss_flags = 0};
    sigaltstack(&alt, NULL);
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_sigaction = crash_handler;
    action.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&action.sa_mask);
    static const int signals[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL};
    for (size_t k = 0; k < sizeof signals / sizeof *signals; k++)
        sigaction(signals[k], &action, NULL);
    if (__asan_set_error_report_callback)
        __asan_set_error_report_callback(asan_report);
}

typedef enum { PASSED, FAILED, IN_LIBHDF5 } outcome;

/* Runs inputs [first, end) in a child; *at is the input running when it failed. */
static outcome run_batch(long first, long end, volatile long *current, long *at)
{
    fflush(stdout);
    fflush(stderr);
    pid_t child = fork();
    if (child < 0) {
        perror("fork");
        exit(1);
    }
    if (child == 0) {
        watch_crashes();
        uint8_t *buf = malloc(MAX_SIZE);
        if (!buf)
            _exit(1);
        for (long i = first; i < end; i++) {
            *current = i;
            run_input(i, buf);
        }
        free(buf);
        if (__lsan_do_leak_check)
            __lsan_do_leak_check();
        /* without the exit handlers: the temporary files are the parent's to remove,
         * and libhdf5's would only report what a damaged file left inside it */
        _exit(0);
    }
    int status;
    while (waitpid(child, &status, 0) < 0) {
        if (errno != EINTR) {
            perror("waitpid");
            exit(1);
        }
    }
    empty_tmp_dir();
    *at = *current;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return PASSED;
    if (WIFEXITED(status) && WEXITSTATUS(status) == CRASH_IN_LIBHDF5)
        return IN_LIBHDF5;
    if (WIFSIGNALED(status))
        fprintf(stderr, "fuzz_mutate: input %ld: ended by signal %d\n", *at, WTERMSIG(status));
    else
        fprintf(stderr, "fuzz_mutate: input %ld: exit status %d\n", *at, WEXITSTATUS(status));
    return FAILED;
}

extern char **environ;

/* Runs the file at path alone in a new process of this program (--one). */
static outcome run_fresh(const char *path)
{
    char *argv[] = {"fuzz_mutate", "--one", (char *)path, NULL};
    fflush(stdout);
    fflush(stderr);
    pid_t child;
    if (posix_spawn(&child, "/proc/self/exe", NULL, NULL, argv, environ) != 0) {
        perror("posix_spawn");
        exit(1);
    }
    int status;
    while (waitpid(child, &status, 0) < 0) {
        if (errno != EINTR) {
            perror("waitpid");
            exit(1);
        }
    }
    empty_tmp_dir();
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return PASSED;
    return WIFEXITED(status) && WEXITSTATUS(status) == CRASH_IN_LIBHDF5 ? IN_LIBHDF5 : FAILED;
}

/* --one FILE: the input in this process, with crashes classified. */
static int run_one(const char *path)
{
    FILE *f = fopen(path, "rb");
    uint8_t *data = malloc(MAX_SIZE);
    size_t size = f && data ? fread(data, 1, MAX_SIZE, f) : 0;
    if (!f || !data || ferror(f)) {
        fprintf(stderr, "%s: cannot read\n", path);
        return 1;
    }
    fclose(f);
    watch_crashes();
    LLVMFuzzerTestOneInput(data, size);
    free(data);
    return 0;
}

/* Copies --keep (the input that just ran) to --keep.libhdf5-N. */
static void keep_library_crash(const char *keep_path, long input)
{
    char name[4096];
    snprintf(name, sizeof name, "%s.libhdf5-%ld", keep_path, input);
    FILE *in = fopen(keep_path, "rb"), *out = fopen(name, "wb");
    unsigned char buf[1 << 16];
    size_t n;
    while (in && out && (n = fread(buf, 1, sizeof buf, in)) > 0)
        fwrite(buf, 1, n, out);
    if (in)
        fclose(in);
    if (out)
        fclose(out);
}

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static long count(const char *flag, const char *text)
{
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (errno || end == text || *end || v < 0) {
        fprintf(stderr, "%s: not a count: '%s'\n", flag, text);
        exit(2);
    }
    return v;
}

int main(int argc, char **argv)
{
    long runs = 2000, seconds = 60;
    const char *keep_path = "fuzz_mutate_last_input";
    if (argc == 3 && strcmp(argv[1], "--one") == 0)
        return run_one(argv[2]);
    int i = 1;
    for (; i + 1 < argc && strncmp(argv[i], "--", 2) == 0; i += 2) {
        if (strcmp(argv[i], "--runs") == 0)
            runs = count(argv[i], argv[i + 1]);
        else if (strcmp(argv[i], "--seconds") == 0)
            seconds = count(argv[i], argv[i + 1]);
        else if (strcmp(argv[i], "--seed") == 0)
            seed_value = count(argv[i], argv[i + 1]);
        else if (strcmp(argv[i], "--keep") == 0)
            keep_path = argv[i + 1];
        else if (strcmp(argv[i], "--dump") == 0)
            dump_dir = argv[i + 1];
        else
            break;
    }
    if (i >= argc) {
        fprintf(stderr, "usage: %s [--runs N] [--seconds S] [--seed N] [--keep FILE] [--dump DIR] "
                        "DIR_OR_FILE...\n",
                argv[0]);
        return 2;
    }
    for (; i < argc; i++)
        add_seeds(argv[i]);
    if (n_seeds == 0) {
        fprintf(stderr, "no seed file\n");
        return 1;
    }
    qsort(seeds, n_seeds, sizeof *seeds, by_name);
    keep_fd = open(keep_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (keep_fd < 0) {
        perror(keep_path);
        return 1;
    }
    const char *tmp = getenv("TMPDIR");
    snprintf(tmp_dir, sizeof tmp_dir, "%s/fuzz_mutate_XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(tmp_dir) || setenv("TMPDIR", tmp_dir, 1) != 0) {
        perror(tmp_dir);
        return 1;
    }
    atexit(remove_tmp_dir);
    /* the input a child is running, where the parent can read it after a crash */
    volatile long *current = mmap(NULL, sizeof *current, PROT_READ | PROT_WRITE,
                                  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (current == MAP_FAILED) {
        perror("mmap");
        return 1;
    }
    printf("fuzz_mutate: seed %ld, %zu seed files then %ld damaged ones; a failing input is "
           "left in %s\n",
           seed_value, n_seeds, runs, keep_path);
    long total = (long)n_seeds + runs, next = 0, after_others = 0, in_library = 0;
    double start = now();
    while (next < total && now() - start < (double)seconds) {
        long end = next + BATCH < total ? next + BATCH : total, failed, again;
        if (run_batch(next, end, current, &failed) == PASSED) {
            next = end;
            continue;
        }
        outcome alone = run_batch(failed, failed + 1, current, &again);
        if (alone == FAILED) {
            fprintf(stderr, "fuzz_mutate: input %ld: once more in a new process\n", failed);
            alone = run_fresh(keep_path);
        }
        switch (alone) {
        case FAILED:
            fprintf(stderr, "fuzz_mutate: input %ld fails alone as well, in a new process: it is "
                            "in %s\n",
                    failed, keep_path);
            return 1;
        case IN_LIBHDF5:
            keep_library_crash(keep_path, failed);
            fprintf(stderr, "fuzz_mutate: input %ld crashes inside libhdf5 (kept as "
                            "%s.libhdf5-%ld)\n",
                    failed, keep_path, failed);
            in_library++;
            break;
        case PASSED:
            fprintf(stderr, "fuzz_mutate: input %ld fails only after other inputs (passes "
                            "alone)\n",
                    failed);
            after_others++;
            break;
        }
        next = failed + 1;
    }
    close(keep_fd);
    unlink(keep_path);
    printf("fuzz_mutate: %ld of %ld inputs run in %.1f s%s: %ld passed, %ld crashed inside "
           "libhdf5, %ld failed only after other inputs\n",
           next, total, now() - start, next < total ? " (stopped by --seconds)" : "",
           next - in_library - after_others, in_library, after_others);
    for (size_t s = 0; s < n_seeds; s++) {
        free(seeds[s].name);
        free(seeds[s].data);
    }
    free(seeds);
    return 0;
}

/* train_options_settings: the per-option hashes that dnn-train's ranks compare (issue
 * 19). Every flag --help lists must have a hash that changes with its value, or ranks
 * given different values of it would not be told apart. */
#include <stdlib.h>
#include <string.h>

#include "programs/train_options.h"
#include "test_util.h"

enum { MAX_ARGS = 16 };

/* One flag given another value: the settings of `context` and of `context` followed by
 * `change` must differ in the entry named flag. */
typedef struct {
    const char *flag;
    const char *context[6]; /* NULL-terminated */
    const char *change[3];  /* NULL-terminated */
} change_case;

static const change_case cases[] = {
    {"--train", {NULL}, {"--train", "a.h5", NULL}},
    {"--test", {"--train", "a.h5", NULL}, {"--test", "b.h5", NULL}},
    {"--x-dataset", {NULL}, {"--x-dataset", "x", NULL}},
    {"--y-dataset", {NULL}, {"--y-dataset", "y", NULL}},
    {"--no-scale", {NULL}, {"--no-scale", NULL}},
    {"--standardize", {NULL}, {"--standardize", NULL}},
    {"--synthetic", {NULL}, {"--synthetic", "10,3", NULL}},
    {"--layers", {NULL}, {"--layers", "auto,3,1", NULL}},
    {"--layers", {"--layers", "4,3,1", NULL}, {"--layers", "5,3,1", NULL}},
    {"--layers", {"--layers", "4,3,1", NULL}, {"--layers", "auto,3,1", NULL}},
    {"--init", {NULL}, {"--init", "he", NULL}},
    {"--seed", {NULL}, {"--seed", "2", NULL}},
    {"--lr", {NULL}, {"--lr", "0.5", NULL}},
    {"--optimizer", {NULL}, {"--optimizer", "adam", NULL}},
    {"--beta1", {NULL}, {"--beta1", "0.5", NULL}},
    {"--beta2", {NULL}, {"--beta2", "0.5", NULL}},
    {"--epsilon", {NULL}, {"--epsilon", "1e-4", NULL}},
    {"--l2", {NULL}, {"--l2", "0.7", NULL}},
    {"--lr-decay", {NULL}, {"--lr-decay", "0.1", NULL}},
    {"--decay-interval", {"--lr-decay", "0.1", NULL}, {"--decay-interval", "10", NULL}},
    {"--iters", {NULL}, {"--iters", "7", NULL}},
    {"--print-every", {NULL}, {"--print-every", "7", NULL}},
    {"--epochs", {NULL}, {"--epochs", "7", NULL}},
    {"--batch-size", {NULL}, {"--batch-size", "64", NULL}},
    {"--drop-last", {"--batch-size", "64", NULL}, {"--drop-last", NULL}},
    {"--dropout", {NULL}, {"--dropout", "0.8", NULL}},
    {"--batch-read", {NULL}, {"--batch-read", "file", NULL}},
    {"--early-stop", {"--train", "a.h5", "--test", "b.h5", NULL}, {"--early-stop", "3", NULL}},
    {"--save", {NULL}, {"--save", "m.h5", NULL}},
    {"--checkpoint", {NULL}, {"--checkpoint", "c.h5", NULL}},
    {"--checkpoint-every", {"--checkpoint", "c.h5", NULL}, {"--checkpoint-every", "3", NULL}},
    {"--resume", {NULL}, {"--resume", "c.h5", NULL}},
    {"--chunk", {NULL}, {"--chunk", "64", NULL}},
    {"--reduce", {NULL}, {"--reduce", "fast", NULL}},
    {"--dtype", {NULL}, {"--dtype", "f32", NULL}},
    {"--thread-exchange", {NULL}, {"--thread-exchange", "split", NULL}},
    {"--blas", {NULL}, {"--blas", "fixed", NULL}},
    {"--timing", {NULL}, {"--timing", NULL}},
    {"--metrics", {NULL}, {"--metrics", "run.jsonl", NULL}},
    {"--help", {NULL}, {"--help", NULL}},
    {"--version", {NULL}, {"--version", NULL}},
};
static const int n_cases = (int)(sizeof cases / sizeof *cases);

/* Parses "dnn-train" + a + b (NULL-terminated lists, b may be NULL) into *o and its
 * settings; returns their count. */
static int settings_of(const char *const *a, const char *const *b, train_options *o,
                       train_setting *out)
{
    char *argv[MAX_ARGS + 1] = {"dnn-train"};
    int argc = 1;
    for (int k = 0; a && a[k]; k++)
        argv[argc++] = (char *)a[k];
    for (int k = 0; b && b[k]; k++)
        argv[argc++] = (char *)b[k];
    char err[512] = "";
    ck_assert_msg(train_options_parse(argc, argv, o, err, sizeof err) == 0, "%s: %s", argv[1],
                  err);
    int n = train_options_settings(o, out, TRAIN_MAX_SETTINGS);
    ck_assert_int_gt(n, 0);
    ck_assert_int_lt(n, TRAIN_MAX_SETTINGS); /* room left: a full table may be cut short */
    return n;
}

/* The setting a flag sets: its own, but --epochs is --iters by another name. */
static const char *setting_of(const char *flag)
{
    return strcmp(flag, "--epochs") == 0 ? "--iters" : flag;
}

/* The index of flag's setting in the settings, or -1. */
static int find_setting(const train_setting *s, int n, const char *flag)
{
    for (int k = 0; k < n; k++)
        if (strcmp(s[k].flag, setting_of(flag)) == 0)
            return k;
    return -1;
}

START_TEST(each_flag_changes_its_own_hash)
{
    train_options o;
    train_setting before[TRAIN_MAX_SETTINGS], after[TRAIN_MAX_SETTINGS];
    for (int c = 0; c < n_cases; c++) {
        int n = settings_of(cases[c].context, NULL, &o, before);
        ck_assert_int_eq(settings_of(cases[c].context, cases[c].change, &o, after), n);
        int k = find_setting(before, n, cases[c].flag);
        ck_assert_msg(k >= 0, "%s is not among the settings the ranks compare", cases[c].flag);
        ck_assert_msg(before[k].hash != after[k].hash, "%s %s: its hash did not change",
                      cases[c].change[0], cases[c].change[1] ? cases[c].change[1] : "");
    }
}
END_TEST

START_TEST(same_values_spelled_differently_agree)
{
    const char *const a[] = {"--lr", "0.01", "--iters", "5", "--dtype", "f32", "--chunk",
                             "auto", NULL};
    const char *const b[] = {"--lr=1e-2", "--iters=5", "--dtype", "float32", NULL};
    train_options o;
    train_setting sa[TRAIN_MAX_SETTINGS], sb[TRAIN_MAX_SETTINGS];
    int n = settings_of(a, NULL, &o, sa);
    ck_assert_int_eq(settings_of(b, NULL, &o, sb), n);
    for (int k = 0; k < n; k++)
        ck_assert_msg(sa[k].hash == sb[k].hash, "%s differs", sa[k].flag);
}
END_TEST

/* Every flag in --help is in the settings and has a case above; no flag is there
 * twice. */
START_TEST(every_flag_of_help_is_compared)
{
    char *text = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&text, &size);
    ck_assert_ptr_nonnull(f);
    train_options_usage(f);
    fclose(f);
    train_options o;
    train_setting s[TRAIN_MAX_SETTINGS];
    int n = settings_of(NULL, NULL, &o, s), found = 0;
    for (int k = 0; k < n; k++)
        ck_assert_msg(find_setting(s, k, s[k].flag) < 0, "%s is there twice", s[k].flag);
    for (const char *p = strstr(text, "--"); p; p = strstr(p + 2, "--")) {
        size_t len = 2 + strspn(p + 2, "abcdefghijklmnopqrstuvwxyz0123456789-");
        if (len == 2)
            continue;
        char flag[64];
        snprintf(flag, sizeof flag, "%.*s", (int)len, p);
        found++;
        ck_assert_msg(find_setting(s, n, flag) >= 0,
                      "%s (in --help) is not among the settings the ranks compare: add it to "
                      "train_options_settings",
                      flag);
        int has_case = 0;
        for (int c = 0; c < n_cases && !has_case; c++)
            has_case = strcmp(cases[c].flag, flag) == 0;
        ck_assert_msg(has_case, "%s: no case in tests/test_train_options.c", flag);
    }
    ck_assert_int_ge(found, 20);
    free(text);
}
END_TEST

/* --early-stop's values and the flags it needs: refused with a message naming it. */
START_TEST(early_stop_is_checked)
{
    static const char *const bad[][8] = {
        {"--train", "a.h5", "--test", "b.h5", "--early-stop", "0", NULL},
        {"--train", "a.h5", "--test", "b.h5", "--early-stop", "-2", NULL},
        {"--train", "a.h5", "--test", "b.h5", "--early-stop", "2.5", NULL},
        {"--train", "a.h5", "--early-stop", "3", NULL},
        {"--early-stop", "3", NULL},
        {"--train", "a.h5", "--test", "b.h5", "--early-stop", "3", "--print-every", "0"},
    };
    static const char *const why[] = {
        "--early-stop: expected an integer", "--early-stop: expected an integer",
        "--early-stop: expected an integer", "--early-stop needs --test",
        "--early-stop needs --test",         "--early-stop counts prints"};
    for (size_t c = 0; c < sizeof bad / sizeof *bad; c++) {
        char *argv[10] = {"dnn-train"};
        int argc = 1;
        for (int k = 0; k < 8 && bad[c][k]; k++)
            argv[argc++] = (char *)bad[c][k];
        train_options o;
        char err[512] = "";
        ck_assert_msg(train_options_parse(argc, argv, &o, err, sizeof err) == 2,
                      "case %zu: accepted", c);
        ck_assert_msg(strstr(err, why[c]), "case %zu: %s", c, err);
    }
    const char *const good[] = {"--train", "a.h5", "--test", "b.h5", "--early-stop", "5", NULL};
    train_options o;
    train_setting s[TRAIN_MAX_SETTINGS];
    settings_of(good, NULL, &o, s);
    ck_assert_int_eq(o.early_stop, 5);
    const char *const off[] = {"--train", "a.h5", "--test", "b.h5", NULL};
    settings_of(off, NULL, &o, s);
    ck_assert_int_eq(o.early_stop, 0); /* off unless asked for */
}
END_TEST

int main(void)
{
    Suite *s = suite_create("train_options");
    TCase *tc = tcase_create("settings");
    tcase_add_test(tc, each_flag_changes_its_own_hash);
    tcase_add_test(tc, same_values_spelled_differently_agree);
    tcase_add_test(tc, every_flag_of_help_is_compared);
    tcase_add_test(tc, early_stop_is_checked);
    suite_add_tcase(s, tc);
    return run_suite(s);
}

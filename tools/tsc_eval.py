"""Measure `MultiresClassifier` — and MiniRocket and ROCKET, the same way — on archive data sets; choose defaults by
cross-validation on the training splits; time the network's training steps its time limit is planned with.

    python tools/tsc_eval.py --cv --method filterbank --params '{"n_filters": 512}' --tag fb-D512 --sets GunPoint --out nbs/results/tsc_cv.jsonl
    python tools/tsc_eval.py --method minirocket --sets GunPoint ItalyPowerDemand --seeds 0 1 2 --tag minirocket --out nbs/results/tsc_scores.jsonl
    python tools/tsc_eval.py --calibrate --threads 2 --out nbs/results/tsc_calibration.jsonl
    python tools/tsc_eval.py --calibrate-head --busy --threads 1 --out nbs/results/tsc_calibration.jsonl
    python tools/tsc_eval.py --calibrate-bank --busy --threads 1 --out nbs/results/tsc_calibration.jsonl
    python tools/tsc_eval.py --published --sets Adiac Beef ... --out nbs/results/tsc_published_ucr.json

Scores: each (data set, seed) is one fit of the method (`--method`: `filterbank` or `network`, MultiresClassifier's
two methods, with `--params`, a JSON dict of constructor arguments; or `minirocket` / `rocket`, aeon's classifiers
with their defaults and `n_jobs=1`) on the archive's fixed train split, scored on its test split; one JSON line per
fit is appended to `--out` (test accuracy, which test series it got right as a string of 0s and 1s in the test
split's order, fit and predict seconds, the plan, the machine). MiniRocket and ROCKET
take series of one length only: unequal lengths are zero-padded at the end to the longest series of the train and
test splits together (the record says `padded`). `--busy` runs one `python -c "while True: pass"` beside every fit
(killed by its PID after it), to see the fit time against its plan on a machine that is not free.

Cross-validation (`--cv`): stratified on the training split only, 5 folds or as many as the smallest class has
series (at least 2), shuffled with the seed; the mean accuracy over the folds; the test split is not read. Fits already in `--out` under the same `--tag` are
skipped, so an interrupted evaluation continues where it stopped; a tag names one setting (the data sets of one tag
may come from different folders), and a run whose settings differ from the fits stored under its tag is refused. The data are aeon's bundled copies of the
UCR/UEA files (`pip install -e ".[tsc]"`), read by `multires_nb.sklearn.archive_split`, or `--folder` with
NAME/NAME_TRAIN.ts files: those `tools/archive_sets.py` writes, or any from timeseriesclassification.com.

Published results (`--published`): InceptionTime's and HIVE-COTE 2's test accuracy on each of `--sets` (the default
split, resample 0 of the tsml reference results that aeon ships in `aeon/testing/example_results_files`), as one JSON
file; a set those files lack (the archive's sets of unequal length, and Fungi) gets none.

Calibration: times training steps of the estimator's networks for a grid of sizes on synthetic data and fits
seconds per step = base + per_unit * (batch x length x d_model x n_layers x directions) by least squares: the two
constants `TUNING.tsc_step_base` and `TUNING.tsc_step_per_unit`. The filter bank's plan is seconds = base + per_unit
* (the tree's operations) + head_per_unit * (the ridge classifier's, `_head_units`). `--calibrate-head` times the
classifier alone on random features, two sizes for each of scikit-learn's two routes (more features than series,
and more series than features): `TUNING.tsc_bank_head_per_unit` and `tsc_bank_cov_ratio`. Set those, then
`--calibrate-bank` times whole filter-bank fits, takes off the classifier's part as modelled, and fits the rest on
the sizes the tree dominates: `TUNING.tsc_bank_base` and `tsc_bank_per_unit`.
"""
import argparse, contextlib, json, os, platform, statistics, subprocess, sys, time, warnings
import numpy as np
import torch


def machine() -> str:
    "CPU model, cores and torch threads: the context of every timing."
    cpu = platform.processor() or platform.machine()
    try:
        for line in open('/proc/cpuinfo'):
            if line.startswith('model name'): cpu = line.split(':', 1)[1].strip(); break
    except OSError: pass
    return f"{cpu}, {os.cpu_count()} cores, {torch.get_num_threads()} torch threads, torch {torch.__version__}"


def series_norm(X):
    "Each series, channel by channel, to mean 0 and standard deviation 1 (the common per-series z-normalisation)."
    z = lambda s: (s - s.mean(-1, keepdims=True)) / np.maximum(s.std(-1, keepdims=True), 1e-8)
    return z(np.asarray(X, np.float64)).astype(np.float32) if isinstance(X, np.ndarray) else [z(s).astype(np.float32) for s in X]


def score(name, seed, params, method='filterbank', folder=None, znorm=False, busy=False) -> dict:
    "One fit of a method on a data set's train split, scored on its test split."
    (X, y), (Xt, yt) = load_split(name, 'train', folder), load_split(name, 'test', folder)
    if znorm: X, Xt = series_norm(X), series_norm(Xt)
    padded = method in PADDED and not (isinstance(X, np.ndarray) and isinstance(Xt, np.ndarray))
    if method in PADDED: X, Xt = pad_together(X, Xt)
    clf = make(method, seed, params)
    load = os.getloadavg()[0] if hasattr(os, 'getloadavg') else None
    with busy_beside(busy):
        t0 = time.time(); clf.fit(X, y); fit_s = time.time() - t0
        t0 = time.time(); hit = clf.predict(Xt) == yt; pred_s = time.time() - t0
    return dict(dataset=name, seed=seed, method=method, acc=float(np.mean(hit)), fit_seconds=round(fit_s, 1), predict_seconds=round(pred_s, 1),
                correct=''.join('01'[int(h)] for h in hit),
                n_train=len(X), n_test=len(Xt), plan=getattr(clf, 'plan_', None), params=params, padded=padded, busy=busy,
                load_before=load, threads=getattr(clf, 'threads_', None),
                series_norm=znorm, folder=folder and os.path.basename(os.path.normpath(folder)),
                machine=machine(), time=time.strftime('%Y-%m-%d %H:%M'))


def load_split(name, split, folder=None) -> tuple:
    "An archive split, or `synthetic-NxL`: N random series of length L (5 classes; the test split holds 100 more)."
    if name.startswith('synthetic-'):
        n, L = map(int, name.split('-', 1)[1].split('x'))
        g = np.random.default_rng(0 if split == 'train' else 1)
        n = n if split == 'train' else 100
        return g.standard_normal((n, 1, L)).astype(np.float32), g.integers(0, 5, n)
    from multires_nb.sklearn import archive_split
    return archive_split(name, split, folder)


def cross_validate(name, seed, params, method='filterbank', folder=None, folds=5) -> dict:
    """Mean accuracy of stratified cross-validation on a data set's training split only: 5 folds, or as many as its
    smallest class has series (at least 2; PigCVP's 2 series per class give 2 folds)."""
    from sklearn.model_selection import StratifiedKFold
    X, y = load_split(name, 'train', folder)
    folds = max(2, min(folds, int(np.unique(y, return_counts=True)[1].min())))
    padded = method in PADDED and not isinstance(X, np.ndarray)
    if method in PADDED: X, _ = pad_together(X, X[:1])
    pick = lambda idx: X[idx] if isinstance(X, np.ndarray) else [X[i] for i in idx]
    accs, t0 = [], time.time()
    for tr, va in StratifiedKFold(folds, shuffle=True, random_state=seed).split(np.zeros(len(y)), y):
        clf = make(method, seed, params).fit(pick(tr), y[tr])
        accs.append(float(np.mean(clf.predict(pick(va)) == y[va])))
    return dict(dataset=name, seed=seed, method=method, cv_acc=float(np.mean(accs)), folds=[round(a, 4) for a in accs],
                folder=folder and os.path.basename(os.path.normpath(folder)),
                seconds=round(time.time() - t0, 1), n_train=len(y), params=params, padded=padded,
                machine=machine(), time=time.strftime('%Y-%m-%d %H:%M'))


PADDED = ('minirocket', 'rocket')


def make(method, seed, params):
    "A fresh classifier: MultiresClassifier's method, or aeon's MiniRocket / ROCKET with their defaults on one thread."
    if method in ('filterbank', 'network'):
        from multires_nb.sklearn import MultiresClassifier
        return MultiresClassifier(method=method, random_state=seed, **params)
    from aeon.classification.convolution_based import MiniRocketClassifier, RocketClassifier
    if method not in PADDED: raise SystemExit(f"--method must be filterbank, network, minirocket or rocket, got {method!r}")
    return (MiniRocketClassifier if method == 'minirocket' else RocketClassifier)(random_state=seed, n_jobs=1, **params)


def pad_together(X, Xt) -> tuple:
    "Both splits as float64 arrays (n, C, N), unequal lengths zero-padded at the end to the longest of both."
    if isinstance(X, np.ndarray) and isinstance(Xt, np.ndarray) and X.shape[-1] == Xt.shape[-1]:
        return X.astype(np.float64), Xt.astype(np.float64)
    N = max(s.shape[-1] for s in [*X, *Xt])
    pad = lambda S: np.stack([np.pad(np.asarray(s, np.float64), ((0, 0), (0, N - s.shape[-1]))) for s in S])
    return pad(X), pad(Xt)


@contextlib.contextmanager
def busy_beside(on: bool):
    "Run one busy process beside the block (killed by its PID after it), or nothing."
    p = subprocess.Popen([sys.executable, '-c', 'while True: pass']) if on else None
    try: yield
    finally:
        if p: p.kill(); p.wait()


def _fit_line(rows, name, terms=('units',)) -> dict:
    """Least-squares `seconds = base + sum of per-unit cost * units` over `rows`, one cost per term, none of them
    negative (no work takes less than no time; a zero base is `through_zero`): the record, with the worst relative error."""
    from scipy.optimize import nnls
    A = np.array([[1.] + [r[t] for t in terms] for r in rows]); b = np.array([r['seconds'] for r in rows])
    scale = np.abs(A).max(0)                                                 # columns of one size, for the solver
    coef = nnls(A / scale, b)[0] / scale
    through_zero = bool(coef[0] == 0)
    worst = max(abs(A[i] @ coef - r['seconds']) / r['seconds'] for i, r in enumerate(rows))
    names = [f'{name}_per_unit' if t == 'units' else f"{name}_{t.replace('_units', '')}_per_unit" for t in terms]
    return {'rows': rows, f'{name}_base': float(coef[0]), **{k: float(v) for k, v in zip(names, coef[1:])},
            'worst_relative_error': float(worst), 'through_zero': through_zero, 'machine': machine()}


def calibrate(sizes, d_model=64, n_layers=4, steps=20, repeats=3) -> dict:
    "Seconds per training step for each (batch, length) in `sizes`, and the least-squares base and per-unit cost."
    from multires_nb.models import MultiresNet
    from multires_nb.train import fit
    rows = []
    for bs, N in sizes:
        g = torch.Generator().manual_seed(0)
        x, y = torch.randn(bs * 2, 1, N, generator=g), torch.randint(0, 2, (bs * 2,), generator=g)
        t = []
        for r in range(repeats):
            torch.manual_seed(r)
            net = MultiresNet(1, 2, d_model=d_model, n_layers=n_layers, seq_len=N, bidirectional=True, pool='meanmax')
            t0 = time.perf_counter()
            fit(net, (x, y), val_frac=0, epochs=steps // 2, batch_size=bs, progress=False, clip_grad=1.)
            t.append((time.perf_counter() - t0) / steps)
        units = bs * N * d_model * n_layers * 2
        rows.append(dict(batch=bs, length=N, units=units, seconds=statistics.median(t), runs=[round(v, 4) for v in t]))
        print(f"batch {bs:3d} length {N:5d}: {statistics.median(t):.4f} s/step (median of {repeats}: {rows[-1]['runs']})", flush=True)
    return _fit_line(rows, 'tsc_step')


def calibrate_head(sizes, busy=False) -> dict:
    """Seconds of the filter bank's classifier alone (`_fit_head`, as the estimator fits it, BLAS threads and all), fit
    once on random features of each (n, F) in `sizes`: the seconds per unit of `_head_units` where n <= F
    (scikit-learn's Gram route), and the covariance route's seconds per unit over that (n > F)."""
    from multires_nb.sklearn import _fit_head
    rows, g = [], np.random.default_rng(0)
    for n, F in sizes:
        X, y = g.standard_normal((n, F), dtype=np.float32), g.integers(0, 5, n)
        with busy_beside(busy):
            t0 = time.perf_counter(); T = _fit_head(X, y)[1]; sec = time.perf_counter() - t0
        m = min(n, F)
        rows.append(dict(n=n, features=F, route='gram' if n <= F else 'covariance', units=m * m * (n + F), seconds=sec, threads=T))
        print(f"n {n:5d} features {F:5d} ({rows[-1]['route']}): {sec:.1f} s on {T} thread(s)", flush=True)
    per = lambda route: statistics.median(r['seconds'] / r['units'] for r in rows if r['route'] == route)
    return dict(rows=rows, tsc_bank_head_per_unit=per('gram'), tsc_bank_cov_ratio=per('covariance') / per('gram'),
                busy=busy, machine=machine())


def calibrate_bank(sizes, repeats=3, busy=False) -> dict:
    """Seconds of a default filter-bank fit on random series of each (n, N) in `sizes`, less its classifier's part as
    `TUNING` models it (`--calibrate-head` measures that first), and the least-squares base and per-operation cost of
    the rest, the tree's n D length (J + 1) (2K + 4Q) operations, from the sizes where the classifier's part is under a
    tenth of the fit (elsewhere the classifier's modelling error would be charged to the tree). The record's
    `worst_relative_error` is of the whole plan against every whole fit, the unused sizes included."""
    from multires_nb.sklearn import MultiresClassifier, _head_units
    from multires_nb.tuning import TUNING
    rows = []
    for n, N in sizes:
        X, y = load_split(f'synthetic-{n}x{N}', 'train')
        t = []
        for r in range(repeats):
            clf = MultiresClassifier(random_state=r, time_limit=1e9)           # the whole fit, whatever the model says
            with busy_beside(busy):
                t0 = time.perf_counter(); clf.fit(X, y); t.append(time.perf_counter() - t0)
        p = clf.plan_
        K = clf.kernel_size or 9
        units = n * clf.n_filters * p['length'] * (p['depth'] + 1) * (2 * K + 4 * clf.n_bias)
        head = TUNING.tsc_bank_head_per_unit * _head_units(n, p['n_features'])
        rows.append(dict(n=n, length=N, units=units, head_seconds=head, fit_seconds=statistics.median(t),
                         seconds=statistics.median(t) - head, runs=[round(v, 3) for v in t]))
        print(f"n {n:4d} length {N:5d}: {statistics.median(t):.2f} s, {head:.2f} s of it the classifier's as modelled "
              f"(median of {repeats}: {rows[-1]['runs']})", flush=True)
    for r in rows: r['used'] = r['head_seconds'] < 0.1 * r['fit_seconds']          # sizes the tree dominates
    if sum(r['used'] for r in rows) < 2:
        sys.exit("--calibrate-bank: fewer than two sizes where the classifier's part is under a tenth of the fit")
    res = _fit_line([r for r in rows if r['used']], 'tsc_bank')        # `seconds`: the fit less the classifier's part
    model = lambda r: res['tsc_bank_base'] + res['tsc_bank_per_unit'] * r['units'] + r['head_seconds']
    res['rows'], res['worst_relative_error'] = rows, max(abs(model(r) - r['fit_seconds']) / r['fit_seconds'] for r in rows)   # all fits, whole
    return dict(res, busy=busy, tsc_bank_head_per_unit=TUNING.tsc_bank_head_per_unit, tsc_bank_cov_ratio=TUNING.tsc_bank_cov_ratio)


def published(names) -> dict:
    "{set: {method: accuracy}}: InceptionTime and HIVE-COTE 2 on each set's default split, from the results aeon ships."
    import aeon
    base = os.path.join(os.path.dirname(aeon.__file__), 'testing', 'example_results_files', 'classification', 'accuracy')
    out = {n: {} for n in names}
    for method, file in (('InceptionTime', 'InceptionTime'), ('HIVE-COTE 2', 'HC2')):
        for line in open(os.path.join(base, f'{file}_accuracy.csv')):
            name, *accs = line.strip().split(',')
            if name in out: out[name][method] = round(float(accs[0]), 4)        # resample 0: the default split
    return dict(about=f"test accuracy on the default split (resample 0) from aeon {aeon.__version__}'s "
                      "testing/example_results_files/classification/accuracy/{InceptionTime,HC2}_accuracy.csv", accuracy=out)


def read_records(path) -> list:
    "The JSON records of a results file; a line cut off by an interrupted run is skipped."
    out = []
    for line in filter(str.strip, open(path)):
        try: out.append(json.loads(line))
        except json.JSONDecodeError: print(f"{path}: skipped a line that is not JSON (an interrupted write?)", file=sys.stderr)
    return out


def append_record(path, record: dict):
    "Append one JSON line and flush it to disk; a line an interruption cut off is ended first, so it cannot swallow this one."
    cut = os.path.exists(path) and os.path.getsize(path) > 0 and open(path, 'rb').read()[-1:] != b'\n'
    with open(path, 'a') as f:
        f.write(('\n' if cut else '') + json.dumps(record) + '\n'); f.flush(); os.fsync(f.fileno())


def table(rows) -> str:
    "Markdown: mean ± standard deviation of accuracy over seeds per data set, and the median fit time."
    by = {}
    for r in rows: by.setdefault(r['dataset'], []).append(r)
    out = ['| data set | accuracy (mean ± std) | seeds | fit s (median) |', '|---|---|---|---|']
    for name, rs in by.items():
        a = np.array([r['acc' if 'acc' in r else 'cv_acc'] for r in rs])
        out.append(f"| {name} | {a.mean():.3f} ± {a.std(ddof=1) if len(a) > 1 else 0:.3f} | {len(a)} | "
                   f"{statistics.median(r.get('fit_seconds', r.get('seconds')) for r in rs):.1f} |")
    return '\n'.join(out)


def int_from(low):
    "An argparse type: an integer of at least `low`."
    def parse(s) -> int:
        try: v = int(s)
        except ValueError: v = low - 1
        if v < low: raise argparse.ArgumentTypeError(f"must be an integer >= {low}, got {s!r}")
        return v
    return parse


def check_args(p, a):
    "What a run of fits needs, checked before any work: --sets, each of its splits, --method, --params. Returns params."
    if not a.sets: p.error("--sets names no data set: name one or more, e.g. --sets GunPoint ArrowHead")
    if a.method not in ('filterbank', 'network') + PADDED:
        p.error(f"--method must be filterbank, network, minirocket or rocket, got {a.method!r}")
    try: params = json.loads(a.params)
    except json.JSONDecodeError as e: p.error(f"--params is not JSON ({e}): give a dict such as '{{\"n_filters\": 512}}'")
    if not isinstance(params, dict): p.error(f"--params must be a JSON dict of constructor arguments, got {a.params}")
    try:
        clf = make(a.method, 0, params)
        with warnings.catch_warnings():                                     # a probe: its plan's warnings say nothing
            warnings.simplefilter('ignore')
            if a.method in ('filterbank', 'network'): clf.plan(10, 1, 10)     # the estimator's own checks of its arguments
    except ImportError as e: p.error(f"--method {a.method} needs {e.name}: pip install -e \".[tsc]\"")
    except (TypeError, ValueError) as e: p.error(f"--params {a.params}: {e}")
    for name in a.sets:
        for split in ('train',) if a.cv else ('train', 'test'):
            try: load_split(name, split, a.folder)
            except (FileNotFoundError, ValueError) as e: p.error(f"--sets {name}: {e}")
    return params


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--sets', nargs='*', default=[])
    p.add_argument('--seeds', nargs='+', type=int_from(0), default=[0, 1, 2])
    p.add_argument('--method', default='filterbank', help="filterbank or network (MultiresClassifier), minirocket or rocket (aeon)")
    p.add_argument('--params', default='{}', help="JSON dict of the classifier's constructor arguments")
    p.add_argument('--cv', action='store_true', help="stratified cross-validation (5 folds, fewer for small classes) on the training split only")
    p.add_argument('--busy', action='store_true', help="one busy process beside every fit")
    p.add_argument('--tag', default='default', help="a name for this configuration in --out")
    p.add_argument('--out', default=None, help="JSON lines file to append to")
    p.add_argument('--folder', default=None, help="a folder of NAME/NAME_TRAIN.ts files, e.g. the one tools/archive_sets.py writes (default: aeon's bundled sets)")
    p.add_argument('--threads', type=int_from(1), default=None, help="torch threads (default: torch's)")
    p.add_argument('--series_norm', action='store_true', help="z-normalise every series before the fit (an ablation)")
    p.add_argument('--calibrate', action='store_true', help="time the network's training steps")
    p.add_argument('--calibrate-head', action='store_true', help="time the filter bank's ridge classifier alone")
    p.add_argument('--calibrate-bank', action='store_true', help="time filter-bank fits")
    p.add_argument('--published', action='store_true', help="write InceptionTime's and HIVE-COTE 2's published accuracy on --sets to --out")
    a = p.parse_args(argv)
    if a.out and not os.path.isdir(os.path.dirname(os.path.abspath(a.out))): p.error(f"--out {a.out}: its folder does not exist")
    if a.threads: torch.set_num_threads(a.threads)
    if a.calibrate:
        res = calibrate([(16, 64), (16, 256), (64, 64), (64, 256), (32, 512), (64, 512)])
        print(json.dumps({k: v for k, v in res.items() if k != 'rows'}, indent=1))
        if a.out: append_record(a.out, dict(kind='calibration', **res))
        return
    if a.calibrate_head:
        res = calibrate_head([(2000, 6144), (4000, 6144), (20000, 2048), (10000, 4096)], busy=a.busy)
        print(json.dumps({k: v for k, v in res.items() if k != 'rows'}, indent=1))
        if a.out: append_record(a.out, dict(kind='calibration-head', **res))
        return
    if a.calibrate_bank:
        res = calibrate_bank([(50, 150), (100, 500), (200, 1000), (200, 2000), (1000, 2000), (2000, 100), (4000, 50)], busy=a.busy)
        print(json.dumps({k: v for k, v in res.items() if k != 'rows'}, indent=1))
        if a.out: append_record(a.out, dict(kind='calibration-bank', **res))
        return
    if a.published:
        if not a.out: p.error("--published needs --out, the JSON file to write")
        if not a.sets: p.error("--published needs --sets, the data sets whose published accuracies to write")
        with open(a.out, 'w') as f: json.dump(published(a.sets), f, indent=1); f.write('\n')
        return
    params = check_args(p, a)
    done = set()
    if a.out and os.path.exists(a.out):
        for r in read_records(a.out):
            if r.get('tag') != a.tag: continue
            if (r['params'] != params or r.get('series_norm', False) != a.series_norm
                    or r.get('method', 'network') != a.method or r.get('busy', False) != a.busy):
                sys.exit(f"{a.out} holds fits tagged {a.tag!r} with other settings (method {r.get('method', 'network')}, "
                         f"params {r['params']}, series_norm {r.get('series_norm', False)}, "
                         f"busy {r.get('busy', False)}): give these settings their own --tag")
            done.add((r['dataset'], r['seed']))
    rows = []
    for name in a.sets:
        for seed in a.seeds:
            if (name, seed) in done: continue
            if a.cv:
                r = dict(tag=a.tag, **cross_validate(name, seed, params, a.method, a.folder))
                print(f"{name} seed {seed}: cv accuracy {r['cv_acc']:.4f} {r['folds']}, {r['seconds']:.0f}s", flush=True)
            else:
                r = dict(tag=a.tag, **score(name, seed, params, a.method, a.folder, a.series_norm, a.busy))
                print(f"{name} seed {seed}: accuracy {r['acc']:.4f}, fit {r['fit_seconds']:.1f}s, plan {r['plan']}", flush=True)
            rows.append(r)
            if a.out: append_record(a.out, r)
    if a.out: rows = [r for r in read_records(a.out) if r.get('tag') == a.tag and r['dataset'] in a.sets]
    if rows: print(table(rows))


if __name__ == '__main__':
    main()

"""Measure `MultiresClassifier` on archive data sets, and the step cost its time limit is planned with.

    python tools/tsc_eval.py --sets GunPoint ItalyPowerDemand --seeds 0 1 2 --out nbs/results/tsc_scores.jsonl
    python tools/tsc_eval.py --calibrate --threads 2 --out nbs/results/tsc_calibration.jsonl

Scores: each (data set, seed) is one fit of the default estimator (plus `--params`, a JSON dict of constructor
arguments) on the archive's fixed train split, scored on its test split; one JSON line per fit is appended to
`--out` (test accuracy, seconds, the plan, the machine). Fits already in `--out` under the same `--tag` are
skipped, so an interrupted evaluation continues where it stopped; a tag names one setting, and a run whose settings
differ from the fits stored under its tag is refused. The data are aeon's bundled copies of the
UCR/UEA files (`pip install -e ".[tsc]"`), read by `multires_nb.data.archive_split`, or `--folder` with
NAME/NAME_TRAIN.ts files from timeseriesclassification.com.

Calibration: times training steps of the estimator's networks for a grid of sizes on synthetic data and fits
seconds per step = base + per_unit * (batch x length x d_model x n_layers x directions) by least squares: the two
constants `TUNING.tsc_step_base` and `TUNING.tsc_step_per_unit`.
"""
import argparse, json, os, platform, statistics, sys, time
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


def score(name, seed, params, folder=None, znorm=False) -> dict:
    "One fit of MultiresClassifier on a data set's train split, scored on its test split."
    from multires_nb.data import archive_split
    from multires_nb.sklearn import MultiresClassifier
    (X, y), (Xt, yt) = archive_split(name, 'train', folder), archive_split(name, 'test', folder)
    if znorm: X, Xt = series_norm(X), series_norm(Xt)
    clf = MultiresClassifier(random_state=seed, **params)
    t0 = time.time(); clf.fit(X, y); fit_s = time.time() - t0
    acc = float(clf.score(Xt, yt))
    return dict(dataset=name, seed=seed, acc=acc, fit_seconds=round(fit_s, 1), n_train=len(X), n_test=len(Xt),
                plan=clf.plan_, params=params, series_norm=znorm, folder=folder and os.path.basename(os.path.normpath(folder)),
                machine=machine(), time=time.strftime('%Y-%m-%d %H:%M'))


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
    A = np.array([[1., r['units']] for r in rows]); b = np.array([r['seconds'] for r in rows])
    base, per_unit = np.linalg.lstsq(A, b, rcond=None)[0]
    worst = max(abs(base + per_unit * r['units'] - r['seconds']) / r['seconds'] for r in rows)
    return dict(rows=rows, tsc_step_base=float(base), tsc_step_per_unit=float(per_unit), worst_relative_error=float(worst),
                machine=machine())


def read_records(path) -> list:
    "The JSON records of a results file; a line cut off by an interrupted run is skipped."
    out = []
    for line in open(path):
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
    out = ['| data set | MultiresClassifier (mean ± std) | seeds | fit s (median) |', '|---|---|---|---|']
    for name, rs in by.items():
        a = np.array([r['acc'] for r in rs])
        out.append(f"| {name} | {a.mean():.3f} ± {a.std(ddof=1) if len(a) > 1 else 0:.3f} | {len(a)} | "
                   f"{statistics.median(r['fit_seconds'] for r in rs):.0f} |")
    return '\n'.join(out)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--sets', nargs='*', default=[])
    p.add_argument('--seeds', nargs='*', type=int, default=[0, 1, 2])
    p.add_argument('--params', default='{}', help="JSON dict of MultiresClassifier arguments")
    p.add_argument('--tag', default='default', help="a name for this configuration in --out")
    p.add_argument('--out', default=None, help="JSON lines file to append to")
    p.add_argument('--folder', default=None, help="a folder of NAME/NAME_TRAIN.ts files (default: aeon's bundled sets)")
    p.add_argument('--threads', type=int, default=None, help="torch threads (default: torch's)")
    p.add_argument('--series_norm', action='store_true', help="z-normalise every series before the fit (an ablation)")
    p.add_argument('--calibrate', action='store_true')
    a = p.parse_args(argv)
    if a.threads: torch.set_num_threads(a.threads)
    if a.calibrate:
        res = calibrate([(16, 64), (16, 256), (64, 64), (64, 256), (32, 512), (64, 512)])
        print(json.dumps({k: v for k, v in res.items() if k != 'rows'}, indent=1))
        if a.out: append_record(a.out, dict(kind='calibration', **res))
        return
    params = json.loads(a.params)
    done = set()
    if a.out and os.path.exists(a.out):
        for r in read_records(a.out):
            if r.get('tag') != a.tag: continue
            folder = a.folder and os.path.basename(os.path.normpath(a.folder))
            if r['params'] != params or r.get('series_norm', False) != a.series_norm or r.get('folder') != folder:
                sys.exit(f"{a.out} holds fits tagged {a.tag!r} with other settings (params {r['params']}, series_norm "
                         f"{r.get('series_norm', False)}, folder {r.get('folder')}): give these settings their own --tag")
            done.add((r['dataset'], r['seed']))
    rows = []
    for name in a.sets:
        for seed in a.seeds:
            if (name, seed) in done: continue
            r = dict(tag=a.tag, **score(name, seed, params, a.folder, a.series_norm))
            print(f"{name} seed {seed}: accuracy {r['acc']:.4f}, fit {r['fit_seconds']:.0f}s, plan {r['plan']}", flush=True)
            rows.append(r)
            if a.out: append_record(a.out, r)
    if a.out: rows = [r for r in read_records(a.out) if r.get('tag') == a.tag and r['dataset'] in a.sets]
    if rows: print(table(rows))


if __name__ == '__main__':
    main()

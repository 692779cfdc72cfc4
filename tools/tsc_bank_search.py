"""The search that chose the filter bank's design: variants of the bank scored by cross-validation on training splits.

    python tools/archive_sets.py ARCHIVE
    python tools/tsc_bank_search.py --folder ARCHIVE --out nbs/results/tsc_bank_search.jsonl
    python tools/tsc_bank_search.py --variants default no-window --sets GunPoint ArrowHead     # aeon's sets need no folder
    python tools/tsc_bank_search.py --list

Each variant changes one or two things of `MultiresClassifier(method='filterbank')`'s design (the filters, the pooled
statistics, the window, the thresholds, the inputs). Four variants are a second round, drawn up after the
thirteen sets' test splits had been read (the estimator's chapter says what led to them), and the next four a third,
drawn up after the test splits of 45 held-out sets had been read, and scored on the training splits of 37 of them as
well (`--sets` takes any set in `--folder`). Then come a fourth round, MultiRocket's statistics of where the
positive values lie, a fifth, Hydra's competing filters, and a sixth, series of unequal lengths stretched to the
window instead of padded, scored on the same fifty training splits. No variant
of any round beat the default by the half point the search counts as a difference. For each data set and seed (0 and 1) the variant's bank is drawn,
its thresholds are taken from the training split, every training series is turned into features once, and a
stratified k-fold cross-validation (5 folds, or as many as the smallest class has series, at least 2; folds shuffled
with seed 0, the folds of `tsc_eval.py --cv --seeds 0`) fits the estimator's classifier (standardised features,
`RidgeClassifierCV`) on four folds and scores the fifth. Only the training splits are read. The features are made
once per set and seed, not once per fold, which is what makes a search of many variants cheap: the thresholds see
all training series (never their labels), a small advantage the estimator's own cross-validation
(`tsc_eval.py --cv`) does not have; the chosen default is cross-validated that way too.

The data sets: aeon's eight bundled sets, and (with `--folder`, written by `tools/archive_sets.py`) Coffee, PigCVP,
Trace, PLAID and UnitTest by default, or any other set of the folder. One JSON line per variant and set: the mean accuracy over the seeds, each seed's, the
number of features and the seconds. A (variant, set) already in `--out` is skipped, so an interrupted search
continues where it stopped.
"""
import argparse, json, math, os, sys, time
import numpy as np
import torch
from sklearn.linear_model import RidgeClassifierCV
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from multires_nb.core import tree_depth
from multires_nb.sklearn import (archive_split, _as_series, _as_window, _bank_inputs, _downsample, _levels,
                                 _norm_stats, _normalise)
from tsc_eval import append_record, read_records                # the same JSON lines file handling

EIGHT = ['GunPoint', 'ItalyPowerDemand', 'PickupGestureWiimoteZ', 'BasicMotions', 'JapaneseVowels', 'ArrowHead',
         'OSULeaf', 'ACSF1']
FIVE = ['Coffee', 'PigCVP', 'Trace', 'PLAID', 'UnitTest']

# The default, and each variant as its changes to the default.
DEFAULT = dict(filters='identity', spread=0.3, K=9, D=256, Q=4, stats='ppv,mpv', window='padded', diff=True, rates=[1],
               thresholds='window', q_budget=None, length=False, valid=False)
VARIANTS = {
    'default': {},
    'first-bank': dict(filters='gauss', K=4, Q=2, stats='mean,max,ppv', window='real'),   # the bank before this search
    'gauss-filters': dict(filters='gauss'),                 # h0, h1 both Gaussian (h1 not zero-sum)
    'smoothing-h0': dict(filters='smooth'),                 # h0 = 1 + noise: the cascade smooths, like a wavelet's h0
    'identity-h0': dict(spread=0.),                         # h0 exactly the identity: b_j = h1 dilated by 2^j on x
    'spread-0.5': dict(spread=0.5),
    'K4': dict(K=4),
    'mean-max-ppv': dict(stats='mean,max,ppv', Q=2),        # the first bank's statistics
    'Q6-D192': dict(Q=6, D=192),
    'no-window': dict(window='real'),                       # pool over each series' own positions only
    'no-diff': dict(diff=False),
    'half-octaves': dict(rates=[1, 2 ** 0.5], D=128),       # a second bank over the series resampled by sqrt(2)
    # The second round (see the estimator's chapter): drawn up after the 13 sets' test splits had been read.
    'real-thresholds': dict(thresholds='real'),             # quantiles over the drawn series' own positions, not its padding
    'q-budget': dict(q_budget=7 * 4 * 256),                 # shallow trees get more thresholds: Q = 7168 / (D (J + 1)), 4 to 16
    'length': dict(length=True),                            # the log of each series' length, as one more feature
    'Q8': dict(Q=8),
    # The third round: drawn up after the 45 held-out sets' test splits had been read, scored on their training splits too.
    'ppv-Q8': dict(stats='ppv', Q=8),                       # MiniRocket's one statistic, as many features as the default
    'D512': dict(D=512),                                    # twice the channels: less variance from the draw
    'pattern-h1': dict(filters='pattern'),                  # h1: three taps of 2 and six of -1, MiniRocket's kernels
    'valid-half': dict(valid=True),                         # half the channels pool only positions past the causal warm-up
    # The fourth round: MultiRocket's two statistics of where the positive values lie (Tan et al., 2022), drawn up
    # from that paper, after the same test splits had been read; scored on the same 50 training splits.
    'where-stats': dict(stats='ppv,mpv,mipv,lspv', Q=2),    # + mean index and longest run of positive values; as many features
    'where-stats-Q4': dict(stats='ppv,mpv,mipv,lspv'),      # the same at Q = 4: twice the features
    # The fifth round: Hydra's competing kernels (Dempster et al., 2023), scored on the same 50 training splits.
    'compete': dict(stats='ppv,mpv,compete'),               # + per group of 8 channels, how often and how strongly each wins
    'compete-Q2': dict(stats='ppv,mpv,compete', Q=2),       # the same with half the thresholds: fewer features than the default
    # The sixth round: unequal lengths brought to the window by stretching each series (linear interpolation) instead of
    # padding it with zeros; on a set of equal lengths it is the default exactly. Scored on the same 50 training splits.
    'stretch': dict(window='stretch'),
    'stretch-length': dict(window='stretch', length=True),  # the same, with the log of each series' own length as a feature
}


def draw_filters(v, D, rng):
    "h0, h1 (D, K) of unit norm, as the variant draws them."
    K = v['K']
    if v['filters'] == 'gauss': h0, h1 = rng.standard_normal((D, K)), rng.standard_normal((D, K))
    else:
        h0 = v['spread'] * rng.standard_normal((D, K))
        if v['filters'] in ('identity', 'pattern'): h0[:, -1] += 1
        elif v['filters'] == 'smooth': h0 += 1
        else: raise SystemExit(f"unknown filters {v['filters']!r}")
        if v['filters'] == 'pattern':                                         # MiniRocket's shape: 3 of K taps at 2, the rest -1
            h1 = -np.ones((D, K))
            for d in range(D): h1[d, rng.choice(K, 3, replace=False)] = 2
        else: h1 = rng.standard_normal((D, K))
        h1 -= h1.mean(1, keepdims=True)
    return [torch.tensor(h / np.linalg.norm(h, axis=1, keepdims=True), dtype=torch.float32)[:, None] for h in (h0, h1)]


def features(v, x, lengths, real_lengths, rng):
    "The variant's features of the (standardised) training series x (n, C, N), whose own lengths are `real_lengths`."
    if v['diff']: x = _bank_inputs(x, lengths)
    J, D = tree_depth(x.shape[-1], v['K']), v['D']
    Q = v['Q'] if v['q_budget'] is None else int(np.clip(round(v['q_budget'] / (D * (J + 1))), v['Q'], 16))
    h0, h1 = draw_filters(v, D, rng)
    mix = np.zeros((D, x.shape[1]))
    for d in range(D):
        ch = rng.choice(x.shape[1], rng.integers(1, min(x.shape[1], 3) + 1), replace=False)
        mix[d, ch] = rng.standard_normal(len(ch))
    mix, stats = torch.tensor(mix, dtype=torch.float32), v['stats'].split(',')
    if 'compete' in stats and (v['valid'] or D % 8): sys.exit("the 'compete' statistic needs D a multiple of 8 and valid=False")
    idx = rng.integers(0, len(x), D)                                          # one series per channel: thresholds
    u = torch.einsum('dc,dcn->dn', mix, torch.as_tensor(x[idx]))[None]
    L = torch.as_tensor((real_lengths if v['thresholds'] == 'real' else lengths)[idx])
    frac = torch.tensor(rng.uniform(0.1, 0.9, (D, J + 1, Q)), dtype=torch.float32)
    real = torch.arange(x.shape[-1]) < L[:, None]
    beta = torch.stack([torch.where(real, c[0], torch.inf).sort(-1).values.gather(1, (frac[:, l] * (L[:, None] - 1)).round().long())
                        for l, c in enumerate(_levels(u, h0, h1, J))], 1)
    out = []
    for i in range(0, len(x), 16):
        L = torch.as_tensor(lengths[i:i + 16]); inside = (torch.arange(x.shape[-1]) < L[:, None])[:, None]
        fs = []
        for l, c in enumerate(_levels(torch.einsum('dc,bcn->bdn', mix, torch.as_tensor(x[i:i + 16])), h0, h1, J)):
            if v['valid']:                                  # warm-up: positions that read causal zeros (thresholds as drawn above)
                warm = (v['K'] - 1) * (2 ** (min(l, J - 1) + 1) - 1)
                ok = inside & (torch.arange(x.shape[-1]) >= warm)
                ok = torch.where(ok.any(-1, keepdim=True), ok, inside)       # no position past it: all of them
                half = (torch.arange(D) >= D // 2)[None, :, None]
                inside_l = torch.where(half, ok, inside)
                n = inside_l.sum(-1).float()
            else: inside_l, n = inside, L[:, None].float()
            if 'mean' in stats: fs.append((c * inside_l).sum(-1) / n)
            if 'max' in stats: fs.append(c.masked_fill(~inside_l, -torch.inf).amax(-1))
            if 'compete' in stats:                          # channels in groups of 8: at each position the largest wins
                top, win = c.reshape(len(c), D // 8, 8, -1).max(2)                  # (b, D / 8, N)
                won = torch.nn.functional.one_hot(win, 8).transpose(-1, -2) * inside[:, :, None]    # (b, D / 8, 8, N)
                fs += [(won.sum(-1) / n[:, :, None]).flatten(1), ((won * top[:, :, None]).sum(-1) / n[:, :, None]).flatten(1)]
            for q in range(Q):
                over = (c - beta[:, l, q, None]).clamp(min=0) * inside_l
                n_pos = (over > 0).sum(-1).float()
                if 'ppv' in stats: fs.append(n_pos / n)
                if 'mpv' in stats: fs.append(over.sum(-1) / n_pos.clamp(min=1))
                if 'mipv' in stats or 'lspv' in stats: pos = over > 0
                if 'mipv' in stats:                         # mean position of the positive values, over the length; -1 if none
                    at = (pos * torch.arange(x.shape[-1])).sum(-1) / n_pos.clamp(min=1) / n
                    fs.append(torch.where(n_pos > 0, at, -1.))
                if 'lspv' in stats:                         # longest run of positive values, over the length
                    run = pos.cumsum(-1)
                    fs.append((run - torch.where(pos, 0, run).cummax(-1).values).amax(-1) / n)
        out.append(torch.stack(fs, -1).flatten(1))
    return torch.cat(out).numpy()


def resample(x, lengths, real_lengths, r):
    "Series resampled by linear interpolation to 1/r of their length."
    if r == 1: return x, lengths, real_lengths
    M = max(1, int(round(x.shape[-1] / r)))
    x = torch.nn.functional.interpolate(torch.as_tensor(x), size=M, mode='linear', align_corners=False).numpy()
    return x.astype(np.float32), *(np.maximum(1, np.round(l / r)).astype(np.int64) for l in (lengths, real_lengths))


def stretch(x, lengths):
    "Each series (n, C, N) linearly interpolated from its own length to all N positions."
    out = x.copy()
    for i in np.flatnonzero(lengths < x.shape[-1]):
        t = np.linspace(0, lengths[i] - 1, x.shape[-1])
        out[i] = [np.interp(t, np.arange(lengths[i]), c[:lengths[i]]) for c in x[i]]
    return out


def train_features(v, name, seed, folder):
    "(features, labels) of a set's training split, for one seed."
    X, y = archive_split(name, 'train', None if name in EIGHT else folder)
    if v['window'] not in ('padded', 'real', 'stretch'): sys.exit(f"unknown window {v['window']!r}")
    x, real = _as_series(X)
    own = real                                                                # each series' own length
    if v['window'] == 'stretch': x, real = stretch(x, real), np.full(len(x), x.shape[-1])
    lengths = real
    if v['window'] != 'real': x, lengths = _as_window(x, lengths, x.shape[-1])
    down = math.ceil(x.shape[-1] / 4096)
    x, lengths = _downsample(x, lengths, down)
    real, own = (np.ceil(l / down).astype(np.int64) for l in (real, own))
    mu, sd = _norm_stats(x, lengths); x = _normalise(x, lengths, mu, sd)
    rng = np.random.default_rng(seed)
    F = [features(v, *resample(x, lengths, real, r), rng) for r in v['rates']]
    return np.hstack(F + ([np.log(own)[:, None].astype(F[0].dtype)] if v['length'] else [])), np.asarray(y)


def cross_validate(F, y) -> float:
    folds = max(2, min(5, int(np.unique(y, return_counts=True)[1].min())))
    head = lambda: make_pipeline(StandardScaler(), RidgeClassifierCV(alphas=np.logspace(-3, 3, 10)))
    return float(np.mean([head().fit(F[tr], y[tr]).score(F[va], y[va])
                          for tr, va in StratifiedKFold(folds, shuffle=True, random_state=0).split(F, y)]))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--variants', nargs='*', default=list(VARIANTS), choices=list(VARIANTS), metavar='VARIANT')
    p.add_argument('--sets', nargs='*', default=EIGHT + FIVE, metavar='SET',
                   help="aeon's eight (no folder needed) and any set in --folder (default: the eight and the five)")
    p.add_argument('--seeds', nargs='+', type=int, default=[0, 1])
    p.add_argument('--folder', default=None, help="the folder tools/archive_sets.py wrote (for every set but aeon's eight)")
    p.add_argument('--out', default=None, help="JSON lines file to append to")
    p.add_argument('--list', action='store_true', help="print the variants and stop")
    a = p.parse_args(argv)
    if a.out and not os.path.isdir(os.path.dirname(os.path.abspath(a.out))): p.error(f"--out {a.out}: its folder does not exist")
    if a.list:
        for k, ch in VARIANTS.items(): print(f"{k:14s} {json.dumps(ch)}")
        return
    need = [n for n in a.sets if n not in EIGHT]
    if need and a.folder is None:
        p.error(f"--folder is needed for {', '.join(need)}: the folder `python tools/archive_sets.py FOLDER` writes")
    for name in a.sets:                                                       # every set readable, before any work
        try: archive_split(name, 'train', None if name in EIGHT else a.folder)
        except (FileNotFoundError, ValueError) as e: p.error(str(e))
    done = set()
    if a.out and os.path.exists(a.out):
        done = {(r['tag'], r['dataset']) for r in read_records(a.out)}     # a line an interruption cut off is skipped
    torch.set_num_threads(1)
    for tag in a.variants:
        v = {**DEFAULT, **VARIANTS[tag]}
        for name in a.sets:
            if (tag, name) in done: continue
            t0 = time.time(); accs = []
            for seed in a.seeds:
                F, y = train_features(v, name, seed, a.folder); accs.append(cross_validate(F, y))
            r = dict(tag=tag, variant=v, dataset=name, cv_acc=float(np.mean(accs)), seeds=a.seeds,
                     accs=[round(x, 4) for x in accs], n_features=F.shape[1], seconds=round(time.time() - t0, 1))
            print(f"{tag:14s} {name:22s} {r['cv_acc']:.4f}", flush=True)
            if a.out: append_record(a.out, r)


if __name__ == '__main__':
    main()

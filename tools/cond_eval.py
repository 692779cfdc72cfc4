"""Conditional generation on the 8x8 digits, measured: an unconditional and a class-conditional MultiresAR of the same
size, trained by `fit` with the same seed and schedule on the split of `multires_train --task ar-digits`.

    OMP_NUM_THREADS=1 nice python tools/cond_eval.py            # writes nbs/results/cond_digits.json and cond_digits_samples.npz

Measures (a) the test bits/dim of both models; (b) class fidelity: a MultiresNet classifier, trained on the real
training digits (validated on the real validation digits), labels `--per_class` samples drawn for each requested
class, beside its accuracy on the real test digits; (c) continuation: the bits/dim the models give the true bottom
halves of the test digits given their top halves (exact, from one causal forward pass), and the time of reading a
32-position prefix by one forward pass against 32 steps (medians of `--repeats` runs, in one process). The npz holds
half test digits completed several ways beside the originals, and a grid of samples per requested class.
"""
from __future__ import annotations
import argparse, io, json, math, os, platform, shlex, statistics, sys, time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import torch

from multires_nb.benchmarks import digits, _digits_levels, _split3
from multires_nb.dmol import dmol_log_prob, level_index, level_value
from multires_nb.bench import _cpu_model
from multires_nb.files import atomic_write
from multires_nb.generate import _read_prefix
from multires_nb.models import MultiresAR, MultiresNet, count_params
from multires_nb.tasks import get_task
from multires_nb.train import evaluate, fit

ROOT = Path(__file__).resolve().parent.parent




def digit_splits(seed:int) -> dict:
    "The levels and labels of the split `multires_train --task ar-digits --seed SEED` trains on (checked against it)."
    from sklearn.datasets import load_digits
    k, y = _digits_levels(), torch.from_numpy(load_digits().target).long()
    ds = digits(seed=seed)
    parts = dict(zip(('train', 'val', 'test'), _split3(len(k), 180, 180, seed)))
    for name, idx in parts.items():                     # the same examples as the task's loader, in the same order
        if not torch.equal(k[idx], getattr(ds, name).tensors[0]): raise RuntimeError(f"the {name} split differs from benchmarks.digits")
    return {name: (k[idx], y[idx]) for name, idx in parts.items()}, ds


def train_ar(n_classes, splits, ds, recipe, epochs:int, seed:int):
    "A MultiresAR of the recipe's size (class-conditional with n_classes), trained by fit on (levels, labels) pairs."
    torch.manual_seed(seed)                             # the same initial weights (the class embedding is built last)
    model = MultiresAR(d_input=ds.d_input, seq_len=ds.seq_len, n_levels=ds.n_levels, n_classes=n_classes, **recipe.model_kw())
    fit_kw = {**recipe.fit_kw(), 'epochs': epochs}
    t0 = time.perf_counter()
    m = fit(model, splits['train'], val=splits['val'], test=splits['test'], seed=seed, progress=False,
            name='conditional' if n_classes else 'unconditional', **fit_kw)
    return model.eval(), m, time.perf_counter() - t0, fit_kw


def train_classifier(splits, n_levels:int, epochs:int, seed:int):
    "A MultiresNet on the real digits (values on the grid), selected on the validation split."
    torch.manual_seed(seed)
    clf = MultiresNet(d_input=1, d_output=10, d_model=32, n_layers=4, seq_len=64, dropout=0.1)
    as_x = lambda s: (level_value(s[0], n_levels), s[1])
    m = fit(clf, as_x(splits['train']), val=as_x(splits['val']), test=as_x(splits['test']), epochs=epochs, lr=4e-3,
            weight_decay=0.05, batch_size=64, seed=seed, progress=False, name='classifier')
    return clf.eval(), m


@torch.no_grad()
def bottom_half_bpd(model, x, labels, P:int) -> dict:
    "Bits/dim of positions P.. of `x` given positions ..P-1 (causal: one forward pass), and of the whole digit."
    params = model(x) if labels is None else model(x, labels)
    lp = dmol_log_prob(params, x, model.n_levels)       # (B, N), nats
    bits = lambda a: (-a.sum() / (a.numel() * math.log(2))).item()
    return dict(bottom_given_top=bits(lp[:, P:]), top=bits(lp[:, :P]), whole=bits(lp))


@torch.no_grad()
def stepped_state(model, x, labels, P:int) -> list:
    "The streaming states after P positions, one `step` per position."
    states = model.init_state(x.shape[0])
    prev = torch.zeros_like(x[..., 0])
    for t in range(P):
        model.step(prev, states, labels); prev = x[..., t]
    return states


@torch.no_grad()
def prefix_timing(model, x, labels, P:int, repeats:int) -> dict:
    "Reading a P-position prefix in one pass vs P steps: the next position's parameters agree; medians of `repeats` runs."
    full = model(x) if labels is None else model(x, labels)
    out = {}
    for name, read in (('one_pass', lambda: _read_prefix(model, x[..., :P], labels)),
                       ('steps', lambda: stepped_state(model, x, labels, P))):
        states = read()
        nxt = model.step(x[..., P - 1], states, labels)  # the parameters at position P from that state
        out[f'{name}_max_abs_diff'] = (nxt - full[..., P]).abs().max().item()
        ts = []
        for _ in range(repeats):
            t0 = time.perf_counter(); read(); ts.append(time.perf_counter() - t0)
        out[f'{name}_ms'] = 1e3 * statistics.median(ts)
    out['speedup'] = out['steps_ms'] / out['one_pass_ms']
    return out


@torch.no_grad()
def fidelity(clf, cond, per_class:int, n_levels:int, seed:int) -> tuple:
    "Samples of each class from the conditional model, and the share the classifier labels as the requested class."
    shares, samples = {}, []
    for c in range(10):
        s = cond.generate(per_class, seed=seed + c, label=c)          # values on the grid (per_class, 1, 64)
        pred = clf(s).argmax(-1)
        shares[c] = (pred == c).double().mean().item()
        samples.append(level_index(s, n_levels).to(torch.uint8))
    return shares, torch.stack(samples)                                 # (10, per_class, 1, 64)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--seed', type=int, default=42, help="the split's and the models' seed (multires_train's default)")
    p.add_argument('--epochs', type=int, default=None, help="epochs of both autoregressive models (default: the ar-digits recipe's)")
    p.add_argument('--clf_epochs', type=int, default=30, help="epochs of the classifier")
    p.add_argument('--per_class', type=int, default=100, help="samples drawn for each class")
    p.add_argument('--n_complete', type=int, default=8, help="test digits whose bottom halves are completed in the pictures")
    p.add_argument('--ways', type=int, default=4, help="completions of each")
    p.add_argument('--repeats', type=int, default=9, help="runs of each timing (their median is reported)")
    p.add_argument('--threads', type=int, default=1)
    p.add_argument('--out', default=str(ROOT/'nbs'/'results'), help="folder of cond_digits.json and cond_digits_samples.npz")
    a = p.parse_args(argv)
    torch.set_num_threads(a.threads)
    recipe = get_task('ar-digits').recipes['small']
    epochs = a.epochs or recipe.epochs
    splits, ds = digit_splits(a.seed)
    V, P = ds.n_levels, ds.seq_len // 2                 # the prefix: the top 4 rows
    rec = dict(command=' '.join(['python tools/cond_eval.py'] + [shlex.quote(s) for s in (argv if argv is not None else sys.argv[1:])]),
               machine=dict(platform=platform.platform(), processor=_cpu_model(),
                            cpu_count=os.cpu_count(), torch=torch.__version__, threads=torch.get_num_threads()),
               date=datetime.now(timezone.utc).strftime('%Y-%m-%d %H:%M UTC'),
               data=dict(name='8x8 digits (scikit-learn)', split_seed=a.seed, n_levels=V, seq_len=ds.seq_len,
                         sizes={k: len(v[1]) for k, v in splits.items()}, split='multires_train --task ar-digits --seed %d' % a.seed))
    models, rec['models'] = {}, {}
    for name, k in (('unconditional', None), ('conditional', 10)):
        model, m, secs, fit_kw = train_ar(k, splits, ds, recipe, epochs, a.seed)
        models[name] = model
        rec['models'][name] = dict(config=model.config, params=count_params(model), fit=fit_kw, best_epoch=m['best_epoch'],
                                   val_bpd=m['best_val_metric'], test_bpd=m['test_bpd'], train_seconds=round(secs, 1))
        print(f"{name}: test bits/dim {m['test_bpd']:.4f} ({count_params(model):,d} parameters, {secs:.0f}s)", flush=True)
    clf, mc = train_classifier(splits, V, a.clf_epochs, a.seed)
    shares, grid = fidelity(clf, models['conditional'], a.per_class, V, a.seed)
    rec['fidelity'] = dict(classifier=dict(config=clf.config, params=count_params(clf), epochs=a.clf_epochs,
                                           test_acc_real=mc['test_acc'], val_acc_real=mc['best_val_metric']),
                           per_class=a.per_class, temperature=1.0, share_by_class={str(c): v for c, v in shares.items()},
                           share=sum(shares.values()) / 10, chance=0.1)
    print(f"fidelity: {rec['fidelity']['share']:.3f} of samples recognised as the requested class; classifier on real test digits {mc['test_acc']:.3f}", flush=True)
    xt, yt = level_value(splits['test'][0], V), splits['test'][1]
    rec['continuation'] = dict(prefix_positions=P, bits_per_dim={
        'unconditional': bottom_half_bpd(models['unconditional'], xt, None, P),
        'conditional (true label)': bottom_half_bpd(models['conditional'], xt, yt, P)})
    timing = {}
    for B in (1, len(yt)):
        timing[f'B={B}'] = prefix_timing(models['unconditional'], xt[:B], None, P, a.repeats)
    rec['continuation']['prefix_read'] = dict(shape=f"prefix (B, 1, {P}) of a {count_params(models['unconditional']):,d}-parameter MultiresAR "
                                                    f"(d_model {recipe.d_model}, {recipe.n_layers} blocks), CPU, {torch.get_num_threads()} thread(s), "
                                                    f"median of {a.repeats} runs each", **timing)
    torch.manual_seed(a.seed)                           # the same width on longer sequences (untrained: timing only)
    long = MultiresAR(d_input=1, seq_len=1024, n_levels=V, **recipe.model_kw()).eval()
    xl = level_value(torch.randint(0, V, (16, 1, 1024), generator=torch.Generator().manual_seed(a.seed)), V)
    rec['continuation']['prefix_read_long'] = dict(shape=f"prefix (B, 1, 512) of an untrained MultiresAR of the same width, seq_len 1024 "
                                                         f"(depth {long.blocks[0].layer.conv.depth}), CPU, {torch.get_num_threads()} thread(s), median of {a.repeats} runs each",
                                                   **{f'B={B}': prefix_timing(long, xl[:B], None, 512, a.repeats) for B in (1, 16)})
    print(json.dumps(rec['continuation'], indent=1), flush=True)
    # pictures: half digits completed several ways, beside the originals
    g = torch.Generator().manual_seed(a.seed)
    pick = torch.randperm(len(yt), generator=g)[:a.n_complete]
    comp = {}
    for name, label in (('unconditional', None), ('conditional', yt[pick])):
        ways = []
        for w in range(a.ways):
            s = models[name].generate(len(pick), prefix=xt[pick, :, :P], seed=a.seed + 100 + w,
                                      label=None if label is None else label)
            ways.append(level_index(s, V).to(torch.uint8))
        comp[name] = torch.stack(ways, 1)                                  # (n, ways, 1, 64)
    assert all(torch.equal(c[:, :, :, :P], splits['test'][0][pick, None].expand(-1, a.ways, -1, -1)[..., :P]) for c in comp.values())
    arrays = dict(originals=splits['test'][0][pick].reshape(-1, 8, 8).numpy(), original_labels=yt[pick].numpy(),
                  completions_unconditional=comp['unconditional'].reshape(len(pick), a.ways, 8, 8).numpy(),
                  completions_conditional=comp['conditional'].reshape(len(pick), a.ways, 8, 8).numpy(),
                  class_samples=grid[:, :8].reshape(10, -1, 8, 8).numpy(), prefix_rows=np.array(P // 8), n_levels=np.array(V))
    out = Path(a.out)
    def write_npz(f):
        buf = io.BytesIO(); np.savez_compressed(buf, **arrays); f.write(buf.getvalue())
    atomic_write(out/'cond_digits_samples.npz', write_npz)
    rec['samples_file'] = 'cond_digits_samples.npz'
    atomic_write(out/'cond_digits.json', json.dumps(rec, indent=1) + '\n')
    print(f"wrote {out/'cond_digits.json'} and {out/'cond_digits_samples.npz'}")


if __name__ == '__main__':
    main()

#!/usr/bin/env python3
"""The GPU check: one prepared command that checks everything that runs differently on a GPU, and writes it all to
one JSON file. It needs a clone of the repository (it runs the chapters in `nbs/`) with the `dev` install:

    python tools/gpucheck.py                  # on a GPU: about 5 minutes; writes gpucheck.json
    python tools/gpucheck.py --device cpu     # the same checks on the CPU, smaller, in about a minute
    python tools/gpucheck.py --only fast_path streaming

A GPU is often lent for minutes, so what has to be checked on it is prepared here. Every check runs even if one
before it failed; each reports what it measured and whether it passed, a summary line per check is printed, and
the exit status is 1 if any failed. On the CPU the same code runs with smaller sizes, so the check cannot rot while
no GPU is lent; the chapters' `cuda` cells are skipped there: most take their device from `MULTIRES_NB_DEVICE`
(`cpu` gives a dry run of those of 03_core and 15_speed), but 06_generate's cuda cell moves its models with
`.cuda()` and needs a GPU. Its tests: `python -m pytest tools/test_gpucheck.py`.

| check      | what                                                                   | passes when |
|------------|------------------------------------------------------------------------|-------------|
| notebooks  | `nbdev_test --flags cuda` on the chapters with `cuda` cells            | every chapter passes |
| fast_path  | MultiresConv fwd+bwd in float32, bf16, fp16 (autocast) against the tree in float64, on the device | rel. error <= 1e-5 (float32, TF32 off), <= 3e-2 (bf16, fp16) |
| streaming  | 64 `step`s against `forward`, on the device, float32                   | max difference <= 1e-4, the state on the device |
| generation | `MultiresAR.generate` on the device, cached against recomputed         | samples on the device, no CPU fallback, equal up to rounding ties |
| training   | `multires_train` for 2 epochs at precision 32, bf16 and 16             | every run finishes with finite metrics |
| bench      | time and memory of the tree, the fast path and S4D against N; the conv1d/FFT crossover | the fast path is faster than the tree at every N |

On a GPU the float32 comparisons switch TF32 off (TF32 rounds the inputs of convolutions and matrix products to
10-bit mantissas, about 1e-3 relative error, which would hide any real error below that). The reference is the
direct tree in float64 with the same parameters: at long sequences the float32 tree is the less accurate of the
two paths, so it cannot be the reference.
"""
from __future__ import annotations
import argparse, json, math, os, subprocess, sys, tempfile, time, traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NBS = ROOT/'nbs'
CUDA_CHAPTERS = ('03_core.ipynb', '06_generate.ipynb', '15_speed.ipynb')

import torch
from multires_nb.core import MultiresConv
from multires_nb.models import MultiresAR
from multires_nb.generate import _kernel_unusable
from multires_nb.files import atomic_write
from multires_nb import bench


def _rel(a, b) -> float: return ((a.double() - b.double()).norm() / b.double().norm().clamp_min(1e-300)).item()


class _NoTF32:
    "Full float32 convolutions and matrix products on CUDA inside the block."
    def __enter__(self):
        self.old = torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32
        torch.backends.cudnn.allow_tf32 = torch.backends.cuda.matmul.allow_tf32 = False
    def __exit__(self, *exc): torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32 = self.old


def check_fast_path(device, N:int=None, d:int=16, B:int=2) -> dict:
    "The fast path in float32, bf16 and fp16 against the float64 tree: relative errors of y and of the gradients."
    dev = torch.device(device); N = N or (65536 if dev.type == 'cuda' else 4096)
    torch.manual_seed(0)
    c64 = MultiresConv(d, seq_len=N, device=dev, dtype=torch.float64, impl='tree')
    c32 = MultiresConv(d, seq_len=N, device=dev)
    with torch.no_grad(): [p.copy_(q) for p, q in zip(c32.parameters(), c64.parameters())]
    x = torch.randn(B, d, N, device=dev, dtype=torch.float64); g = torch.randn_like(x)
    def run(conv, x, dtype=None):
        xi = x.clone().requires_grad_()
        with torch.autocast(dev.type, dtype=dtype, enabled=dtype is not None):
            y = conv(xi if dtype is None else xi.to(dtype))
        y = y.double()
        return [y.detach(), *torch.autograd.grad(y, (xi, *conv.parameters()), g)]
    ref = run(c64, x)
    out, tol = {}, dict(float32=1e-5, bfloat16=3e-2, float16=3e-2)
    with _NoTF32():
        for name, dt in (('float32', None), ('bfloat16', torch.bfloat16), ('float16', torch.float16)):
            got = run(c32, x.float(), dt)
            out[name] = max(_rel(a, b) for a, b in zip(got, ref))
    return dict(N=N, d=d, B=B, rel_err=out, passed=all(out[k] <= tol[k] for k in out))


def check_streaming(device, d:int=32, N:int=2048, T:int=64) -> dict:
    "64 streaming steps against forward on the device (float32, TF32 off)."
    dev = torch.device(device)
    torch.manual_seed(0)
    c = MultiresConv(d, seq_len=N, device=dev)
    x = torch.randn(4, d, N, device=dev)
    with _NoTF32(), torch.no_grad():
        y = c(x)
        st = c.init_state(4)
        ys = torch.stack([c.step(x[..., t], st)[0] for t in range(T)], -1)
    err = (ys - y[..., :T]).abs().max().item()
    on_device = st.levels.device.type == dev.type and ys.device.type == dev.type
    return dict(max_abs_diff=err, state_device=str(st.levels.device), passed=err <= 1e-4 and on_device)


def _ties(a, b) -> int:
    "Levels where two sample tensors differ; each difference must be one level (a rounding tie), else -1."
    d = (a - b).abs()
    if d.numel() and d.max() > 2 / 255 + 1e-6: return -1
    return int((d > 0).sum())


def check_generation(device, n:int=4, N:int=64) -> dict:
    "Cached generation on the device: samples stay there, the backend is not the CPU kernel, cached = recomputed up to ties."
    dev = torch.device(device)
    torch.manual_seed(0)
    m = MultiresAR(3, d_model=32, n_layers=2, seq_len=N, n_mix=4).to(dev).eval()
    with _NoTF32():
        t0 = time.time(); a = m.generate(n, N, seed=1); t_cached = time.time() - t0
        b = m.generate(n, N, seed=1, backend='recompute')
    why = _kernel_unusable(m, n)
    fallback_ok = dev.type == 'cpu' or why is not None                 # on a GPU the CPU kernel must not run
    ties = _ties(a, b)
    return dict(samples=n, positions=N, device=str(a.device), cpu_kernel_refused=why, seconds_cached=round(t_cached, 3),
                ties=ties, passed=a.device.type == dev.type and fallback_ok and 0 <= ties <= max(1, a.numel() // 1000))


def check_training(device, # where to train
                   task:str=None, # a named task of `multires_train --task` (default: mnist1d on a GPU, toy on the CPU)
                   precisions=('32', 'bf16', '16'), # the --precision values to run
                   epochs:int=2 # epochs of each run
                  ) -> dict:
    "`multires_train` for a few epochs at each precision, in a fresh process each."
    dev = torch.device(device); task = task or ('mnist1d' if dev.type == 'cuda' else 'toy')
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        for p in precisions:
            t0 = time.time()
            r = subprocess.run([sys.executable, '-c', 'from multires_nb.cli import train_main; train_main()', '--task', task,
                                '--epochs', str(epochs), '--device', str(device), '--precision', p, '--quiet',
                                '--out', str(Path(tmp)/p), '--data_dir', str(Path(tmp)/'data')],
                               capture_output=True, text=True, env={**os.environ, 'OMP_NUM_THREADS': '1'})
            m = json.loads((Path(tmp)/p/'metrics.json').read_text()) if r.returncode == 0 else {}
            out[p] = dict(returncode=r.returncode, test_metric=m.get('test_metric'), seconds=round(time.time() - t0, 1),
                          error=r.stderr.strip().splitlines()[-1] if r.returncode and r.stderr.strip() else None)
    ok = all(v['returncode'] == 0 and v['test_metric'] is not None and math.isfinite(v['test_metric']) for v in out.values())
    ref = out.get('32', {}).get('test_metric')
    diff = {p: round(v['test_metric'] - ref, 4) for p, v in out.items() if p != '32' and ref is not None and v['test_metric'] is not None}
    return dict(task=task, epochs=epochs, runs=out, vs_float32=diff, passed=ok)   # the differences are reported, not judged


def check_notebooks(device, # where the cuda cells run (MULTIRES_NB_DEVICE is set to it)
                    nbs_dir=NBS, # the folder of the chapters
                    chapters=CUDA_CHAPTERS, # the chapters with cuda cells
                    force:bool=False # run them on a device that is not a GPU as well (a dry run; tests)
                   ) -> dict:
    "`nbdev_test --flags cuda` on the chapters with cuda cells (on a GPU only, unless `force`)."
    if torch.device(device).type != 'cuda' and not force: return dict(skipped='the cuda cells need a GPU', passed=True)
    out, env = {}, {**os.environ, 'MULTIRES_NB_DEVICE': str(device)}
    for nb in chapters:
        t0 = time.time()
        r = subprocess.run(['nbdev_test', '--flags', 'cuda', '--path', str(Path(nbs_dir)/nb)], capture_output=True,
                           text=True, cwd=ROOT, env=env)
        out[nb] = dict(returncode=r.returncode, seconds=round(time.time() - t0, 1), tail=(r.stdout + r.stderr)[-1500:] if r.returncode else '')
    return dict(chapters=out, passed=all(v['returncode'] == 0 for v in out.values()))


def check_bench(device, quick:bool=None) -> dict:
    "Time and peak memory of tree, fast path and S4D against N (1K…64K on a GPU), and the conv1d/FFT crossover."
    dev = torch.device(device); quick = dev.type != 'cuda' if quick is None else quick
    Ns = [1024, 2048, 4096] if quick else [2**k for k in range(10, 17)]
    rows = bench.sweep(Ns, B=1, d=32, K=2, repeats=2 if quick else 3, device=dev, memory=True)
    xo = bench._crossover(Ls=(8, 16, 32, 64) if quick else (8, 16, 32, 64, 128, 256), B=2 if quick else 8,
                          d=32 if quick else 128, N=1024 if quick else 4096, repeats=2 if quick else 5, device=dev)
    faster = all(next(r['time'] for r in rows if r['N'] == N and r['kind'] == 'auto') <
                 next(r['time'] for r in rows if r['N'] == N and r['kind'] == 'tree') for N in Ns)
    return dict(sweep=rows, crossover=xo, conv_max_taps_measured=bench._conv_max_taps(xo),
                table=bench._format_rows(rows), passed=faster)


CHECKS = dict(notebooks=check_notebooks, fast_path=check_fast_path, streaming=check_streaming,
              generation=check_generation, training=check_training, bench=check_bench)


def run_checks(device, only=None, log=print) -> dict:
    "Run the checks (all, or those named in `only`) on `device`; every result is kept, failures included."
    res = dict(machine=bench._machine_info(device), started=time.strftime('%Y-%m-%d %H:%M:%S'), checks={})
    for name, fn in CHECKS.items():
        if only and name not in only: continue
        t0 = time.time()
        try: r = fn(device)
        except Exception as e: r = dict(passed=False, error=f"{type(e).__name__}: {e}", traceback=traceback.format_exc()[-3000:])
        r['seconds'] = round(time.time() - t0, 1)
        res['checks'][name] = r
        if log: log(f"{'PASS' if r['passed'] else 'FAIL'}  {name:<10} {r['seconds']:>6.1f}s  {_brief(name, r)}")
    res['passed'] = all(r['passed'] for r in res['checks'].values())
    return res


def _brief(name, r) -> str:
    "One line of what a check measured."
    if 'error' in r and not r.get('runs'): return r['error'][:150]
    if name == 'fast_path': return 'rel. err. ' + ', '.join(f"{k} {v:.1e}" for k, v in r['rel_err'].items()) + f" (N={r['N']})"
    if name == 'streaming': return f"max |step - forward| {r['max_abs_diff']:.1e} on {r['state_device']}"
    if name == 'generation': return f"{r['samples']}x{r['positions']} on {r['device']} in {r['seconds_cached']}s, ties {r['ties']}"
    if name == 'training': return ', '.join(f"{p}: {v['test_metric'] if v['test_metric'] is None else round(v['test_metric'], 4)} in {v['seconds']}s" for p, v in r['runs'].items())
    if name == 'bench': return f"conv1d/FFT crossover: conv_max_taps ~ {r['conv_max_taps_measured']}"
    if name == 'notebooks': return r.get('skipped') or ', '.join(f"{k}: {'ok' if v['returncode'] == 0 else 'FAILED'}" for k, v in r['chapters'].items())
    return ''


def main(argv=None):
    "Run the checks named on the command line; write the JSON file; exit 1 when one failed."
    p = argparse.ArgumentParser(prog='python tools/gpucheck.py',
                                description="Check everything that runs differently on a GPU; write one JSON file. "
                                            "Needs a clone of the repository (it runs the chapters in nbs/).")
    p.add_argument('--device', default=None, help="cuda, cuda:1 or cpu (default: cuda, which must be available)")
    p.add_argument('--out', default='gpucheck.json', help="the JSON file (default gpucheck.json)")
    p.add_argument('--only', nargs='*', choices=list(CHECKS), help="run only these checks")
    a = p.parse_args(argv)
    device = a.device or 'cuda'
    if not (NBS/'03_core.ipynb').exists() or not (ROOT/'settings.ini').exists():
        p.error(f"needs a clone of the multires_nb repository (no nbs/ beside {Path(__file__).name}'s folder)")
    if torch.device(device).type == 'cuda' and not torch.cuda.is_available():
        p.error("no CUDA GPU here: run on a GPU machine, or with --device cpu for the CPU stand-in")
    res = run_checks(device, a.only)
    res['json'] = str(atomic_write(a.out, json.dumps(res, indent=1, default=str)))
    print(f"{'all checks passed' if res['passed'] else 'SOME CHECKS FAILED'}; wrote {a.out}")
    if res['checks'].get('bench', {}).get('table'): print(res['checks']['bench']['table'])
    if not res['passed']: raise SystemExit(1)
    return res


if __name__ == '__main__':
    main()

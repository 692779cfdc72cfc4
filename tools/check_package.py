"""Check the package's structure: its imports flow one way, every module imports alone, checkpoints rebuild alone.

    python tools/check_package.py

1. Walks every module's imports of the package with `ast` — top-level and lazy ones (inside functions) — and
   fails on a cycle and on an imported name the module never uses (an import for a side effect). Modules may import
   each other's `_private` names: the package is one unit, and `_private` only keeps a name out of the public API.
2. Imports every module alone, each in a fresh interpreter (so no module works only because another was imported
   first).
3. Saves a small model of every class in `models._MODEL_CLASSES` with `fit`'s checkpoint layout, and rebuilds each
   with `train.load_model` in a fresh interpreter that imports only `load_model` and `load_checkpoint` (so the
   model's module is reached through the checkpoint alone): the outputs must be equal.
Exit status 1 with what failed; the import graph is printed in its dependency order.
"""
import ast, os, subprocess, sys, tempfile
from pathlib import Path

PKG = 'multires_nb'
ROOT = Path(__file__).resolve().parent.parent


def modules() -> list:
    return sorted(p.stem for p in (ROOT/PKG).glob('*.py') if p.stem not in ('__init__', '_modidx'))


def imports(name: str) -> dict:
    "{imported module: [names imported from it]} for every import of the package in module `name`, lazy ones included."
    tree, out = ast.parse((ROOT/PKG/f'{name}.py').read_text()), {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            mod = node.module or ''
            if node.level == 1: target = mod.split('.')[0] if mod else None
            elif mod.startswith(PKG + '.'): target = mod.split('.')[1]
            elif mod == PKG: target = None
            else: continue
            if target is None:                         # from . import x  /  from multires_nb import x
                for a in node.names: out.setdefault(a.name, [])
            else: out.setdefault(target, []).extend(a.name for a in node.names)
        elif isinstance(node, ast.Import):
            for a in node.names:
                if a.name.startswith(PKG + '.'): out.setdefault(a.name.split('.')[1], [])
    return out


def unused(name: str) -> list:
    """Names module `name` imports from the package and never uses (nor re-exports in `__all__`).
    A heuristic: any name node with the same id counts as a use, so a local of the same name hides an unused import."""
    tree = ast.parse((ROOT/PKG/f'{name}.py').read_text())
    used = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    for node in ast.walk(tree):                                    # names listed in __all__ count as used
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == '__all__' for t in node.targets):
            used |= {e.value for e in ast.walk(node.value) if isinstance(e, ast.Constant) and isinstance(e.value, str)}
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.level == 1 or (node.module or '').startswith(PKG)):
            out += [a.asname or a.name for a in node.names if a.name != '*' and (a.asname or a.name) not in used]
        elif isinstance(node, ast.Import):
            out += [a.name for a in node.names if a.name.startswith(PKG + '.') and a.asname is None and not any(
                isinstance(n, ast.Attribute) and ast.unparse(n).startswith(a.name + '.') for n in ast.walk(tree))]
            out += [a.asname for a in node.names if a.name.startswith(PKG + '.') and a.asname and a.asname not in used]
    return out


def order(graph: dict) -> list:
    "Modules in dependency order; raises ValueError naming a cycle."
    done, busy, out = set(), [], []
    def visit(m):
        if m in done: return
        if m in busy: raise ValueError(f"import cycle: {' -> '.join(busy[busy.index(m):] + [m])}")
        busy.append(m)
        for d in sorted(graph.get(m, {})): visit(d)
        busy.pop(); done.add(m); out.append(m)
    for m in sorted(graph): visit(m)
    return out


_REBUILD = '''
import sys, torch
from multires_nb.train import load_model
from multires_nb.files import load_checkpoint
path, x_path = sys.argv[1], sys.argv[2]
m = load_model(path)
x = load_checkpoint(x_path)
y = m(x['x'], x['lengths']) if x['lengths'] is not None else m(x['x'])
assert torch.equal(y, x['y']), (y - x['y']).abs().max()
print(type(m).__name__)
'''


def check_rebuild(tmp: Path) -> list:
    "Errors of rebuilding every class of MODEL_CLASSES from a checkpoint in a fresh interpreter."
    import torch
    from multires_nb.models import _MODEL_CLASSES as MODEL_CLASSES, MultiresNet, MultiresAR
    from multires_nb.files import save_checkpoint
    torch.manual_seed(0)
    examples = {
        'MultiresNet': (MultiresNet(3, 4, d_model=8, n_layers=2, seq_len=16, bidirectional=True, pool='meanmax'),
                        torch.randn(2, 3, 16), torch.tensor([16, 9])),
        'MultiresAR': (MultiresAR(1, d_model=8, n_layers=2, seq_len=16, n_mix=2), torch.rand(2, 1, 16) * 2 - 1, None),
        'MultiresLayer': (MODEL_CLASSES['MultiresLayer'](8, seq_len=16), torch.randn(2, 8, 16), None),
        'MultiresConv': (MODEL_CLASSES['MultiresConv'](8, seq_len=16, tree_select='uniform', memory_size=6),
                         torch.randn(2, 8, 16), None),
    }
    missing = sorted(set(MODEL_CLASSES) - set(examples))
    errors = [f"no rebuild example for {missing}: add one"] if missing else []
    from multires_nb.convert import library_config
    for name, (m, x, lengths) in examples.items():
        m.eval()
        with torch.no_grad(): y = m(x, lengths) if lengths is not None else m(x)
        save_checkpoint(dict(model=m.state_dict(), model_config=library_config(m)), tmp/f'{name}.pt')
        save_checkpoint(dict(x=x, lengths=lengths, y=y), tmp/f'{name}-io.pt')
        r = subprocess.run([sys.executable, '-c', _REBUILD, str(tmp/f'{name}.pt'), str(tmp/f'{name}-io.pt')],
                           capture_output=True, text=True, cwd=tmp)
        if r.returncode or r.stdout.strip() != name:
            errors.append(f"load_model of a {name} in a fresh process: {(r.stderr.strip() or r.stdout.strip())[-800:]}")
    return errors


def main() -> int:
    mods, errors = modules(), []
    graph = {m: imports(m) for m in mods}
    for m, deps in graph.items():
        for d in deps:
            if d not in mods: errors.append(f"{m} imports {PKG}.{d}, which does not exist")
        idle = unused(m)
        if idle: errors.append(f"{m} imports {idle} from the package and never uses them")
    try: seq = order(graph)
    except ValueError as e: errors.append(str(e)); seq = mods
    for m in seq: print(f"{m:10s} <- {', '.join(sorted(graph[m])) or '-'}")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get('PYTHONPATH')])))
    for m in mods:
        r = subprocess.run([sys.executable, '-c', f'import {PKG}.{m}'], capture_output=True, text=True,
                           cwd=tempfile.gettempdir(), env=env)
        if r.returncode: errors.append(f"import {PKG}.{m} alone fails: {(r.stderr.strip().splitlines() or ['(no message)'])[-1]}")
    print(f"{len(mods)} modules import alone in fresh interpreters" if not any('alone' in e for e in errors) else '')
    with tempfile.TemporaryDirectory() as tmp: errors += check_rebuild(Path(tmp))
    if errors:
        print('\n'.join(['FAILED:'] + errors), file=sys.stderr); return 1
    print("import graph acyclic, no unused package imports; every model class rebuilds in a fresh process")
    return 0


if __name__ == '__main__':
    sys.exit(main())

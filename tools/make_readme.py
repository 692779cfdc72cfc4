"""Write README.md from nbs/index.ipynb without Quarto (what `nbdev_readme` does with it).

    python tools/make_readme.py [--check]

Cells flagged `#| hide` are left out, `#| echo: false` shows only the output, directive lines are dropped,
markdown is copied, code goes in python fences, text outputs in plain fences, PNG figures into
`index_files/figure-gfm/`, links to chapters (`NN_name.ipynb`) become `nbs/NN_name.ipynb` so that they resolve on
GitHub. Files are written atomically. `--check` exits 1 if README.md is out of date; `--verify` runs the
notebook again (a copy, in `nbs/`, as `nbdev_test` would) and exits 1 unless every printed output and every table
it shows is what the stored notebook, and so the README, shows.
"""
import argparse, base64, json, os, re, sys, tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIG_DIR = 'index_files/figure-gfm'
ANSI = re.compile(r'\x1b\[[0-9;?]*[A-Za-z]')
NB_LINK = re.compile(r'\]\(([\w-]+\.ipynb(?:#[\w-]*)?)\)')   # a markdown link to a chapter, relative to nbs/

def directives(src):
    "The `#| key: value` / `#| flag` lines of a code cell, as a dict, and the source without them."
    d, body = {}, []
    for line in src.splitlines():
        if line.startswith('#|'):
            k, _, v = line[2:].strip().partition(':')
            d[k.strip()] = v.strip() or True
        else: body.append(line)
    return d, '\n'.join(body).strip('\n')

def render_outputs(outputs, stem, files):
    md = []
    for j, o in enumerate(outputs):
        data = o.get('data', {})
        if o['output_type'] == 'stream' and o.get('name') == 'stdout':
            md.append('```\n' + ANSI.sub('', ''.join(o['text'])).rstrip('\n') + '\n```')
        elif 'image/png' in data:
            name = f'{FIG_DIR}/{stem}-output-{j + 1}.png'
            files[name] = base64.b64decode(''.join(data['image/png']))
            md.append(f'![]({name})')
        elif 'text/markdown' in data: md.append(''.join(data['text/markdown']).strip('\n'))
        elif 'text/plain' in data: md.append('```\n' + ANSI.sub('', ''.join(data['text/plain'])).rstrip('\n') + '\n```')
    return md

def make_readme(nb_path):
    "README text and {relative path: bytes} of its figures, from the index notebook."
    nb, parts, files = json.loads(Path(nb_path).read_text()), [], {}
    for i, cell in enumerate(nb['cells']):
        src = ''.join(cell['source'])
        if cell['cell_type'] == 'markdown': parts.append(src.strip('\n')); continue
        if cell['cell_type'] != 'code': continue
        d, body = directives(src)
        if 'hide' in d or d.get('include') == 'false': continue
        if d.get('echo') != 'false' and body: parts.append('```python\n' + body + '\n```')
        parts += render_outputs(cell.get('outputs', []), f'cell-{i + 1}', files)
    text = '\n\n'.join(p for p in parts if p) + '\n'
    return NB_LINK.sub(r'](nbs/\1)', text), files      # chapter links resolve on GitHub from the repository root

def write_atomic(path, data:bytes):
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix='.' + path.name)
    with os.fdopen(fd, 'wb') as f: f.write(data)
    os.replace(tmp, path)

def _shown(nb:dict) -> list:
    "(cell number, text) of every printed output and markdown table of the notebook's code cells."
    out = []
    for i, cell in enumerate(nb['cells']):
        for o in cell.get('outputs', []) if cell['cell_type'] == 'code' else []:
            if o['output_type'] == 'stream' and o.get('name') == 'stdout': out.append((i + 1, ANSI.sub('', ''.join(o['text']))))
            elif 'text/markdown' in o.get('data', {}): out.append((i + 1, ''.join(o['data']['text/markdown'])))
    return out

def verify(nb_path) -> list:
    "Differences between what the notebook shows and what running it again shows: [(cell, stored, now)]."
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from exec_nbs import exec_nb_skipping
    fd, tmp = tempfile.mkstemp(suffix='.ipynb', prefix='.verify-', dir=Path(nb_path).parent); os.close(fd)
    try:
        Path(tmp).write_text(Path(nb_path).read_text())
        exec_nb_skipping(tmp, {'slow', 'cuda', 'notest'})
        stored, now = _shown(json.loads(Path(nb_path).read_text())), _shown(json.loads(Path(tmp).read_text()))
    finally: os.unlink(tmp)
    if [c for c, _ in stored] != [c for c, _ in now]: return [(None, [c for c, _ in stored], [c for c, _ in now])]
    return [(c, a, b) for (c, a), (_, b) in zip(stored, now) if a != b]

if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--check', action='store_true', help='exit 1 if README.md would change')
    p.add_argument('--verify', action='store_true', help="exit 1 unless running index.ipynb again prints what it shows")
    a = p.parse_args()
    if a.verify:
        diffs = verify(ROOT/'nbs'/'index.ipynb')
        for c, was, now in diffs: print(f"cell {c}: the notebook shows\n{was}\nrunning it prints\n{now}", file=sys.stderr)
        if diffs: sys.exit('index.ipynb does not print what it shows: run python tools/exec_nbs.py nbs/index.ipynb, '
                           'then python tools/make_readme.py')
        print('index.ipynb prints what it shows'); sys.exit(0)
    text, files = make_readme(ROOT/'nbs'/'index.ipynb')
    if a.check:
        stale = [n for n, b in files.items() if not (ROOT/n).exists() or (ROOT/n).read_bytes() != b]
        if (ROOT/'README.md').read_text() != text or stale: sys.exit('README.md is out of date: run python tools/make_readme.py')
        sys.exit(0)
    for old in (ROOT/FIG_DIR).glob('*.png') if (ROOT/FIG_DIR).exists() else []:
        if str(old.relative_to(ROOT)) not in files: old.unlink()
    for name, data in files.items(): write_atomic(ROOT/name, data)
    write_atomic(ROOT/'README.md', text.encode())
    print(f'wrote README.md and {len(files)} figure(s)')

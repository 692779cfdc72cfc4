"""Execute notebooks in place so their outputs (figures, tables) are stored for the docs site.

Cells flagged with a test flag that is not asked for (`#| slow`, `#| cuda`, `#| notest`) are skipped, as in
`nbdev_test`; `--flags slow` runs the slow cells too. Each notebook runs in its own folder, as under `nbdev_test`. Paths of temporary directories in printed output are
stored as `<tmpdir>`, so that no stored output names a path of the machine it ran on. Run `nbdev_clean` afterwards.

    python tools/exec_nbs.py nbs/03_core.ipynb [more notebooks] [--flags slow]
"""
import argparse, os, re, tempfile
from pathlib import Path
from execnb.nbio import read_nb, write_nb
from execnb.shell import CaptureShell

def _flags(src):
    "Test flags of a cell: the words after `#|` on its directive lines."
    return {w for line in src.splitlines() if line.startswith('#|') for w in line[2:].split()}

_TMP = re.compile(re.escape(tempfile.gettempdir().rstrip(os.sep)) + r'/tmp[\w]+')

def _scrub(nb):
    "Replace temporary directories (`tempfile.mkdtemp` names) in stream outputs by `<tmpdir>`."
    for cell in nb.cells:
        for out in cell.get('outputs', []):
            if out.get('output_type') == 'stream':
                text = out['text'] if isinstance(out['text'], str) else ''.join(out['text'])
                out['text'] = _TMP.sub('<tmpdir>', text)

def exec_nb_skipping(path, skip):
    nb = read_nb(path)
    def preproc(cell):  # True means: do not run this cell
        return cell.cell_type == 'code' and (bool(_flags(cell.source) & skip) or 'nbdev_export(' in cell.source)
    here = Path(path).resolve().parent
    sh = CaptureShell(path=here)
    cwd = os.getcwd()
    os.chdir(here)                                                # as nbdev_test: relative paths start at the notebook
    try: sh.run_all(nb, exc_stop=True, preproc=preproc)
    finally: os.chdir(cwd)
    _scrub(nb)
    fd, tmp = tempfile.mkstemp(suffix='.ipynb', dir=Path(path).parent); os.close(fd)
    write_nb(nb, tmp); os.replace(tmp, path)                      # never leave a half-written notebook

if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('notebooks', nargs='+')
    p.add_argument('--flags', default='', help='test flags to run as well, e.g. "slow"')
    a = p.parse_args()
    skip = {'slow', 'cuda', 'notest'} - set(a.flags.split())
    for nb in a.notebooks:
        exec_nb_skipping(nb, skip); print('executed', nb)

"""Tests of the GPU check on the CPU stand-in: `python -m pytest tools/test_gpucheck.py`.

The whole command on the CPU (about a minute: it trains three short runs) runs only with MULTIRES_NB_SLOW=1.
"""
import json, os, sys
from pathlib import Path

import pytest
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
import gpucheck as G  # noqa: E402

torch.set_num_threads(1)


def test_checks_on_the_cpu():
    assert G.check_fast_path('cpu', N=512)['passed']
    assert G.check_streaming('cpu', N=256)['passed']
    r = G.check_generation('cpu', n=2, N=16)
    assert (r['passed'], r['device']) == (True, 'cpu')
    assert G.check_notebooks('cpu') == dict(skipped='the cuda cells need a GPU', passed=True)


def _notebook(path, code):
    "A one-cell notebook whose cell is `#| cuda` then `code`."
    cell = dict(cell_type='code', execution_count=None, id='c0', metadata={}, outputs=[], source='#| cuda\n' + code)
    path.write_text(json.dumps(dict(cells=[cell], metadata={}, nbformat=4, nbformat_minor=5)))


def test_notebooks_forced_on_the_cpu(tmp_path):
    _notebook(tmp_path/'good.ipynb', "import os\nassert os.environ['MULTIRES_NB_DEVICE'] == 'cpu'")
    _notebook(tmp_path/'bad.ipynb', "raise AssertionError('a cuda cell that fails')")
    r = G.check_notebooks('cpu', nbs_dir=tmp_path, chapters=('good.ipynb', 'bad.ipynb'), force=True)
    assert not r['passed'] and r['chapters']['good.ipynb']['returncode'] == 0, r
    assert r['chapters']['bad.ipynb']['returncode'] != 0 and 'a cuda cell that fails' in r['chapters']['bad.ipynb']['tail'], r


def test_ties():
    a = torch.tensor([0., 2 / 255, 4 / 255])
    assert G._ties(a, a) == 0
    assert G._ties(a, a + torch.tensor([0., 2 / 255, 0.])) == 1
    assert G._ties(a, a + torch.tensor([0., 4 / 255, 0.])) == -1      # two levels apart: not a tie


def test_bad_arguments(capsys):
    with pytest.raises(SystemExit) as e: G.main(['--only', 'nothing'])
    assert e.value.code == 2 and "invalid choice: 'nothing'" in capsys.readouterr().err
    if not torch.cuda.is_available():
        with pytest.raises(SystemExit) as e: G.main(['--device', 'cuda'])
        assert e.value.code == 2 and 'no CUDA GPU here' in capsys.readouterr().err


def test_a_failing_check_is_recorded(monkeypatch):
    def boom(device): raise RuntimeError('broken on purpose')
    monkeypatch.setitem(G.CHECKS, 'streaming', boom)
    res = G.run_checks('cpu', only=['streaming', 'generation'], log=None)
    assert not res['passed'] and res['checks']['generation']['passed']
    assert res['checks']['streaming']['error'] == 'RuntimeError: broken on purpose'


@pytest.mark.skipif(not os.environ.get('MULTIRES_NB_SLOW'), reason='slow: set MULTIRES_NB_SLOW=1')
def test_whole_command_on_the_cpu(tmp_path):
    out = tmp_path/'gpucheck.json'
    res = G.main(['--device', 'cpu', '--out', str(out)])
    assert res['passed'] and sorted(res['checks']) == sorted(G.CHECKS)
    assert json.loads(out.read_text())['passed']

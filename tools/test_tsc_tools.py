"""Tests of the time-series evaluation tools: `python -m pytest tools/test_tsc_tools.py`.

Every wrong argument ends in one line of argparse's `error:` before any work; a fit on a small synthetic set writes its
record; a results file whose last line an interruption cut off is read past, not fatal.
"""
import json, sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import tsc_bank_search as S  # noqa: E402
import tsc_eval as E  # noqa: E402


@pytest.mark.parametrize('args, says', [
    ([], '--sets names no data set'),
    (['--sets', 'NoSuchSet'], 'no NoSuchSet_TRAIN.ts'),
    (['--sets', 'GunPoint', '--folder', '/no/such/folder'], 'no GunPoint_TRAIN.ts in /no/such/folder'),
    (['--sets', 'GunPoint', '--params', 'notjson'], '--params is not JSON'),
    (['--sets', 'GunPoint', '--params', '[1]'], '--params must be a JSON dict'),
    (['--sets', 'GunPoint', '--params', '{"foo": 1}'], "unexpected keyword argument 'foo'"),
    (['--sets', 'GunPoint', '--params', '{"n_filters": 0}'], 'n_filters must be a positive integer'),
    (['--sets', 'GunPoint', '--method', 'forest'], '--method must be filterbank, network, minirocket or rocket'),
    (['--sets', 'GunPoint', '--seeds'], 'expected at least one argument'),
    (['--threads', '0'], 'must be an integer >= 1'),
    (['--sets', 'GunPoint', '--seeds', '-1'], 'must be an integer >= 0'),
    (['--published', '--out', 'x.json'], '--published needs --sets'),
    (['--sets', 'GunPoint', '--out', '/no/such/folder/x.jsonl'], 'its folder does not exist'),
])
def test_eval_refuses_in_one_line(args, says, capsys):
    with pytest.raises(SystemExit) as e: E.main(args)
    err = capsys.readouterr().err
    assert e.value.code == 2 and says in err.splitlines()[-1], err


def test_eval_fits_and_continues(tmp_path, capsys):
    out = tmp_path/'scores.jsonl'
    args = ['--sets', 'synthetic-30x40', '--seeds', '0', '--params', '{"n_filters": 8}', '--threads', '1', '--out', str(out)]
    E.main(args)
    (r,) = E.read_records(out)
    assert (r['dataset'], r['seed'], r['method'], len(r['correct'])) == ('synthetic-30x40', 0, 'filterbank', 100), r
    assert r['acc'] == pytest.approx(r['correct'].count('1') / 100)
    with open(out, 'a') as f: f.write('{"tag": "default", "datas')                 # a line an interruption cut off
    E.main(args[:3] + ['0', '1'] + args[4:])                                         # seed 0 is skipped, seed 1 is fitted
    assert [x['seed'] for x in E.read_records(out)] == [0, 1]
    assert 'skipped a line that is not JSON' in capsys.readouterr().err


def test_search_refuses_in_one_line(capsys):
    for args, says in [(['--sets', 'NoSuchSet'], '--folder is needed for NoSuchSet'),
                       (['--sets', 'NoSuchSet', '--folder', '/no/such/folder'], 'no NoSuchSet_TRAIN.ts in /no/such/folder'),
                       (['--variants', 'nope'], 'invalid choice'), (['--seeds'], 'expected at least one argument'),
                       (['--sets', 'GunPoint', '--out', '/no/such/folder/x.jsonl'], 'its folder does not exist')]:
        with pytest.raises(SystemExit) as e: S.main(args)
        err = capsys.readouterr().err
        assert e.value.code == 2 and says in err.splitlines()[-1], err

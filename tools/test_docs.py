"""Tests of the offline docs tooling on a synthetic nbdev project: `python -m pytest tools/test_docs.py`.

The Chromium tests are skipped where no `chromium` is on PATH.
"""
import base64, io, json, re, shutil, sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

TOOLS = Path(__file__).resolve().parent
sys.path.insert(0, str(TOOLS))
import docs_offline as D  # noqa: E402

SETTINGS = """[DEFAULT]
repo = synlib
lib_name = synlib
version = 0.0.1
min_python = 3.9
license = apache2
doc_path = _docs
lib_path = synlib
nbs_path = nbs
recursive = True
tst_flags = notest
put_version_in_init = True
branch = main
custom_sidebar = False
doc_host = https://example.org
doc_baseurl = /synlib
git_url = https://github.com/example/synlib
title = synlib
audience = Developers
author = someone
author_email = someone@example.org
copyright = 2026
description = A synthetic project
keywords = test
language = English
status = 3
user = example
"""

def _png():
    import matplotlib; matplotlib.use('agg')
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(2, 1.5)); ax.plot([0, 1, 2], [0, 1, 4])
    buf = io.BytesIO(); fig.savefig(buf, format='png'); plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode()

def _alpha():
    plot = new_code_cell('plot_it()', outputs=[new_output('display_data', data={'image/png': _png(), 'text/plain': '<Figure>'})])
    return new_notebook(cells=[
        new_code_cell('#| default_exp alpha'),
        new_markdown_cell('# Alpha chapter\n> Haar filters $h_0, h_1$ in one page.'),
        new_code_cell('#| hide\nSECRET_SETUP = 1'),
        new_markdown_cell('The filters are $h_0 = \\frac{1}{\\sqrt{2}}[1, 1]$; a price of \\$5 stays text.\n\n'
                          '$$a_{j+1}[n] = \\sum_k h_0[k]\\, a_j[2n-k]$$\n\n'
                          '\\begin{align}\nx &= y_1 \\\\\nw &= \\frac{a}{b}\n\\end{align}\n\n'
                          'See [beta](01_beta.ipynb#section-b), [the site](https://example.org/synlib/beta.html) and '
                          '[square](https://example.org/synlib/alpha.html#square). [src](https://example.org/x){target="_blank"}'),
        new_code_cell('#| export\ndef square(x:float, # the input\n          )->float: # its square\n    "Square `x`."\n    return x*x'),
        new_code_cell('print(square(3))', outputs=[new_output('stream', name='stdout', text='9\n')]),
        new_code_cell('#| echo: false\nprint("only the output")', outputs=[new_output('stream', name='stdout', text='only the output\n')]),
        plot,
    ])

def _beta():
    return new_notebook(cells=[
        new_markdown_cell('# Beta\n> The second page.'),
        new_markdown_cell('## Section B\n\nBack to [alpha](00_alpha.ipynb) and its [square](00_alpha.ipynb#square).'),
    ])

@pytest.fixture(scope='module')
def project(tmp_path_factory):
    root = tmp_path_factory.mktemp('synproj')
    (root/'settings.ini').write_text(SETTINGS)
    (root/'synlib').mkdir(); (root/'synlib'/'__init__.py').write_text('')
    nbs = root/'nbs'; nbs.mkdir()
    nbformat.write(_alpha(), nbs/'00_alpha.ipynb'); nbformat.write(_beta(), nbs/'01_beta.ipynb')
    (nbs/'sidebar.yml').write_text('website:\n  sidebar:\n    contents:\n      - 01_beta.ipynb\n      - 00_alpha.ipynb\n')
    (nbs/'nbdev.yml').write_text('website:\n  title: "synlib"\n  site-url: "https://example.org/synlib"\n')
    (nbs/'styles.css').write_text('.cell { margin-bottom: 1rem; }\n')
    assert D.main(['--root', str(root), '--n_workers', '0', '--force']) == 0
    return root

def test_helpers():
    assert D.pandoc_id('Section B') == 'section-b'
    assert D.pandoc_id('MultiresConv.forward') == 'multiresconv.forward'
    assert D.pandoc_id('1. The tree (direct)') == 'the-tree-direct'
    opts, code = D.split_directives('#| echo: false\n#| code-fold: show\nx = 1\n#| not a directive')
    assert opts == {'echo': False, 'code-fold': 'show'} and code == 'x = 1\n#| not a directive'
    assert D.relpath('sub/b.html', 'a.html') == 'sub/b.html' and D.relpath('a.html', 'sub/b.html') == '../a.html'

def test_pages(project):
    site = project/'_docs'
    alpha, beta = (site/'alpha.html').read_text(), (site/'beta.html').read_text()
    assert 'SECRET_SETUP' not in alpha                                     # hidden cell dropped
    assert '<h3 id="square">square</h3>' in alpha and 'Square <code>x</code>' in alpha   # show_doc output kept
    assert 'def</span><span class="w"> </span><span class="nf">square' not in alpha.split('id="square"')[0]  # export source not shown
    assert alpha.count('only the output') == 1 and 'cell-output-stdout"><pre><code>only the output' in alpha  # echo: false
    assert '<h1 class="title">Alpha chapter</h1>' in alpha and 'class="description"' in alpha  # frontmatter
    assert alpha.count('class="katex"') == 4 and 'katex-error' not in alpha  # inline, display, align, description
    assert not re.search(r'\$[^$<]+\$', re.sub(r'<annotation.*?</annotation>', '', alpha.split('<body>')[1]))  # no raw math left
    assert 'a price of $5 stays text' in alpha
    assert '<a href="https://example.org/x" target="_blank">src</a>' in alpha      # pandoc link attributes
    assert 'href="beta.html#section-b"' in alpha and 'href="beta.html"' in alpha and 'href="alpha.html#square"' in alpha
    assert 'href="alpha.html#square"' in beta and '<h2 id="section-b">' in beta
    figs = list((site/'alpha_files'/'figure-html').glob('*.png'))
    assert len(figs) == 1 and figs[0].read_bytes()[:4] == b'\x89PNG' and figs[0].name in alpha
    assert (site/'site_libs'/'katex'/'katex.min.css').exists() and list((site/'site_libs'/'katex'/'fonts').glob('*.woff2'))
    nav = re.search(r'<nav id="sidebar".*?</nav>', alpha, flags=re.S).group(0)   # sidebar.yml order
    assert nav.index('>Beta</a>') < nav.index('>Alpha chapter</a>')

def test_bad_math_is_reported(tmp_path):
    nb = new_notebook(cells=[new_markdown_cell('# Bad\n> One broken equation.'), new_markdown_cell('Here $\\frac{1}{$ breaks.')])
    proc = tmp_path/'_proc'; proc.mkdir()
    nb.cells.insert(0, nbformat.v4.new_raw_cell('---\ntitle: Bad\noutput-file: bad.html\n---'))
    nbformat.write(nb, proc/'bad.ipynb')
    errors = D.build_site(proc, tmp_path/'_docs', 'x')
    assert len(errors) == 1 and 'bad.ipynb' in errors[0] and 'frac' in errors[0]
    assert 'katex-error' in (tmp_path/'_docs'/'bad.html').read_text()

def test_failing_notebook_is_named(tmp_path):
    (tmp_path/'settings.ini').write_text(SETTINGS)
    (tmp_path/'synlib').mkdir(); (tmp_path/'synlib'/'__init__.py').write_text('')
    nbs = tmp_path/'nbs'; nbs.mkdir()
    nbformat.write(_beta(), nbs/'01_beta.ipynb')
    bad = new_notebook(cells=[new_markdown_cell('# Broken\n> Mixes an import with code that needs the notebook.'),
                              new_code_cell('#| export\ndef f(): "Doc."; return 1'),
                              new_code_cell('import os\nassert NOT_DEFINED_HERE')])
    nbformat.write(bad, nbs/'02_broken.ipynb')
    rc = D.main(['--root', str(tmp_path), '--n_workers', '0', '--force'])
    assert rc == 1 and (tmp_path/'_docs'/'beta.html').exists() and not (tmp_path/'_docs'/'broken.html').exists()

chromium = pytest.mark.skipif(not (shutil.which('chromium') or shutil.which('chromium-browser')), reason='no chromium')

@chromium
def test_check_clean_site(project, tmp_path):
    import check_docs as C
    problems, n = C.check_site(project/'_docs', screenshot=('alpha.html', tmp_path/'a.png'), verbose=False)
    assert n == 2 and not any(problems.values()), problems
    assert (tmp_path/'a.png').read_bytes()[:4] == b'\x89PNG'

@chromium
def test_check_finds_problems(project, tmp_path):
    import check_docs as C
    site = tmp_path/'site'; shutil.copytree(project/'_docs', site)
    f = site/'beta.html'
    f.write_text(f.read_text().replace('</main>', '<p>raw $x^2$ and \\frac{1}{2}</p><p>weights $w = $ here, a [link](x.html){target="_blank"}</p><img src="missing.png" alt="m">'
                 '<a href="nope.html">a</a><a href="alpha.html#no-such-anchor">b</a>'
                 '<script>console.error("boom")</script></main>'))
    problems, n = C.check_site(site, verbose=False)
    found = '\n'.join(problems['beta.html'])
    for what in ('raw $...$', 'raw TeX command', 'stray $', 'raw markdown link or {attributes}', 'image not shown: missing.png', 'HTTP 404', 'no file nope.html',
                 'no anchor #no-such-anchor', 'boom'):
        assert what in found, (what, found)
    assert not problems['alpha.html']

#!/usr/bin/env python3
"""Build the docs site into `_docs/` without Quarto and without network access.

    python tools/docs_offline.py [--force]

The notebooks go through nbdev's own processing first (`nbdev.serve.proc_nbs`, the step `nbdev_docs` and
`nbdev_proc_nbs` run before Quarto): hidden cells dropped, `show_doc` cells added and executed, exported code
shown as the docs show it, frontmatter made from the H1 title and `>` summary. The processed notebooks in
`_proc/` are then rendered here: markdown with markdown-it-py, code with Pygments, equations with KaTeX
(npm package, run at build time by Node.js, so pages need no script and no network), figures written as
PNG files, a sidebar that follows `nbs/sidebar.yml`, and `.ipynb` / doc-site links made relative.
The first run installs KaTeX into `tools/node_modules` with npm.
"""
import argparse, base64, html, json, os, re, shutil, subprocess, sys, tempfile
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import yaml
from markdown_it import MarkdownIt
from mdit_py_plugins.amsmath import amsmath_plugin
from mdit_py_plugins.attrs import attrs_plugin
from mdit_py_plugins.dollarmath import dollarmath_plugin
from mdit_py_plugins.footnote import footnote_plugin
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import TextLexer, get_lexer_by_name
from pygments.util import ClassNotFound

TOOLS = Path(__file__).resolve().parent
KATEX_DIR = TOOLS/'node_modules'/'katex'
ANSI_RE = re.compile(r'\x1b\[[0-9;?]*[A-Za-z]')
MATH_RE = re.compile('\ue000(\\d+)\ue001')  # placeholder for the n-th equation of a page
MIME_ORDER = ('text/html', 'text/markdown', 'image/svg+xml', 'text/latex', 'image/png', 'image/jpeg', 'text/plain')
SRC_SUFFIXES = ('.ipynb', '.qmd', '.md')

# ---------------------------------------------------------------- setup: KaTeX and nbdev's processing
def ensure_katex():
    "Install the KaTeX npm package named in tools/package.json unless it is there."
    if (KATEX_DIR/'dist'/'katex.min.css').exists(): return KATEX_DIR
    if not shutil.which('npm'): sys.exit('docs_offline: KaTeX is missing and `npm` is not on PATH (install Node.js + npm)')
    print('docs_offline: installing KaTeX with npm into tools/node_modules')
    subprocess.run(['npm', 'install', '--prefix', str(TOOLS), '--no-package-lock', '--no-audit', '--no-fund'], check=True)
    return KATEX_DIR

def process_notebooks(root:Path, force=False, n_workers=None):
    """Run nbdev's docs processing (the notebooks -> `_proc/`), as `nbdev_docs` does.
    Returns the `_proc` folder, nbdev's config and [(notebook, error)] for notebooks nbdev could not process:
    when the parallel run fails, each notebook is processed again on its own (the same nbdev step) so that the
    failing ones are named and left out while the others still make a site."""
    from nbdev.config import get_config
    from nbdev.doclinks import nbglob
    from nbdev.processors import FilterDefaults
    from nbdev.serve import proc_nbs
    import nbdev.serve_drv
    cwd = os.getcwd()
    os.chdir(root)
    get_config.cache_clear()   # nbdev caches the config of the first project it saw in this process
    try:
        cfg = get_config()
        kw = {} if n_workers is None else {'n_workers': n_workers}
        try: return Path(proc_nbs(cfg.nbs_path, force=force, **kw)), cfg, []
        except Exception: pass
        cache, failures = cfg.config_path/'_proc', []
        for nb in nbglob(cfg.nbs_path, func=Path, skip_folder_re=r'^[_.]'):
            dst = cache/nb.relative_to(cfg.nbs_path)
            dst.parent.mkdir(parents=True, exist_ok=True)
            try: nbdev.serve_drv.main((nb, dst, FilterDefaults))
            except Exception as e:
                failures.append((nb.relative_to(root), e))
                dst.unlink(missing_ok=True)
            finally: os.environ.pop('IN_TEST', None)
        return cache, cfg, failures
    finally:
        os.chdir(cwd)
        get_config.cache_clear()

def describe_failure(nb, e):
    "One readable paragraph for a notebook nbdev's processing failed on."
    cause = e.__cause__ or e.__context__
    msg = str(e).strip()
    head, _, src = msg.partition('\n')
    why = f'{type(cause).__name__}: {cause}' if cause else type(e).__name__
    src = '\n'.join('      ' + l for l in src.strip().splitlines()[:12])
    hint = ("\n    (nbdev runs every export cell and every cell that imports something, to render show_doc; "
            "keep imports in their own cells, apart from code that needs the rest of the notebook)") if cause else ''
    return f'{nb}: nbdev_docs processing fails: {head.strip()} -> {why}\n{src}{hint}'

# ---------------------------------------------------------------- small helpers
def pandoc_id(text):
    "The heading identifier pandoc (and so Quarto and nbdev's doc links) gives `text`."
    s = re.sub(r'[^\w\s.\-]', '', text.lower())
    s = re.sub(r'\s+', '-', s.strip())
    return re.sub(r'^[\W\d_]+', '', s) or 'section'

def esc(s): return html.escape(s, quote=True)
def strip_ansi(s): return ANSI_RE.sub('', s)
def text_of(v): return ''.join(v) if isinstance(v, list) else (v or '')

def relpath(target:str, page:str):
    "URL of site path `target` seen from site path `page` (both relative to the site root)."
    return os.path.relpath(target, os.path.dirname(page) or '.').replace(os.sep, '/')

def code_html(code, lang='python'):
    try: lexer = get_lexer_by_name(lang or 'text')
    except ClassNotFound: lexer = TextLexer()
    body = highlight(code, lexer, HtmlFormatter(nowrap=True))
    return f'<div class="sourceCode"><pre class="highlight sourceCode {esc(lang or "text")}"><code>{body}</code></pre></div>'

def split_directives(src):
    "Leading `#| key: value` lines of a code cell as a dict, and the rest of the source."
    lines, opts = src.splitlines(), {}
    while lines and re.match(r'\s*#\|', lines[0]):
        d = re.sub(r'^\s*#\|\s*', '', lines.pop(0))
        k, _, v = d.partition(':')
        try: opts[k.strip()] = yaml.safe_load(v) if v.strip() else None
        except yaml.YAMLError: opts[k.strip()] = v.strip()
    return opts, '\n'.join(lines).strip('\n')

def falsy(v): return v is False or str(v).lower() == 'false'

# ---------------------------------------------------------------- a page
@dataclass
class Page:
    src: str           # path of the processed notebook, relative to `_proc`
    out: str           # path of the html page, relative to the site root
    title: str
    description: str
    nb: dict
    maths: list = field(default_factory=list)   # [(tex, display)]
    toc: list = field(default_factory=list)     # [(level, id, html)]
    ids: set = field(default_factory=set)

def read_page(proc:Path, nb_path:Path):
    nb = json.loads(nb_path.read_text(encoding='utf-8'))
    fm = {}
    for c in nb['cells']:
        if c['cell_type'] == 'raw':
            m = re.match(r'\s*---\s*\n(.*?)\n---\s*$', text_of(c['source']), flags=re.S)
            if m: fm = yaml.safe_load(m.group(1)) or {}; c['_frontmatter'] = True; break
    src = nb_path.relative_to(proc).as_posix()
    out = (Path(src).parent/fm['output-file']).as_posix() if fm.get('output-file') else str(Path(src).with_suffix('.html'))
    return Page(src, out, str(fm.get('title', Path(src).stem)), str(fm.get('description', '') or ''), nb)

def sidebar_order(proc:Path, pages):
    "Pages in the order of `sidebar.yml` ([(section or None, page)]); pages it leaves out come last."
    by_src, seen, res, missing = {p.src: p for p in pages}, set(), [], []
    def walk(items, section=None):
        for it in items or []:
            if isinstance(it, str): href, sec = it, section
            elif isinstance(it, dict) and 'contents' in it:
                if it.get('href'): walk([it['href']], it.get('section'))
                walk(it['contents'], it.get('section', section)); continue
            elif isinstance(it, dict): href, sec = it.get('href', ''), section
            else: continue
            p = by_src.get(Path(href).as_posix())
            if p is None: missing.append(href)
            elif p.src not in seen: seen.add(p.src); res.append((sec, p))
    sb = proc/'sidebar.yml'
    if sb.exists(): walk(((yaml.safe_load(sb.read_text()) or {}).get('website', {}).get('sidebar', {}) or {}).get('contents'))
    if missing: print(f'docs_offline: not (yet) there, left out of the sidebar: {", ".join(missing)}')
    rest = sorted((p for p in pages if p.src not in seen), key=lambda p: (p.src != 'index.ipynb', p.src))
    return res + [(None, p) for p in rest]

# ---------------------------------------------------------------- the site
class Site:
    def __init__(self, proc:Path, dest:Path, site_title:str, site_url:str):
        self.proc, self.dest, self.site_title = proc, dest, site_title
        self.site_url = site_url.rstrip('/') + '/' if site_url else ''
        self.pages = [read_page(proc, p) for p in sorted(proc.rglob('*.ipynb')) if '.ipynb_checkpoints' not in p.parts]
        self.by_src = {p.src: p for p in self.pages}
        self.order = sidebar_order(proc, self.pages)
        self.md = self._markdown()
        self.errors = []

    # markdown-it with math placeholders, pandoc heading ids, links rewritten
    def _markdown(self):
        md = MarkdownIt('commonmark', {'html': True, 'highlight': lambda code, lang, attrs: code_html(code, lang)})
        md.enable(['table', 'strikethrough'])
        dollarmath_plugin(md, allow_space=False, allow_digits=False, double_inline=True)
        amsmath_plugin(md)
        footnote_plugin(md)
        attrs_plugin(md)   # pandoc's {target="_blank" .class} after links and images (nbdev's source links)
        def math(display):
            def render(self_, tokens, idx, options, env):
                page = env['page']
                page.maths.append((tokens[idx].content.strip() if display != 'ams' else tokens[idx].content, display != 'inline'))
                ph = f'\ue000{len(page.maths)-1}\ue001'
                return f'<span class="math inline">{ph}</span>' if display == 'inline' else f'<div class="math display">{ph}</div>\n'
            return render
        md.add_render_rule('math_inline', math('inline'))
        md.add_render_rule('math_inline_double', math('display'))
        md.add_render_rule('math_block', math('display'))
        md.add_render_rule('math_block_label', math('display'))
        md.add_render_rule('amsmath', math('ams'))
        md.core.ruler.push('site_links_ids', self._core_rule)
        # the fence rule wraps highlighted code in another <pre>; the highlighter already made the block
        md.add_render_rule('fence', lambda self_, tokens, idx, options, env: code_html(tokens[idx].content, tokens[idx].info.strip().split(' ')[0] if tokens[idx].info else 'text') + '\n')
        return md

    def _core_rule(self, state):
        page, cell = state.env['page'], state.env.get('cell', {})
        toks = state.tokens
        for i, t in enumerate(toks):
            if t.type == 'heading_open' and i+1 < len(toks):
                kids = toks[i+1].children or []
                text = ''.join(k.content for k in kids if k.type in ('text', 'code_inline', 'math_inline'))
                base = t.attrs.get('id') or pandoc_id(text)
                hid, n = base, 0
                while hid in page.ids: n += 1; hid = f'{base}-{n}'
                page.ids.add(hid); t.attrSet('id', hid)
                t.meta['toc_text'] = toks[i+1].content
            for k in (t.children or []):
                if k.type == 'link_open': k.attrSet('href', self.fix_href(k.attrGet('href') or '', page))
                elif k.type == 'image':
                    s = k.attrGet('src') or ''
                    if s.startswith('attachment:'):
                        att = (cell.get('attachments') or {}).get(s[len('attachment:'):], {})
                        mime, data = next(iter(att.items()), ('image/png', ''))
                        k.attrSet('src', f'data:{mime};base64,{text_of(data).strip()}')

    def fix_href(self, href, page):
        "Make `.ipynb` links and links into the published site point at the pages of this build."
        u = urlsplit(href)
        frag = '#' + u.fragment if u.fragment else ''
        if self.site_url and href.startswith(self.site_url):
            target = urlsplit(href[len(self.site_url):]).path or 'index.html'
            if (self.proc/target).exists() or any(p.out == target for p in self.pages): return relpath(target, page.out) + frag
            return href
        if u.scheme or u.netloc or not u.path: return href
        src = os.path.normpath(os.path.join(os.path.dirname(page.src), u.path)).replace(os.sep, '/')
        if src.endswith(SRC_SUFFIXES):
            tgt = self.by_src.get(src) or self.by_src.get(str(Path(src).with_suffix('.ipynb')))
            if tgt is not None: return relpath(tgt.out, page.out) + frag
        return href

    def render_md(self, src, page, cell=None):
        return self.md.render(src, {'page': page, 'cell': cell or {}})

    # cells and outputs
    def render_cell(self, cell, i, page):
        src = text_of(cell.get('source'))
        if cell.get('_frontmatter'): return ''
        if cell['cell_type'] == 'markdown': return self.render_md(src, page, cell) if src.strip() else ''
        if cell['cell_type'] != 'code': return ''
        opts, code = split_directives(src)
        if falsy(opts.get('include', True)): return ''
        parts = []
        if code.strip() and not falsy(opts.get('echo', True)):
            block = code_html(code, page.nb.get('metadata', {}).get('language_info', {}).get('name', 'python'))
            fold = opts.get('code-fold')
            if fold is not None and not falsy(fold):
                summ = esc(str(opts.get('code-summary', 'Code')))
                block = f'<details class="code-fold"{" open" if str(fold) == "show" else ""}><summary>{summ}</summary>{block}</details>'
            parts.append(block.replace('<div class="sourceCode">', '<div class="sourceCode cell-code">', 1))
        if not falsy(opts.get('output', True)):
            asis = str(opts.get('output')) == 'asis'
            for j, o in enumerate(self._merge_streams(cell.get('outputs', []))):
                if o.get('name') == 'stderr' and falsy(opts.get('warning', True)): continue
                parts.append(self.render_output(o, i, j, page, asis, opts))
        if not any(parts): return ''
        return '<div class="cell">\n' + '\n'.join(p for p in parts if p) + '\n</div>\n'

    @staticmethod
    def _merge_streams(outs):
        res = []
        for o in outs:
            if o.get('output_type') == 'stream' and res and res[-1].get('output_type') == 'stream' and res[-1].get('name') == o.get('name'):
                res[-1] = {**res[-1], 'text': text_of(res[-1]['text']) + text_of(o.get('text'))}
            else: res.append(o)
        return res

    def render_output(self, o, i, j, page, asis, opts):
        ot = o.get('output_type')
        if ot == 'stream':
            txt = strip_ansi(text_of(o.get('text')))
            if asis: return self.render_md(txt, page)
            return f'<div class="cell-output cell-output-{esc(o.get("name", "stdout"))}"><pre><code>{esc(txt.rstrip())}</code></pre></div>'
        if ot == 'error':
            tb = strip_ansi('\n'.join(o.get('traceback') or [f'{o.get("ename")}: {o.get("evalue")}']))
            return f'<div class="cell-output cell-output-error"><pre><code>{esc(tb)}</code></pre></div>'
        data, meta = o.get('data', {}), o.get('metadata', {})
        mime = next((m for m in MIME_ORDER if m in data), None)
        if asis and 'text/markdown' in data: mime = 'text/markdown'
        if mime is None: return ''
        v = text_of(data[mime])
        if mime == 'text/markdown' or (asis and mime == 'text/plain'): body = self.render_md(v, page)
        elif mime == 'text/html': body = v
        elif mime == 'image/svg+xml': body = v
        elif mime == 'text/latex':
            page.maths.append((re.sub(r'^\s*\$+|\$+\s*$', '', v), True))
            body = f'<div class="math display">\ue000{len(page.maths)-1}\ue001</div>'
        elif mime in ('image/png', 'image/jpeg'):
            body = self._image(v, mime, meta.get(mime, {}) or {}, i, j, page, opts)
        else: body = f'<pre><code>{esc(strip_ansi(v))}</code></pre>'
        return f'<div class="cell-output cell-output-display">{body}</div>'

    def _image(self, b64, mime, meta, i, j, page, opts):
        ext = 'png' if mime == 'image/png' else 'jpg'
        rel = (Path(page.out).parent/f'{Path(page.out).stem}_files'/'figure-html'/f'cell-{i}-output-{j+1}.{ext}').as_posix()
        f = self.dest/rel
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_bytes(base64.b64decode(b64))
        size = ''.join(f' {k}="{int(meta[k])}"' for k in ('width', 'height') if isinstance(meta.get(k), (int, float)))
        cap = opts.get('fig-cap')
        alt = esc(str(cap or opts.get('fig-alt') or f'figure {j+1} of cell {i}'))
        fig = f'<img src="{esc(relpath(rel, page.out))}" alt="{alt}" class="figure-img"{size}>'
        return f'<figure class="figure">{fig}' + (f'<figcaption>{esc(str(cap))}</figcaption>' if cap else '') + '</figure>'

    # whole pages
    def render_page(self, page):
        body = ''.join(self.render_cell(c, i, page) for i, c in enumerate(page.nb['cells']))
        # keep inline math together with the punctuation that touches it (no line break before "." or after "(")
        body = re.sub(r'([(\[]?)(<span class="math inline">\ue000\d+\ue001</span>)([.,;:!?)\]]*)',
                      lambda m: f'<span class="nowrap">{m.group(0)}</span>' if m.group(1) or m.group(3) else m.group(0), body)
        desc = self.md.renderInline(page.description, {'page': page}) if page.description else ''
        toc = [(int(m.group(1)), m.group(2), re.sub(r'<[^>]+>', '', m.group(3)))
               for m in re.finditer(r'<h([23]) id="([^"]+)">(.*?)</h\1>', body, flags=re.S)]
        return self.template(page, body, desc, toc)

    def template(self, page, body, desc, toc):
        rel = lambda p: esc(relpath(p, page.out))
        nav, cur_sec = [], None
        for sec, p in self.order:
            if sec != cur_sec and sec: nav.append(f'<li class="nav-section">{esc(sec)}</li>')
            cur_sec = sec
            active = ' class="active" aria-current="page"' if p is page else ''
            nav.append(f'<li><a href="{rel(p.out)}"{active}>{esc(p.title)}</a></li>')
        toc_html = ''.join(f'<li class="toc-h{lv}"><a href="#{esc(i)}">{t}</a></li>' for lv, i, t in toc)
        user_css = f'<link rel="stylesheet" href="{rel("styles.css")}">' if (self.proc/'styles.css').exists() else ''
        return f'''<!DOCTYPE html>
<html lang="en"><head>
<meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(page.title)} – {esc(self.site_title)}</title>
<meta name="description" content="{esc(page.description)}">
<link rel="icon" href="data:,">
<link rel="stylesheet" href="{rel("site_libs/katex/katex.min.css")}">
<link rel="stylesheet" href="{rel("site_libs/site.css")}">
{user_css}
</head><body>
<nav id="sidebar" aria-label="chapters"><a class="site-title" href="{rel(self.order[0][1].out if self.order else "index.html")}">{esc(self.site_title)}</a>
<ul>{"".join(nav)}</ul></nav>
<main id="content"><header id="title-block-header"><h1 class="title">{esc(page.title)}</h1>
{f'<div class="description">{desc}</div>' if desc else ''}</header>
{body}
</main>
{f'<nav id="toc" aria-label="on this page"><h2>On this page</h2><ul>{toc_html}</ul></nav>' if toc else ''}
</body></html>
'''

# ---------------------------------------------------------------- KaTeX at build time
def render_math(pages, katex_dir=KATEX_DIR):
    "KaTeX HTML for every page's equations: [[(html, error)]]."
    if not any(p.maths for p in pages): return [[] for _ in pages]
    if not shutil.which('node'): sys.exit('docs_offline: `node` (Node.js) is needed to render the equations')
    env = {**os.environ, 'NODE_PATH': str(katex_dir.parent)}
    inp = json.dumps([[{'tex': t, 'display': d} for t, d in p.maths] for p in pages])
    r = subprocess.run(['node', str(TOOLS/'katex_render.cjs')], input=inp, capture_output=True, text=True, env=env)
    if r.returncode: sys.exit(f'docs_offline: KaTeX failed:\n{r.stderr}')
    return [[(o['html'], o['error']) for o in page] for page in json.loads(r.stdout)]

SITE_CSS = '''
:root { --sidebar-w: 16rem; --toc-w: 14rem; --fg: #212529; --muted: #6c757d; --accent: #2780e3; --border: #dee2e6; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.6 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: var(--fg); }
a { color: var(--accent); text-decoration: none; } a:hover { text-decoration: underline; }
#sidebar { position: fixed; top: 0; left: 0; bottom: 0; width: var(--sidebar-w); overflow-y: auto; padding: 1.2rem 1rem;
  border-right: 1px solid var(--border); background: #f8f9fa; }
#sidebar .site-title { display: block; font-weight: 700; font-size: 1.2rem; color: var(--fg); margin-bottom: 1rem; }
#sidebar ul { list-style: none; margin: 0; padding: 0; }
#sidebar li a { display: block; padding: .3rem .5rem; border-radius: .25rem; color: var(--fg); }
#sidebar li a.active { background: var(--accent); color: #fff; }
#sidebar li.nav-section { margin-top: .8rem; font-weight: 600; color: var(--muted); font-size: .85rem; text-transform: uppercase; }
#content { margin-left: var(--sidebar-w); margin-right: var(--toc-w); padding: 1.5rem 2.5rem 4rem; max-width: calc(var(--sidebar-w) + var(--toc-w) + 60rem); }
#toc { position: fixed; top: 0; right: 0; width: var(--toc-w); bottom: 0; overflow-y: auto; padding: 1.5rem 1rem; font-size: .85rem; }
#toc h2 { font-size: .9rem; margin: 0 0 .5rem; }
#toc ul { list-style: none; padding: 0; margin: 0; } #toc li { margin: .15rem 0; } #toc .toc-h3 { padding-left: .8rem; }
#toc a { color: var(--muted); }
h1.title { font-size: 2.2rem; margin: .5rem 0; }
h2 { border-bottom: 1px solid var(--border); padding-bottom: .2rem; margin-top: 2rem; }
hr { border: 0; border-top: 1px solid var(--border); margin: 2rem 0 1rem; }
pre { background: #f6f8fa; padding: .7rem .9rem; border-radius: .3rem; overflow-x: auto; font-size: .85rem; line-height: 1.45; }
code { font-family: SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace; font-size: .88em; }
p code, li code, td code { background: #f1f3f5; padding: .05rem .25rem; border-radius: .2rem; color: #9753b8; }
.cell-output pre { background: none; }
.cell-output-stderr pre { color: #8a6d3b; }
.cell-output-error pre { color: #a94442; }
figure.figure { margin: .5rem 0; } img { max-width: 100%; height: auto; }
figure figcaption { color: var(--muted); font-size: .9rem; }
table { border-collapse: collapse; margin: 1rem 0; } th, td { border: 1px solid var(--border); padding: .3rem .6rem; }
.math.display { overflow-x: auto; overflow-y: hidden; }
span.nowrap { white-space: nowrap; }
details.code-fold > summary { cursor: pointer; color: var(--muted); }
@media (max-width: 1100px) { #toc { display: none; } #content { margin-right: 0; } }
@media (max-width: 760px) { #sidebar { position: static; width: auto; border-right: 0; border-bottom: 1px solid var(--border); }
  #content { margin-left: 0; padding: 1rem; } }
'''

def copy_assets(proc:Path, dest:Path, katex_dir:Path):
    for f in proc.rglob('*'):
        if f.is_file() and f.suffix not in ('.ipynb', '.yml', '.yaml', '.qmd', '.py') and not any(p.startswith('.') for p in f.relative_to(proc).parts):
            (dest/f.relative_to(proc)).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(f, dest/f.relative_to(proc))
    kd = dest/'site_libs'/'katex'
    kd.mkdir(parents=True, exist_ok=True)
    shutil.copy2(katex_dir/'dist'/'katex.min.css', kd/'katex.min.css')
    shutil.copytree(katex_dir/'dist'/'fonts', kd/'fonts')
    (dest/'site_libs'/'site.css').write_text(SITE_CSS + HtmlFormatter(style='friendly').get_style_defs('.highlight'), encoding='utf-8')

def build_site(proc:Path, dest:Path, site_title='docs', site_url='', katex_dir=None):
    """Render the processed notebooks in `proc` into a static site at `dest` (replaced whole, via a temp folder).
    Returns the list of problems (equations KaTeX could not parse)."""
    katex_dir = katex_dir or ensure_katex()
    dest = Path(dest).resolve()
    tmp = Path(tempfile.mkdtemp(prefix=dest.name + '.', dir=dest.parent))
    try:
        site = Site(proc, tmp, site_title, site_url)
        htmls = [site.render_page(p) for p in site.pages]
        for page, h, maths in zip(site.pages, htmls, render_math(site.pages, katex_dir)):
            for (tex, _), (_, err) in zip(page.maths, maths):
                if err: site.errors.append(f'{page.src}: KaTeX cannot render {tex!r}: {err}')
            h = MATH_RE.sub(lambda m: maths[int(m.group(1))][0], h)
            f = tmp/page.out
            f.parent.mkdir(parents=True, exist_ok=True)
            f.write_text(h, encoding='utf-8')
        copy_assets(proc, tmp, katex_dir)
        if dest.exists(): shutil.rmtree(dest)
        tmp.rename(dest)
    finally:
        if tmp.exists(): shutil.rmtree(tmp, ignore_errors=True)
    print(f'docs_offline: {len(site.pages)} pages -> {dest}')
    return site.errors

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--root', default=None, help='project root (the folder of settings.ini); default: this repository')
    ap.add_argument('--force', action='store_true', help='reprocess every notebook (ignore the `_proc` cache)')
    ap.add_argument('--n_workers', type=int, default=None, help="nbdev's processing workers (default: nbdev's)")
    a = ap.parse_args(argv)
    root = Path(a.root).resolve() if a.root else TOOLS.parent
    katex_dir = ensure_katex()
    proc, cfg, failures = process_notebooks(root, force=a.force, n_workers=a.n_workers)
    meta = {}
    if (proc/'nbdev.yml').exists(): meta = (yaml.safe_load((proc/'nbdev.yml').read_text()) or {}).get('website', {})
    errors = build_site(proc, root/cfg.doc_path.name if not cfg.doc_path.is_absolute() else cfg.doc_path,
                        site_title=meta.get('title') or cfg.get('title', cfg.lib_name),
                        site_url=meta.get('site-url') or (cfg.get('doc_host', '') + cfg.get('doc_baseurl', '')),
                        katex_dir=katex_dir)
    errors = [describe_failure(nb, e) + '\n    left out of the site' for nb, e in failures] + errors
    for e in errors: print('docs_offline: ' + e, file=sys.stderr)
    return 1 if errors else 0

if __name__ == '__main__': sys.exit(main())

#!/usr/bin/env python3
"""Check the built docs site (`_docs/`) in headless Chromium; exit 1 with a list of problems.

    python tools/check_docs.py [--site _docs] [--screenshot page.html:out.png]

`_docs/` is served on 127.0.0.1 by a local HTTP server and every page is loaded in Chromium, driven through the
DevTools protocol (websocket-client). For each page: no console error, no uncaught exception, no failed or
4xx/5xx request, every image decoded (naturalWidth > 0), no KaTeX error, no raw TeX (`$...$`, `\\frac`, ...)
left in the visible text outside code, and every link within the site leads to an existing page and anchor.
"""
import argparse, base64, functools, http.server, json, os, re, shutil, subprocess, sys, tempfile, threading, time
from pathlib import Path
from urllib.parse import urldefrag, urljoin, urlsplit, unquote

import websocket  # websocket-client

ROOT = Path(__file__).resolve().parent.parent
CHROME_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
                '--disable-background-networking', '--disable-component-update', '--disable-sync',
                '--remote-debugging-port=0', '--hide-scrollbars', '--mute-audio']

# Runs in the page once it has loaded: what the checks need, as JSON.
PAGE_PROBE = r'''(() => {
  const skip = el => el.closest('pre, code, script, style, .katex, .katex-display, textarea');
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const texts = [];
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement;
    if (!el || skip(el)) continue;
    const st = getComputedStyle(el);
    if (st.display === 'none' || st.visibility === 'hidden') continue;
    if (n.textContent.trim()) texts.push(n.textContent);
  }
  return JSON.stringify({
    text: texts.join('\n'),
    images: [...document.images].map(i => ({src: i.currentSrc || i.src, ok: i.complete && i.naturalWidth > 0})),
    links: [...document.querySelectorAll('a[href]')].map(a => a.href),
    ids: [...document.querySelectorAll('[id]')].map(e => e.id).concat([...document.querySelectorAll('a[name]')].map(a => a.name)),
    katexErrors: [...document.querySelectorAll('.katex-error')].map(e => e.getAttribute('title') || e.textContent),
    katexCount: document.querySelectorAll('.katex').length,
    title: document.title,
  });
})()'''

RAW_TEX = [(re.compile(r'\$\$'), 'raw $$'),
           (re.compile(r'(?<![\\\w])\$(?=\S)[^$\n]{1,200}(?<=\S)\$(?!\d)'), 'raw $...$'),
           (re.compile(r'\\(?:frac|sqrt|sum|prod|int|begin|end|mathbf|mathrm|mathcal|operatorname|left|right|cdot|'
                       r'alpha|beta|gamma|delta|sigma|theta|lambda|ell|tilde|hat|bar|text|in|le|ge|leq|geq|times)\b'),
            'raw TeX command'),
           (re.compile(r'(?<!\\)\$(?![\d$])'), 'stray $ (math not rendered? pandoc needs no space inside $...$)'),
           (re.compile(r'\]\([^)\s]+\)|\{(?:target|style|width|height|\.[\w-]+|#[\w-]+)[^}\n]*\}'), 'raw markdown link or {attributes}')]

class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *a): pass

def serve(site:Path):
    "A local HTTP server for `site` on 127.0.0.1 (a free port), in a daemon thread."
    srv = http.server.ThreadingHTTPServer(('127.0.0.1', 0), functools.partial(_Quiet, directory=str(site)))
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv

class Chrome:
    "Headless Chromium, one page, spoken to with the DevTools protocol."
    def __init__(self, binary=None, width=1280, height=900):
        binary = binary or shutil.which('chromium') or shutil.which('chromium-browser') or shutil.which('google-chrome')
        if not binary: sys.exit('check_docs: no Chromium found (Debian: apt-get install -y chromium)')
        self.profile = tempfile.mkdtemp(prefix='check_docs_chrome.')
        self.proc = subprocess.Popen([binary, *CHROME_FLAGS, f'--user-data-dir={self.profile}', f'--window-size={width},{height}', 'about:blank'],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        port_file, t0 = Path(self.profile)/'DevToolsActivePort', time.time()
        while not (port_file.exists() and len(port_file.read_text().split()) >= 2):
            if self.proc.poll() is not None or time.time() - t0 > 30: self.close(); sys.exit('check_docs: Chromium did not start')
            time.sleep(0.1)
        port, path = port_file.read_text().split()[:2]
        self.ws = websocket.create_connection(f'ws://127.0.0.1:{port}{path}', timeout=30, suppress_origin=True)
        self.n, self.events, self.width, self.height = 0, [], width, height
        target = self.send('Target.createTarget', url='about:blank')['targetId']
        self.session = self.send('Target.attachToTarget', targetId=target, flatten=True)['sessionId']
        for dom in ('Page', 'Runtime', 'Network', 'Log'): self.send(f'{dom}.enable', session=True)
        self.send('Emulation.setDeviceMetricsOverride', session=True, width=width, height=height, deviceScaleFactor=1, mobile=False)

    def send(self, method, session=False, **params):
        self.n += 1
        msg = {'id': self.n, 'method': method, 'params': params}
        if session: msg['sessionId'] = self.session
        self.ws.send(json.dumps(msg))
        while True:
            r = json.loads(self.ws.recv())
            if r.get('id') == self.n:
                if 'error' in r: raise RuntimeError(f'{method}: {r["error"]}')
                return r.get('result', {})
            if 'method' in r: self.events.append(r)

    def pump(self, seconds):
        "Collect events for `seconds`."
        end = time.time() + seconds
        while time.time() < end:
            self.ws.settimeout(max(0.01, end - time.time()))
            try: self.events.append(json.loads(self.ws.recv()))
            except websocket.WebSocketTimeoutException: break
        self.ws.settimeout(30)

    def load(self, url, timeout=30):
        "Navigate to `url`, wait for its load event and for the network to settle; return the events seen."
        self.events = []
        self.send('Page.navigate', session=True, url=url)
        t0 = time.time()
        while not any(e.get('method') == 'Page.loadEventFired' for e in self.events):
            if time.time() - t0 > timeout: raise TimeoutError(f'{url} did not load in {timeout}s')
            self.pump(0.2)
        self.pump(0.5)
        return self.events

    def eval(self, js):
        r = self.send('Runtime.evaluate', session=True, expression=js, returnByValue=True, awaitPromise=True)
        if 'exceptionDetails' in r: raise RuntimeError(f'evaluate: {r["exceptionDetails"]}')
        return r['result'].get('value')

    def screenshot(self, path:Path, full=True):
        "Save a PNG of the page; `full`: the whole page (up to 8000 px), as if the window were that tall."
        if full:
            h = min(int(self.eval('document.documentElement.scrollHeight')), 8000)
            self.send('Emulation.setDeviceMetricsOverride', session=True, width=self.width, height=h, deviceScaleFactor=1, mobile=False)
            self.pump(0.3)
        data = self.send('Page.captureScreenshot', session=True, format='png')['data']
        path.write_bytes(base64.b64decode(data))
        if full: self.send('Emulation.setDeviceMetricsOverride', session=True, width=self.width, height=self.height, deviceScaleFactor=1, mobile=False)

    def close(self):
        try: self.ws.close()
        except Exception: pass
        if self.proc.poll() is None:
            self.proc.terminate()
            try: self.proc.wait(10)
            except subprocess.TimeoutExpired: self.proc.kill()
        shutil.rmtree(self.profile, ignore_errors=True)

def event_problems(events, base):
    "Console errors, exceptions and failed requests among the DevTools events of one page load."
    res = []
    for e in events:
        m, p = e.get('method'), e.get('params', {})
        if m == 'Runtime.consoleAPICalled' and p.get('type') in ('error', 'assert'):
            res.append('console error: ' + ' '.join(str(a.get('value', a.get('description', ''))) for a in p.get('args', [])))
        elif m == 'Runtime.exceptionThrown':
            d = p.get('exceptionDetails', {})
            res.append('uncaught exception: ' + (d.get('exception', {}).get('description') or d.get('text', '')))
        elif m == 'Log.entryAdded' and p.get('entry', {}).get('level') == 'error':
            en = p['entry']; res.append(f'console error ({en.get("source")}): {en.get("text")} {en.get("url", "")}'.strip())
        elif m == 'Network.loadingFailed' and not p.get('canceled'):
            res.append(f'request failed: {p.get("errorText")} ({p.get("type")})')
        elif m == 'Network.responseReceived' and p.get('response', {}).get('status', 200) >= 400:
            res.append(f'HTTP {p["response"]["status"]}: {p["response"]["url"].replace(base, "")}')
    return res

def text_problems(text):
    res = []
    for rx, what in RAW_TEX:
        for m in rx.finditer(text):
            s = max(0, m.start() - 30)
            res.append(f'{what} in visible text: ...{text[s:m.end() + 30]!r}...')
    return res

def check_site(site:Path, screenshot=None, binary=None, verbose=True):
    "Load every page of `site` in Chromium; return ({page: [problems]}, number of pages)."
    site = Path(site).resolve()
    pages = sorted(p.relative_to(site).as_posix() for p in site.rglob('*.html'))
    if not pages: return {'(site)': [f'no html pages under {site}']}, 0
    srv = serve(site)
    base = f'http://127.0.0.1:{srv.server_address[1]}/'
    chrome, problems, links, ids = Chrome(binary), {}, {}, {}
    try:
        for page in pages:
            url = base + page
            events = chrome.load(url)
            info = json.loads(chrome.eval(PAGE_PROBE))
            probs = event_problems(events, base)
            probs += [f'image not shown: {i["src"].replace(base, "")}' for i in info['images'] if not i['ok']]
            probs += [f'KaTeX error: {e}' for e in info['katexErrors']]
            probs += text_problems(info['text'])
            problems[page], links[page], ids[page] = probs, info['links'], set(info['ids'])
            if verbose: print(f'check_docs: {page}: {len(probs)} problem(s), {info["katexCount"]} equations, {len(info["images"])} images')
        if screenshot:
            page, out = screenshot
            chrome.load(base + page)
            chrome.screenshot(Path(out))
            if verbose: print(f'check_docs: screenshot of {page} -> {out}')
    finally:
        chrome.close(); srv.shutdown()
    for page, ls in links.items():   # links within the site: the file exists, the anchor is on its page
        for href in ls:
            if not href.startswith(base): continue
            url, frag = urldefrag(href)
            target = unquote(urlsplit(url).path)[1:] or 'index.html'
            if target.endswith('/'): target += 'index.html'
            if not (site/target).is_file(): problems[page].append(f'broken link: {href.replace(base, "")} (no file {target})')
            elif frag and target in ids and unquote(frag) not in ids[target]:
                problems[page].append(f'broken link: {href.replace(base, "")} (no anchor #{frag} on {target})')
    return problems, len(pages)

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--site', default=str(ROOT/'_docs'), help='the built site (default: _docs/)')
    ap.add_argument('--screenshot', default=None, metavar='PAGE:PNG', help='also save a screenshot of PAGE (e.g. core.html:/tmp/core.png)')
    ap.add_argument('--chromium', default=None, help='the browser binary (default: chromium on PATH)')
    a = ap.parse_args(argv)
    shot = tuple(a.screenshot.rsplit(':', 1)) if a.screenshot else None
    problems, n = check_site(Path(a.site), shot, a.chromium)
    bad = {p: ps for p, ps in problems.items() if ps}
    for p, ps in bad.items():
        print(f'\n{p}:')
        for x in ps: print(f'  - {x}')
    total = sum(map(len, bad.values()))
    print(f'\ncheck_docs: {n} pages, {total} problem(s)' + (f' on {len(bad)} page(s)' if bad else ''))
    return 1 if total or not n else 0

if __name__ == '__main__': sys.exit(main())

// Render TeX with KaTeX for tools/docs_offline.py.
// stdin: JSON list of pages, each a list of {tex, display}; stdout: JSON list of pages, each a list of {html, error}.
// One macro table per page, so a \newcommand in one equation holds for the rest of its page.
const katex = require('katex');
const chunks = [];
process.stdin.on('data', c => chunks.push(c));
process.stdin.on('end', () => {
  const pages = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  const out = pages.map(items => {
    const macros = {};
    return items.map(({tex, display}) => {
      const opts = {displayMode: display, macros, globalGroup: true, strict: 'ignore', output: 'htmlAndMathml'};
      try { return {html: katex.renderToString(tex, {...opts, throwOnError: true}), error: null}; }
      catch (e) { return {html: katex.renderToString(tex, {...opts, throwOnError: false}), error: String(e.message || e)}; }
    });
  });
  process.stdout.write(JSON.stringify(out));
});

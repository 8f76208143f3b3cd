// Run in each page of the site once it has loaded (tests/site/test_site_pages.py): what the checks need, as JSON.
async () => {
  const facts = {};
  const h1 = document.querySelector('main h1, article h1, h1');
  if (h1) {
    const copy = h1.cloneNode(true);
    copy.querySelectorAll('.headerlink').forEach(a => a.remove());
    facts.h1 = copy.textContent.trim();
  }
  facts.title = document.title;

  // Outputs of failed cells, docutils error boxes, widget placeholders.
  facts.bad_outputs = [];
  document.querySelectorAll('.cell_output .output').forEach(o => {
    const text = (o.innerText || '').trim();
    // (A lesson may print an error message on purpose, "ValueError: ..." after an except: only a traceback counts.)
    if (/\b(traceback|error|stderr)\b/.test(o.className)) {
      facts.bad_outputs.push(o.className + ': ' + text.slice(0, 300));
    } else if (/Traceback \(most recent call last\)/.test(text)) {
      facts.bad_outputs.push(text.slice(0, 300));
    }
  });
  document.querySelectorAll('.system-message, .problematic').forEach(e => {
    facts.bad_outputs.push('build: ' + e.innerText.slice(0, 300));
  });
  const outputs = [...document.querySelectorAll('.cell_output')].map(o => o.innerText).join('\n');
  for (const text of ['Error displaying widget', 'Loading widget', 'widget-view+json', 'Box(children=']) {
    if (outputs.includes(text)) facts.bad_outputs.push('cell output: ' + text);
  }

  // Explorers: a code cell that shows an explorer must show its picture (the mimebundle's PNG).
  facts.explorers = [];
  document.querySelectorAll('div.cell').forEach(cell => {
    const input = cell.querySelector('.cell_input');
    const output = cell.querySelector('.cell_output');
    if (!input || !output) return;
    const lines = input.innerText.trim().split('\n');
    const last = lines[lines.length - 1];
    if (/^[\w.]*explorer\(.*\)\s*$/.test(last) || (/^\w+$/.test(last) && /explorer\(/.test(input.innerText))) {
      const caption = output.querySelector('figure.bplab-snapshot figcaption');
      facts.explorers.push({
        code: last, images: output.querySelectorAll('img').length, text: output.innerText.slice(0, 120),
        alts: [...output.querySelectorAll('img')].map(i => i.getAttribute('alt')),
        readout: caption ? caption.innerText.trim() : null,
      });
    }
  });

  // Math: wait for the local MathJax 3 to finish, then look for untypeset math and TeX error boxes.
  const maths = [...document.querySelectorAll('.math')];
  facts.math_count = maths.length;
  if (maths.length) {
    const start = Date.now();
    while (!(window.MathJax && MathJax.startup && MathJax.startup.promise) && Date.now() - start < 30000) {
      await new Promise(r => setTimeout(r, 100));
    }
    facts.mathjax_ready = !!(window.MathJax && MathJax.startup && MathJax.startup.promise);
    if (facts.mathjax_ready) await MathJax.startup.promise;
    facts.mathjax_version = facts.mathjax_ready ? MathJax.version : null;
    facts.untypeset = maths.filter(m => !m.querySelector('mjx-container svg')).map(m => m.textContent.slice(0, 80));
    facts.math_errors = [...document.querySelectorAll('[data-mjx-error], mjx-merror, [data-mml-node="merror"]')]
      .map(e => (e.getAttribute('data-mjx-error') || e.textContent).slice(0, 80));
  }
  // TeX left in prose: $...\command...$ or \( outside code and outside typeset math.
  facts.raw_tex = [];
  const walker = document.createTreeWalker(document.querySelector('main') || document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    if (node.parentElement.closest('pre, code, script, style, .math, mjx-container, .highlight')) continue;
    const text = node.textContent;
    if (/\$[^$\n]*\\[a-zA-Z]+[^$\n]*\$|\\\(|\\\[/.test(text)) facts.raw_tex.push(text.trim().slice(0, 120));
  }

  // Images: load every one (also those below the fold), then ask which failed.
  const images = [...document.images];
  images.forEach(i => { i.loading = 'eager'; });
  await Promise.all(images.map(i => i.complete ? null : new Promise(r => {
    i.addEventListener('load', r);
    i.addEventListener('error', r);
    setTimeout(r, 15000);
  })));
  facts.image_count = images.length;
  facts.images = images.map(i => [i.getAttribute('src'), i.getAttribute('alt')]);
  facts.broken_images = images.filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src.slice(0, 120));

  facts.links = [...document.querySelectorAll('a[href]')].map(a => a.href);
  facts.run_box = [...document.querySelectorAll('.bplab-run a')].map(a => [a.className, a.getAttribute('href')]);
  const box = document.querySelector('.bplab-run');
  facts.run_box_text = box ? box.innerText : null;
  facts.text = (document.querySelector('main') || document.body).innerText;
  return facts;
}

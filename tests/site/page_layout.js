// Run in a page of the site at its current width (tests/site/conftest.py, page_report): does it scroll sideways,
// and does every box wider than its room (a table, a display equation) scroll inside itself with a visible cue?
() => {
  const root = document.documentElement;
  const layout = {width: root.clientWidth, overflow: root.scrollWidth - root.clientWidth, boxes: [], cut: [],
                  culprits: []};
  if (layout.overflow > 0) {  // what sticks out, outside any box of its own that scrolls or clips
    for (const el of document.querySelectorAll('body *')) {
      const right = el.getBoundingClientRect().right;
      if (right <= root.clientWidth + 1) continue;
      let inside = false;
      for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
        if (getComputedStyle(a).overflowX !== 'visible') { inside = true; break; }
      }
      if (!inside && ![...el.children].some(c => c.getBoundingClientRect().right > root.clientWidth + 1)) {
        layout.culprits.push(`${el.tagName.toLowerCase()}.${[...el.classList].join('.')}: ` +
                             `+${Math.round(right - root.clientWidth)} px "${(el.textContent || '').trim().slice(0, 60)}"`);
      }
      if (layout.culprits.length >= 5) break;
    }
  }
  document.querySelectorAll('main .pst-scrollable-table-container, main div.math').forEach(box => {
    if (box.offsetParent === null || box.scrollWidth <= box.clientWidth + 1) return;
    const frame = box.parentElement;
    const framed = frame.classList.contains('bplab-scroll-frame');
    const edge = framed && (frame.classList.contains('bplab-more-right') || frame.classList.contains('bplab-more-left'));
    layout.boxes.push({
      kind: box.matches('div.math') ? 'equation' : 'table',
      text: (box.textContent || '').trim().replace(/\s+/g, ' ').slice(0, 60),
      scrolls: ['auto', 'scroll'].includes(getComputedStyle(box).overflowX),
      shadow: edge && getComputedStyle(frame, '::before').backgroundImage.includes('gradient'),
      hint: framed && frame.classList.contains('bplab-wide') && frame.classList.contains('bplab-hint') &&
            getComputedStyle(frame, '::after').content.includes('scroll'),
      focusable: box.tabIndex >= 0,
    });
  });
  // An equation is cut when its typeset width is more than its box shows or lets one scroll to.
  document.querySelectorAll('main div.math').forEach(m => {
    const svg = m.querySelector('mjx-container svg');
    if (!svg || m.offsetParent === null) return;
    const width = svg.getBoundingClientRect().width;
    const reach = ['auto', 'scroll'].includes(getComputedStyle(m).overflowX) ? m.scrollWidth : m.clientWidth;
    if (width > reach + 1) layout.cut.push(`${Math.round(width)} px in ${reach} px: ${m.textContent.trim().slice(0, 60)}`);
  });
  return layout;
}

// The course website's own script: a box that is wider than the page (a table, a display equation, a code cell)
// scrolls inside itself, and shows it: bplab.css draws a shadow on each edge with more to see (and, under a table or
// an equation, a short "scroll sideways" hint); the box can be focused, so arrow keys scroll it too.
(function () {
  'use strict';
  var HINTED = '.pst-scrollable-table-container, div.math';
  var BOXES = HINTED + ', div.highlight > pre';

  function frameOf(box) {
    var parent = box.parentElement;
    if (parent && parent.classList.contains('bplab-scroll-frame')) return parent;
    var frame = document.createElement('div');
    frame.className = 'bplab-scroll-frame' + (box.matches(HINTED) ? ' bplab-hint' : '');
    box.parentNode.insertBefore(frame, box);
    frame.appendChild(box);
    box.addEventListener('scroll', function () { mark(box); }, {passive: true});
    return frame;
  }

  function mark(box) {
    var wide = box.scrollWidth > box.clientWidth + 1;
    var framed = box.parentElement && box.parentElement.classList.contains('bplab-scroll-frame');
    if (!wide && !framed) return;
    var frame = frameOf(box);
    frame.classList.toggle('bplab-wide', wide);
    frame.classList.toggle('bplab-more-left', wide && box.scrollLeft > 1);
    frame.classList.toggle('bplab-more-right', wide && box.scrollLeft + box.clientWidth < box.scrollWidth - 1);
    if (wide && box.tabIndex < 0) box.tabIndex = 0;  // the theme sets -1 on a box that did not overflow at load
  }

  function markAll() {
    document.querySelectorAll(BOXES).forEach(mark);
    window.bplabMarked = (window.bplabMarked || 0) + 1;  // the site tests wait for it after a resize
  }

  var pending = null;
  function later() {
    if (pending) clearTimeout(pending);
    pending = setTimeout(markAll, 150);
  }

  function start() {
    markAll();
    window.addEventListener('resize', later);
    // Equations are typeset after the page loads: measure them again once MathJax is done.
    var tries = 0;
    (function waitForMath() {
      if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
        MathJax.startup.promise.then(markAll);
      } else if (document.querySelector('.math') && tries++ < 100) {
        setTimeout(waitForMath, 100);
      }
    })();
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();

"""Run at the start of every kernel the site build starts: each PNG a cell shows carries the words it needs on the site.

docs/site/build.py points ``IPYTHONDIR`` at a folder whose ``profile_default/startup/`` holds a copy of this file,
so IPython runs it in each lesson's kernel before the first cell (a learner's kernel never runs it). It wraps the
shell's display formatter: when a figure or an explorer is shown as a PNG, the PNG gets text chunks (iTXt, UTF-8)

- ``Description``: what the picture shows. For a matplotlib figure drawn by lesson code, the sentence
  ``bplab.widgets._core.describe`` makes from its plots' titles, axis labels, legends and colour bars (the one the
  explorers use for their own text alternative), with two additions where that sentence says little: a grid of
  images (``imshow``) without axis labels is "N images, titled ...", and a picture without titles or labels (a
  computational graph drawn by ``bplab.draw``) is described by the words written in it; for an explorer, its
  ``description`` (the same sentence, or the one it was given).
- ``bplab-readout`` (explorers only): the readout's words as the explorer shows them above its picture, one line
  per line of the readout.

The site's extension (_ext/bplab_site.py) reads them back from the image files MyST-NB writes: the ``alt`` of every
figure, and a caption under each explorer snapshot with its readout. The notebooks are not edited and the text
travels with the picture (no side file to keep in step); a lesson cell that gives its own ``alt`` (MyST-NB's
``mystnb: image: alt:`` cell metadata) keeps it.
"""

from __future__ import annotations

import base64
import html
import re
import struct
import sys
import zlib

DESCRIPTION = "Description"  # the PNG specification's keyword for "a description of the image"
READOUT = "bplab-readout"


def png_with_text(png: bytes, texts: dict[str, str]) -> bytes:
    """`png` with one iTXt chunk (UTF-8, uncompressed) per entry of `texts`, placed right before IEND."""
    end = png.rfind(b"IEND") - 4  # the chunk's length field comes first
    if not png.startswith(b"\x89PNG\r\n\x1a\n") or end < 8:
        return png
    chunks = b""
    for key, text in texts.items():
        body = b"iTXt" + key.encode("latin-1") + b"\0\0\0" + b"\0" + b"\0" + text.encode("utf-8")
        chunks += struct.pack(">I", len(body) - 4) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)
    return png[:end] + chunks + png[end:]


def readout_lines(value: str) -> str:
    """The readout's HTML as plain lines (a <br> or block end is a new line; tags dropped, entities decoded)."""
    text = re.sub(r"<br\s*/?>|</(?:p|div|pre|li)>", "\n", value)
    lines = (" ".join(html.unescape(re.sub(r"<[^>]+>", "", line)).split()) for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def texts_of(obj) -> dict[str, str]:
    """The words for the PNG of `obj` (a figure or an explorer), or {} for anything else."""
    core = sys.modules.get("bplab.widgets._core")
    figure = sys.modules.get("matplotlib.figure")
    if core is not None and isinstance(obj, core.Explorer):
        texts = {DESCRIPTION: obj.description or obj.alt}
        reading = readout_lines(obj.readout.value)
        if reading:
            texts[READOUT] = reading
        return texts
    if figure is not None and isinstance(obj, figure.Figure):
        return {DESCRIPTION: describe_figure(obj)}
    return {}


def describe_figure(fig) -> str:
    """`describe`'s sentence, or better words where it has little to say (a grid of images, a drawn graph)."""
    from bplab.widgets._core import describe

    sentence = describe(fig)
    plots = [ax for ax in fig.axes if getattr(ax, "_colorbar", None) is None]
    labelled = any(ax.get_xlabel().strip() or ax.get_ylabel().strip() for ax in plots)
    if plots and not labelled and all(ax.images and not ax.lines and not ax.collections for ax in plots):
        titles = [ax.get_title().strip() for ax in plots]
        named = f", titled {', '.join(titles)}" if all(titles) else ""
        return f"{len(plots)} image{'s' if len(plots) > 1 else ''}{named}"
    if not sentence.startswith("Picture"):
        return sentence
    boxes = [text for ax in plots for text in ax.texts if text.get_visible() and text.get_text().strip()]
    if any((text.get_gid() or "").startswith("text:") for text in boxes):  # bplab.graph.draw: values and operations
        values = [text.get_text().split("\n") for text in boxes if (text.get_gid() or "").startswith("text:v")]
        ops = [text.get_text() for text in boxes if (text.get_gid() or "").startswith("text:op")]
        listed = "; ".join(  # "a: data 2.000, grad -3.000", or "data -6.000, grad 1.000" for a value without a label
            f"{lines[0]}: {', '.join(lines[1:])}" if not lines[0].startswith("data ") else ", ".join(lines)
            for lines in values
        )
        return (f"A computational graph, inputs on the left, output on the right: {len(values)} values ({listed}) "
                f"and {len(ops)} operations ({', '.join(ops)})")
    words = [" ".join(text.get_text().split()) for text in boxes]
    return sentence + (f" with the words: {'; '.join(words)}" if words else "")


def install(shell) -> None:
    """Wrap `shell`'s display formatter (cell values and display() both go through it)."""
    original = shell.display_formatter.format

    def format(obj, include=None, exclude=None):  # noqa: A001 - the name IPython calls
        data, metadata = original(obj, include=include, exclude=exclude)
        png = data.get("image/png")
        if png:
            texts = texts_of(obj)
            if texts:
                if isinstance(png, str):  # a mimebundle's PNG comes base64-encoded
                    data["image/png"] = base64.b64encode(png_with_text(base64.b64decode(png), texts)).decode()
                else:
                    data["image/png"] = png_with_text(png, texts)
        return data, metadata

    shell.display_formatter.format = format


try:
    _shell = get_ipython()  # noqa: F821 - defined by IPython where it runs this file
except NameError:  # imported (by the tests), not run by IPython
    _shell = None
if _shell is not None:
    install(_shell)

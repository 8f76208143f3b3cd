"""Checks every explorer test uses: a move redraws the picture in place, and the same values give the same pixels."""

import warnings

import matplotlib.pyplot as plt


def move(explorer, **values) -> dict:
    """Set controls like a learner (and click the button of a button explorer); check the picture was redrawn in
    place (same figure, same artists, new PNG), with no warning and no pyplot figure left open. Returns the result."""
    figure, artists = explorer.fig, {k: v for k, v in explorer.artists.items() if not isinstance(v, str)}
    before, open_figures = bytes(explorer.image.value), plt.get_fignums()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for name, value in values.items():
            explorer.controls[name].value = value
        if hasattr(explorer, "button"):
            explorer.button.click()
    assert explorer.fig is figure and all(explorer.artists[k] is v for k, v in artists.items())
    after = bytes(explorer.image.value)
    assert after != before and after.startswith(b"\x89PNG"), f"moving {values} did not change the picture"
    assert plt.get_fignums() == open_figures  # pyplot-free: no figure left open
    return explorer.result


def assert_redraws_the_same(explorer, **values) -> None:
    """Away and back: the same values give the same pixels (blitting leaves no trail behind)."""
    start = {name: explorer.controls[name].value for name in values}
    first = bytes(explorer.image.value)
    move(explorer, **values)
    move(explorer, **start)
    assert bytes(explorer.image.value) == first

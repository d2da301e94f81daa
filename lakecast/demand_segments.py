"""Which demand segments are intermittent: the one rule, for the forecast job and the API alike.

Segment labels (made by :mod:`lakecast.forecast.clustering`) start with the DFU's demand class: ``smooth``,
``erratic``, ``intermittent``, ``lumpy`` (Syntetos-Boylan), or are ``new/short history`` / ``dying/inactive``.
Intermittent, lumpy and dying segments are ranked with a metric minimised by the mean (``rmsse``, M5), and read on
3-month cumulative demand: the month a lump lands in is noise, so an unbiased forecast of such demand has
DFU-month WAPE near or above 100% by arithmetic (its Accuracy% floors at 0).

Kept outside :mod:`lakecast.forecast` so that reading it does not import the forecasting libraries.
"""

from __future__ import annotations

INTERMITTENT_CLASSES = ("intermittent", "lumpy", "intermittent/lumpy")  # the last: the default segments' label
DYING_LABEL = "dying/inactive"


def is_intermittent_label(label: str) -> bool:
    """True for segments whose demand is intermittent, lumpy or dying (scored with a mean-minimised metric)."""
    first = str(label).split(" ")[0]
    return first in (*INTERMITTENT_CLASSES, DYING_LABEL)

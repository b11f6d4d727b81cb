"""The book's one figure style, and the plots chapters share.

Every function returns the matplotlib Axes (or Figure) it drew on, labels axes with units
and takes a ``title`` that should state the finding.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

__all__ = [
    "CJK_FONTS", "cjk_font",
    "PALETTE",
    "FIG_WIDTH",
    "MIN_FONT_PT",
    "STYLE_FILE",
    "PANDAS_OPTIONS",
    "style_params",
    "use_style",
    "pandas_display",
    "monthly_revenue_plot",
    "basket_size_plot",
    "long_tail_plot",
    "countries_plot",
    "cancellations_plot",
    "model_sizes_plot",
    "quality_report_plot",
    "architecture_figure",
    "loss_curves_plot",
    "scaling_plot",
    "learning_curve_plot",
    "importance_plot",
    "filter_weights_plot",
    "metric_ci_plot",
    "privacy_error_plot",
    "reliability_plot",
    "tradeoff_plot",
    "series_plot",
    "bar_plot",
    "forecast_plot",
    "recsys_training_plot",
    "model_comparison_plot",
    "k_selection_plot",
    "effects_plot",
    "qini_plot",
    "lines_plot",
    "calibration_plot",
]

#: Okabe-Ito colours: distinguishable with colour-vision deficiency and in greyscale print.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]

# Legibility arithmetic (the book is read on desktops and on 390 px phones).
# On a 390 px wide phone, sphinx-book-theme pads the article by 1rem (16 px) each side, so a
# figure is shown at most PHONE_WIDTH_PX = 358 CSS px wide. A figure FIG_WIDTH inches wide is
# then shown at 358 / 6.0 = 59.7 CSS px per inch, and text of s points is s * 59.7 / 72 CSS px
# tall: the floor MIN_FONT_PT = 11 pt gives 11 * 59.7 / 72 = 9.1 CSS px, just above the
# MIN_TEXT_PX = 9 px we take as the smallest readable size. Nothing in a figure is smaller
# than 11 pt, and every figure the module creates is FIG_WIDTH wide (taller instead of wider:
# panels wrap at two per row), so the arithmetic holds for all of them.
# On a desktop the figure is shown at DPI = 100 CSS px per inch (600 px wide, inside the
# ~800 px text column; 11 pt = 15 CSS px, the size of the body text). The PNG is rendered at
# twice that (IPython's "retina" format: 1200 px wide, with width/height metadata of half the
# pixel size, which Jupyter and myst-nb turn into <img width=...>), so it is sharp on 2x screens.
#: CSS pixels a figure is shown at on a 390 px phone (the theme pads the text 16 px per side).
PHONE_WIDTH_PX = 358
#: The smallest text height, in CSS pixels, the book accepts on a phone.
MIN_TEXT_PX = 9
#: Width of every figure, in inches (taller instead of wider: panels wrap at two per row).
FIG_WIDTH = 6.0
#: CSS pixels per inch on a desktop (the PNG is rendered at twice this).
DPI = 100
#: The smallest font size, in points, of any text in a figure.
MIN_FONT_PT = 11
assert MIN_FONT_PT * PHONE_WIDTH_PX / FIG_WIDTH / 72 >= MIN_TEXT_PX
#: Extra keywords for the PNG writer: lossless, but let Pillow search for the smallest encoding.
PNG_KWARGS = {"pil_kwargs": {"optimize": True}}


#: The book's matplotlib style file (package data): the rcParams :func:`use_style` applies.
#:
#: :meta hide-value:
STYLE_FILE = Path(__file__).with_name("retail_lab.mplstyle")

#: pandas display options the chapters' tables use (set by :func:`pandas_display`).
PANDAS_OPTIONS = {"display.precision": 4, "display.max_colwidth": 140, "display.width": 140}


def style_params() -> dict:
    """The matplotlib rcParams that :func:`use_style` sets, read from :data:`STYLE_FILE`.

    Examples
    --------
    >>> style_params()["font.size"] == MIN_FONT_PT and style_params()["figure.figsize"][0] == FIG_WIDTH
    True
    """
    return dict(mpl.rc_params_from_file(STYLE_FILE, use_default_template=False))


def pandas_display() -> None:
    """Set the pandas display options of the book's tables (:data:`PANDAS_OPTIONS`).

    Text columns are widened so tables of reasons and summaries are not cut, and numbers are
    shown with 4 decimals: a table states its precision, and the digits beyond it (where two
    CPUs' BLAS kernels can differ) are not part of what the book reports.
    """
    for key, value in PANDAS_OPTIONS.items():
        pd.set_option(key, value)


#: Fonts with Chinese glyphs, in order of preference, for Chinese text in figures
#: (``use_style(chinese=True)``): Noto Sans CJK / Source Han Sans (Linux, macOS with them
#: installed), WenQuanYi Zen Hei (Debian's ``fonts-wqy-zenhei``), Microsoft YaHei and SimHei
#: (Windows), PingFang SC (macOS).
CJK_FONTS = ("Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Zen Hei", "Microsoft YaHei",
             "PingFang SC", "SimHei")
_CJK_FILES = ("notosanscjk", "sourcehansans", "wqy-zenhei", "msyh", "pingfang", "simhei")


def cjk_font() -> str | None:
    """The first of :data:`CJK_FONTS` matplotlib can use, or None when none is installed.

    A font installed after matplotlib built its font cache is not in that cache; it is found
    among the system's font files and registered, so a fresh installation works at once.
    """
    from matplotlib import font_manager as fm

    known = {f.name for f in fm.fontManager.ttflist}
    for name in CJK_FONTS:
        if name in known:
            return name
    for path in fm.findSystemFonts():
        if any(key in Path(path).name.lower().replace("-", "").replace("_", "") or key in Path(path).name.lower()
               for key in _CJK_FILES):
            fm.fontManager.addfont(path)
    known = {f.name for f in fm.fontManager.ttflist}
    return next((name for name in CJK_FONTS if name in known), None)


class _QuietCJKWeight:
    """Drops matplotlib's note that a Chinese font has no exact "normal" weight (WenQuanYi's
    regular face is weight 500): the nearest weight is the right one, and the note would
    otherwise land in a notebook's output."""

    def filter(self, record) -> bool:
        msg = record.getMessage()
        return not (msg.startswith("findfont: Failed to find font weight") and any(f in msg for f in CJK_FONTS))


def use_style(pandas: bool = True, chinese: bool = False) -> None:
    """Apply the book's style: fonts readable on a phone, light grid, sharp (2x) PNG figures.

    Applies the style file :data:`STYLE_FILE` (figures 6 inches wide, nothing below 11 pt,
    see the notes at the top of this module) and, inside IPython or Jupyter, the inline
    backend's "retina" format: PNGs at twice the display resolution, tagged with their
    display size. Importing this module changes nothing; this call does.

    Parameters
    ----------
    pandas : bool, default True
        Also set the book's pandas display options (:func:`pandas_display`); the chapters
        rely on it. Pass False to leave pandas alone.
    chinese : bool, default False
        Also draw Chinese characters in titles and labels: DejaVu Sans stays the font for
        Latin text (English figures look exactly as before) and the first installed font of
        :data:`CJK_FONTS` supplies the Chinese glyphs. Raises RuntimeError, saying what to
        install, when the machine has none.

    Examples
    --------
    >>> use_style(pandas=False)
    >>> mpl.rcParams["figure.dpi"], mpl.rcParams["font.size"]
    (100.0, 11.0)
    """
    if not isinstance(pandas, bool):
        raise TypeError(f"pandas must be True or False, got {pandas!r}")
    if not isinstance(chinese, bool):
        raise TypeError(f"chinese must be True or False, got {chinese!r}")
    if pandas:
        pandas_display()
    mpl.rcParams.update(style_params())
    if chinese:
        import logging

        family = cjk_font()
        if family is None:
            raise RuntimeError("no font with Chinese characters is installed; install one of "
                               f"{', '.join(CJK_FONTS)} (on Debian or Ubuntu: apt-get install "
                               "fonts-noto-cjk or fonts-wqy-zenhei), then call use_style(chinese=True) again")
        mpl.rcParams["font.family"] = ["DejaVu Sans", family]
        log = logging.getLogger("matplotlib.font_manager")
        if not any(isinstance(f, _QuietCJKWeight) for f in log.filters):
            log.addFilter(_QuietCJKWeight())
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython comes with Jupyter
        return
    shell = get_ipython()
    if shell is not None and hasattr(shell, "display_formatter"):
        _show_figures_at_2x(shell)


def _retina_png(fig):
    """PNG of ``fig`` at twice its dpi, with display-size metadata of the width only.

    IPython's own "retina" format also sets the height; docutils turns both into
    ``style="width: ...px; height: ...px"``, and the theme's ``max-width: 100%`` then
    shrinks the width on a phone while the height stays, squashing the figure. With the
    width alone the browser keeps the aspect ratio.
    """
    from IPython.core.pylabtools import print_figure

    data = print_figure(fig, fmt="retina", **PNG_KWARGS)
    if data is None:  # an empty figure shows nothing
        return None
    width = int.from_bytes(data[16:20], "big")  # the PNG header's IHDR width
    return data, {"width": width // 2}


def _show_figures_at_2x(shell) -> None:
    """Make the inline backend show figures as 2x PNGs displayed at 1x size."""
    # resolve the backend now: the inline backend's own set-up, run when it loads,
    # would otherwise register its formatters over ours later
    mpl.get_backend()
    try:
        from matplotlib_inline.backend_inline import InlineBackend

        cfg = InlineBackend.instance()
        cfg.print_figure_kwargs.update(PNG_KWARGS)
        cfg.figure_formats = {"retina"}  # also what a later `%matplotlib inline` restores
    except Exception:  # pragma: no cover - a shell without the inline backend
        pass
    png = shell.display_formatter.formatters["image/png"]
    png.for_type(mpl.figure.Figure, _retina_png)


def _wrap(text: str, width_in: float, fontsize: float = MIN_FONT_PT, bold: bool = False) -> str:
    """Break ``text`` into lines that fit ``width_in`` inches at ``fontsize`` points."""
    if not text:
        return text
    chars = max(12, int(width_in * 72 / (fontsize * (0.62 if bold else 0.55))))
    return "\n".join("\n".join(textwrap.wrap(line, chars)) or line for line in str(text).split("\n"))


def _size(ax) -> tuple[float, float]:
    """Approximate drawing width and height of ``ax`` in inches (before layout)."""
    pos = ax.get_position()
    fw, fh = ax.figure.get_size_inches()
    return pos.width * fw, pos.height * fh


def _room(ax) -> float:
    """Inches a centred title or x label may take: the axes' column of the figure, less the
    y tick labels and y label that the layout will put beside the axes."""
    fig = ax.figure
    column = min(fig.get_figwidth(), _size(ax)[0] / 0.775)
    try:
        ylabels = ax.yaxis.get_tightbbox(fig.canvas.get_renderer())
        used = ylabels.width / fig.dpi if ylabels is not None else 0.4
    except Exception:  # pragma: no cover - a backend without a renderer
        used = 0.6
    return max(1.5, column - used - 0.25)


def _title(ax, title: str, fontsize: float | None = None) -> None:
    """Set an axes title, wrapped to the room above the axes."""
    fs = fontsize or mpl.rcParams["axes.titlesize"]
    fs = fs if isinstance(fs, (int, float)) else MIN_FONT_PT + 1
    ax.set_title(_wrap(title, _room(ax), fs, bold=True), fontsize=fontsize)


def _suptitle(fig, title: str) -> None:
    """Set a figure title, wrapped to the figure width."""
    fs = MIN_FONT_PT + 2
    fig.suptitle(_wrap(title, fig.get_figwidth() * 0.95, fs, bold=True), fontweight="bold", fontsize=fs)


def _xlabel(ax, text: str) -> None:
    ax.set_xlabel(_wrap(text, _room(ax)))


def _ylabel(ax, text: str, **kw) -> None:
    ax.set_ylabel(_wrap(text, _size(ax)[1] * 1.1), **kw)


def _grid(n: int, ncols: int = 2, panel_height: float = 2.6, header: float = 0.8, **kw):
    """A FIG_WIDTH-wide figure with ``n`` panels, at most ``ncols`` per row (phones!).

    Returns the figure and a flat array of the ``n`` axes used (unused grid cells removed).
    """
    ncols = max(1, min(n, ncols))
    nrows = -(-n // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(FIG_WIDTH, panel_height * nrows + header),
                             squeeze=False, **kw)
    flat = axes.ravel()
    for ax in flat[n:]:
        fig.delaxes(ax)
    return fig, flat[:n]


def _legend_below(ax, **kw):
    """A legend centred under the axes, below its x tick labels and x label (never over data)."""
    fig = ax.figure
    renderer = fig.canvas.get_renderer()
    bottom = ax.get_window_extent(renderer).y0
    depth = bottom - ax.xaxis.get_tightbbox(renderer).y0 if ax.xaxis.get_visible() else 0.0
    offset = mpl.transforms.ScaledTranslation(0, -(depth + 4) / fig.dpi, fig.dpi_scale_trans)
    kw.setdefault("frameon", False)
    return ax.legend(loc="upper center", bbox_to_anchor=(0.5, 0.0), bbox_transform=ax.transAxes + offset, **kw)


def _ax(ax):
    if ax is None:
        _, ax = plt.subplots()
    return ax


def _gbp(x, _pos=None):
    if abs(x) >= 1e6:
        return f"£{x / 1e6:.1f}M"
    if abs(x) >= 1e3:
        return f"£{x / 1e3:.0f}k"
    return f"£{x:.0f}"


def monthly_revenue_plot(monthly: pd.DataFrame, title: str = "Revenue by month", ax=None):
    """Bars of monthly revenue; partial months hatched. Input: :func:`explore.monthly_revenue`."""
    ax = _ax(ax)
    x = np.arange(len(monthly))
    bars = ax.bar(x, monthly["revenue"], color=PALETTE[0])
    for b, partial in zip(bars, monthly["partial"]):
        if partial:
            b.set_hatch("//")
            b.set_facecolor("white")
            b.set_edgecolor(PALETTE[0])
    # every other month named (January and the first month with the year), so 13 labels fit
    # a phone-width axis at 11 pt
    labels = [(m.strftime("%b\n%Y") if m.month in (1, 12) or i == 0 else m.strftime("%b"))
              if i % 2 == 0 or m.month == 1 else "" for i, m in enumerate(monthly.index)]
    ax.set_xticks(x, labels)
    ax.yaxis.set_major_formatter(mpl.ticker.FuncFormatter(_gbp))
    _xlabel(ax, "month (hatched: month only partly covered by the data)")
    ax.set_ylabel("revenue (GBP)")
    _title(ax, title)
    return ax


def basket_size_plot(sizes: pd.Series, title: str = "Basket sizes", ax=None, clip: int = 100):
    """Histogram of lines per invoice (log count axis); values above ``clip`` pooled."""
    ax = _ax(ax)
    s = np.minimum(np.asarray(sizes), clip)
    ax.hist(s, bins=np.arange(0.5, clip + 1.5, 1), color=PALETTE[0])
    ax.set_yscale("log")
    ax.axvline(np.median(sizes), color=PALETTE[3], ls="--", label=f"median = {np.median(sizes):.0f}")
    _xlabel(ax, f"order lines per invoice (last bar: {clip} or more)")
    ax.set_ylabel("invoices (log scale)")
    ax.legend()
    _title(ax, title)
    return ax


def long_tail_plot(pop: pd.DataFrame, title: str = "Item popularity", axes=None):
    """Two panels: units by popularity rank (log-log) and the cumulative share curve."""
    if axes is None:
        _, axes = _grid(2, panel_height=2.8)
    a, b = axes
    a.loglog(pop["rank"], pop["units"].clip(lower=1), color=PALETTE[0])
    _xlabel(a, "product rank by units sold (log)")
    _ylabel(a, "units sold (log)")
    _title(a, "Units by rank")
    b.plot(pop["cum_product_share"] * 100, pop["cum_share"] * 100, color=PALETTE[0])
    b.plot([0, 100], [0, 100], color="grey", ls=":", label="all products equal")
    _xlabel(b, "top products (% of catalogue)")
    _ylabel(b, "cumulative units (%)")
    b.legend(loc="lower right")
    _title(b, "Cumulative share")
    _suptitle(a.figure, title)
    return axes


def countries_plot(countries: pd.DataFrame, top: int = 10, title: str = "Customers by country", ax=None):
    """Horizontal bars of customers for the ``top`` countries (rest pooled as 'Other')."""
    ax = _ax(ax)
    c = countries["customers"]
    head = c.iloc[:top]
    rest = int(c.iloc[top:].sum())
    vals = pd.concat([head, pd.Series({f"Other ({len(c) - top} countries)": rest})]) if rest else head
    ax.barh(np.arange(len(vals))[::-1], vals.to_numpy(), color=PALETTE[0])
    ax.set_yticks(np.arange(len(vals))[::-1], [str(i) for i in vals.index])
    ax.set_xscale("log")
    _xlabel(ax, "distinct customers (log scale)")
    _title(ax, title)
    return ax


def cancellations_plot(canc: pd.DataFrame, title: str = "Cancellations by month", ax=None):
    """Share of order lines that are cancellations, per month (percent)."""
    ax = _ax(ax)
    ax.plot(canc.index, canc["line_share"] * 100, marker="o", color=PALETTE[3])
    ax.set_ylim(bottom=0)
    if isinstance(canc.index, pd.DatetimeIndex):
        ax.xaxis.set_major_formatter(mpl.dates.ConciseDateFormatter(ax.xaxis.get_major_locator()))
    ax.set_xlabel("month")
    _ylabel(ax, "cancelled lines (% of lines)")
    _title(ax, title)
    return ax


def model_sizes_plot(sizes: pd.DataFrame, title: str = "Model sizes", ax=None):
    """Parameters (log scale) by year, one colour per family, each point labelled."""
    ax = _ax(ax)
    fams = list(dict.fromkeys(sizes["family"]))
    for i, fam in enumerate(fams):
        d = sizes[sizes["family"] == fam]
        ax.scatter(d["year"], d["parameters"], s=40, color=PALETTE[i % len(PALETTE)], label=fam, zorder=3)
        for r in d.itertuples():
            # label to the left when a later point of similar size would collide with it
            near = ((sizes["year"] > r.year) & (sizes["year"] <= r.year + 6)
                    & (np.abs(np.log10(sizes["parameters"] / r.parameters)) < 0.6)).any()
            ax.annotate(r.model, (r.year, r.parameters), textcoords="offset points",
                        xytext=(-5 if near else 5, -4), ha="right" if near else "left", fontsize=MIN_FONT_PT)
    ax.set_yscale("log")
    ax.set_xlabel("year published")
    _ylabel(ax, "parameters (log scale)")
    ax.set_xlim(sizes["year"].min() - 1, sizes["year"].max() + 5)
    ax.legend(loc="upper left")
    _title(ax, title)
    return ax


def quality_report_plot(table: pd.DataFrame, title: str = "Rows failing each quality rule", ax=None):
    """Bars of rows failing each rule (log scale) with the rows each rule removed first."""
    ax = _ax(ax)
    t = table.iloc[::-1]
    y = np.arange(len(t))
    ax.barh(y + 0.2, t["n_failing"].clip(lower=0.5), height=0.4, color=PALETTE[0], label="rows failing the rule")
    ax.barh(y - 0.2, t["n_removed"].clip(lower=0.5), height=0.4, color=PALETTE[1],
            label="rows removed (first failing rule)")
    ax.set_yticks(y, t["rule"])
    ax.set_xscale("log")
    ax.set_xlim(left=0.8)
    _xlabel(ax, "rows (log scale; 0 shown as no bar)")
    _title(ax, title)
    _legend_below(ax, ncol=1)
    return ax


def architecture_figure(title: str = "Large models in a retail business: data, models, applications"):
    """The book's own architecture diagram (the article's image link is broken).

    Four layers from bottom to top: data sources, the data platform (quality gate,
    features), models (recommenders, forecasters, language models), applications (the
    article's four cases), with the feedback loop back to the data. Each layer's name sits
    above its row of boxes, so the boxes use the full width and keep 11 pt text on a phone.

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig, ax = plt.subplots(figsize=(FIG_WIDTH, 6.4))
    ax.set_xlim(0, 100)
    ax.set_ylim(0, 100)
    ax.axis("off")
    layers = [
        ("Data sources", ["trans-\nactions\n(POS, web)", "customer\nprofiles", "product\ncatalogue",
                          "support\nchats", "campaign\nlogs"], PALETTE[5]),
        ("Data platform", ["collect &\nprocess", "quality\ngate", "feature\nstore"], PALETTE[2]),
        ("Models", ["recommenders\n(MF, two-\ntower,\nSASRec)", "demand\nforecasters",
                    "uplift\nmodels", "language\nmodels\n(intents,\nanswers)"], PALETTE[0]),
        ("Applications", ["product\nrecom-\nmendation", "personal-\nised\nmarketing",
                          "inventory\nmanagement", "customer\nservice"], PALETTE[1]),
    ]
    ys = [2, 27, 52, 77]
    height = 16
    for (name, boxes, colour), y in zip(layers, ys):
        ax.text(0, y + height + 2.5, name, fontsize=MIN_FONT_PT + 1, fontweight="bold", va="bottom")
        n = len(boxes)
        width = 94 / n
        for i, label in enumerate(boxes):
            x = i * width
            ax.add_patch(mpl.patches.FancyBboxPatch(
                (x + 0.6, y), width - 1.2, height, boxstyle="round,pad=0.4",
                facecolor=colour, alpha=0.25, edgecolor=colour))
            ax.text(x + width / 2, y + height / 2, label, ha="center", va="center", fontsize=MIN_FONT_PT,
                    linespacing=1.05)
    for y0, y1 in zip(ys[:-1], ys[1:]):
        ax.annotate("", xy=(47, y1 - 0.8), xytext=(47, y0 + height + 0.8),
                    arrowprops=dict(arrowstyle="->", color="black"))
    ax.annotate("", xy=(98, ys[0] + height / 2), xytext=(98, ys[-1] + height / 2),
                arrowprops=dict(arrowstyle="->", color=PALETTE[3], connectionstyle="arc3,rad=0"))
    ax.text(100, 50, "feedback: outcomes become new data", rotation=270, va="center",
            fontsize=MIN_FONT_PT, color=PALETTE[3])
    _title(ax, title)
    return fig


def loss_curves_plot(histories: dict, title: str = "Training curves", axes=None, ylabel="cross-entropy loss"):
    """One panel per run (two per row): training and validation loss by epoch.

    Parameters
    ----------
    histories : dict of name -> history
        A history is a DataFrame with one row per epoch (an estimator's ``history_``: index
        or column "epoch", columns "loss" and optionally "val_loss"), or a dict of lists
        with those keys (Keras' ``History.history``).
    """
    n = len(histories)
    ncols = 2
    if axes is None:
        _, axes = _grid(n, ncols=ncols, panel_height=2.5, sharey=True)
    for i, (ax, (name, h)) in enumerate(zip(axes, histories.items())):
        ep, loss, val_loss = _loss_columns(h)
        ax.plot(ep, loss, color=PALETTE[0], label="train")
        if val_loss is not None:
            ax.plot(ep, val_loss, color=PALETTE[1], ls="--", label="validation")
        _title(ax, name)
        ax.set_xlabel("epoch")
        if i % ncols == 0:
            _ylabel(ax, ylabel)
    axes[0].legend()
    _suptitle(axes[0].figure, title)
    return axes


def _loss_columns(h):
    """(epochs, loss, val_loss or None) of a training history (DataFrame or dict of lists)."""
    if isinstance(h, pd.DataFrame):
        if "epoch" in h.columns:
            h = h.set_index("epoch")
        ep = np.asarray(h.index) if h.index.name == "epoch" else np.arange(1, len(h) + 1)
        val = h["val_loss"].to_numpy() if "val_loss" in h.columns and h["val_loss"].notna().any() else None
        return ep, h["loss"].to_numpy(), val
    loss = list(h["loss"])
    val = h.get("val_loss")
    return np.arange(1, len(loss) + 1), loss, (list(val) if val is not None and len(val) else None)


def _epoch_frame(h: pd.DataFrame) -> pd.DataFrame:
    """A history with "epoch" as a column (an estimator's ``history_`` has it as the index)."""
    if "epoch" not in h.columns and h.index.name == "epoch":
        h = h.reset_index()
    if "train_loss" not in h.columns and "loss" in h.columns:
        h = h.rename(columns={"loss": "train_loss"})
    return h


def scaling_plot(df: pd.DataFrame, title: str = "Cost and quality as the network grows", axes=None):
    """Training seconds and test AUC against parameters, one line per depth.

    Input: :func:`retail_lab.evaluation.scaling_study`.
    """
    if axes is None:
        _, axes = _grid(2, panel_height=2.8, header=1.2)
    a, b = axes
    for i, (depth, d) in enumerate(df.groupby("depth")):
        kw = dict(marker="o", color=PALETTE[i % len(PALETTE)], label=f"{depth} hidden layer(s)")
        a.plot(d["params"], d["seconds"], **kw)
        b.plot(d["params"], d["auc"], **kw)
    for ax in axes:
        ax.set_xscale("log")
        _xlabel(ax, "parameters (log scale)")
    a.set_yscale("log")
    a.yaxis.set_major_formatter(mpl.ticker.FormatStrFormatter("%g"))
    a.yaxis.set_minor_formatter(mpl.ticker.NullFormatter())
    _ylabel(a, "training time (s, log scale)")
    b.set_ylabel("test AUC")
    _title(a, "Compute")
    _title(b, "Quality")
    # one legend for both panels, under them: inside either panel it would cover a line
    handles, labels = a.get_legend_handles_labels()
    # two entries per row: three of these labels at 11 pt are wider than the figure
    a.figure.legend(handles, labels, loc="lower center", ncol=min(2, len(labels)), frameon=False)
    fig = a.figure
    _suptitle(fig, title)
    fig.tight_layout(rect=(0, 0.35 * (1 + (len(labels) - 1) // 2) / fig.get_figheight(), 1, 1))
    return axes


def learning_curve_plot(df: pd.DataFrame, title: str = "Learning curve", ax=None):
    """Mean test AUC (with min-max band over repeats) against training-set size, per model."""
    ax = _ax(ax)
    for i, (name, d) in enumerate(df.groupby("model", sort=False)):
        g = d.groupby("size")["auc"]
        c = PALETTE[i % len(PALETTE)]
        ax.plot(g.mean().index, g.mean(), marker="o", color=c, label=name)
        ax.fill_between(g.mean().index, g.min(), g.max(), color=c, alpha=0.2)
    ax.set_xscale("log")
    _xlabel(ax, "training customers (log scale)")
    ax.set_ylabel("test AUC")
    ax.legend()
    _title(ax, title)
    return ax


def importance_plot(names, importances: np.ndarray, title: str = "Permutation importance", ax=None,
                    xlabel: str = "drop in test AUC when the feature is shuffled"):
    """Horizontal bars of mean importance with min-max whiskers; importances (n_features, n_repeats)."""
    ax = _ax(ax)
    imp = np.asarray(importances)
    order = np.argsort(imp.mean(axis=1))
    y = np.arange(len(order))
    m = imp.mean(axis=1)[order]
    ax.barh(y, m, color=PALETTE[0],
            xerr=[m - imp.min(axis=1)[order], imp.max(axis=1)[order] - m], capsize=3)
    ax.set_yticks(y, np.asarray(names)[order])
    ax.axvline(0, color="black", lw=0.8)
    _xlabel(ax, xlabel)
    _title(ax, title)
    return ax


def filter_weights_plot(kernels: dict, title: str = "Filter weights by lag", ax=None):
    """Kernel weights against lag in days (kernel[j] multiplies lag len(kernel) - j)."""
    ax = _ax(ax)
    for i, (name, w) in enumerate(kernels.items()):
        w = np.asarray(w)
        lags = np.arange(len(w), 0, -1)
        ax.plot(lags, w, marker="o", ls="-" if i == 0 else "--", color=PALETTE[i % len(PALETTE)],
                label=name)
    ax.axhline(0, color="black", lw=0.8)
    ax.set_xticks(np.arange(1, len(w) + 1))
    _xlabel(ax, "lag (days before the predicted day)")
    _ylabel(ax, "weight (standardised units)")
    _title(ax, title)
    _legend_below(ax, ncol=1)
    return ax


def metric_ci_plot(table: pd.DataFrame, title: str = "Recommendation quality", axes=None):
    """Horizontal bars with 95% intervals per model, one panel per (protocol, metric).

    Panels wrap two to a row; when the table holds every metric for two protocols, each row
    is one metric and each column one protocol, so the protocols compare side by side.

    Input: :func:`retail_lab.recsys.evaluation_table`.
    """
    prots = list(dict.fromkeys(table["protocol"]))
    metrics = list(dict.fromkeys(table["metric"]))
    full = len(table.groupby(["protocol", "metric"])) == len(prots) * len(metrics)
    if len(prots) == 2 and full:
        keys = [(p, m) for m in metrics for p in prots]  # row = metric, column = protocol
    else:
        keys = list(dict.fromkeys(zip(table["protocol"], table["metric"])))
    models = list(dict.fromkeys(table["model"]))
    if axes is None:
        _, axes = _grid(len(keys), panel_height=0.3 * len(models) + 1.3, header=0.8, sharey=True)
    for i, (ax, (prot, metric)) in enumerate(zip(axes, keys)):
        d = table[(table["protocol"] == prot) & (table["metric"] == metric)].set_index("model").reindex(models)
        y = np.arange(len(models))[::-1]
        ax.barh(y, d["mean"], color=[PALETTE[j % len(PALETTE)] for j in range(len(models))],
                xerr=[d["mean"] - d["low"], d["high"] - d["mean"]], capsize=3)
        ax.set_yticks(y, [str(m) for m in models])
        ax.set_xlim(left=0)
        ax.xaxis.set_major_locator(mpl.ticker.MaxNLocator(4))
        _title(ax, f"{metric}, {prot} protocol")
        _xlabel(ax, "mean over users (95% CI)")
    _suptitle(axes[0].figure, title)
    return axes


def privacy_error_plot(study: pd.DataFrame, title: str = "Error of the Laplace mechanism", ax=None,
                       unit: str = "customers"):
    """Measured and theoretical mean absolute error against epsilon (log-log).

    Input: :func:`retail_lab.privacy.laplace_error_study`.
    """
    ax = _ax(ax)
    ax.loglog(study["epsilon"], study["mean_abs_error"], "o-", color=PALETTE[0], label="measured")
    ax.loglog(study["epsilon"], study["theory"], ":", color="black", label="theory: sensitivity / epsilon")
    _xlabel(ax, "privacy budget epsilon (log scale; smaller = more private)")
    _ylabel(ax, f"mean absolute error ({unit}, log scale)")
    ax.legend()
    _title(ax, title)
    return ax


def reliability_plot(tables: dict, title: str = "Calibration", ax=None):
    """Accuracy against confidence per bin, one line per model; the diagonal is perfect calibration.

    Input: name -> :func:`retail_lab.service.reliability_table`.
    """
    ax = _ax(ax)
    ax.plot([0, 1], [0, 1], ":", color="grey", label="perfectly calibrated")
    for i, (name, t) in enumerate(tables.items()):
        ax.plot(t["confidence"], t["accuracy"], "o-", color=PALETTE[i % len(PALETTE)], label=name)
    _xlabel(ax, "confidence (top predicted probability)")
    _ylabel(ax, "accuracy in the bin")
    _title(ax, title)
    _legend_below(ax, ncol=1)
    return ax


def tradeoff_plot(df: pd.DataFrame, title: str = "Automation against errors", ax=None, mark=None):
    """Automation rate (%) against wrong automated answers per 1,000 messages as the threshold moves.

    Every few points are labelled with their confidence threshold.
    """
    ax = _ax(ax)
    ax.plot(df["errors_per_1000"], df["automation_rate"] * 100, "o-", color=PALETTE[0])
    for _, r in df.iloc[:: max(1, len(df) // 5)].iterrows():
        ax.annotate(f"{r['threshold']:.2f}", (r["errors_per_1000"], r["automation_rate"] * 100),
                    textcoords="offset points", xytext=(5, -12), fontsize=MIN_FONT_PT, color="dimgrey")
    if mark is not None:
        ax.axvline(mark, color=PALETTE[3], ls="--", label=f"{mark:g} errors per 1,000")
        ax.legend()
    _xlabel(ax, "wrong automatic answers per 1,000 messages (labels: confidence threshold)")
    _ylabel(ax, "answered without a person (%)")
    _title(ax, title)
    return ax


def series_plot(x, series: dict, xlabel: str, ylabel: str, title: str, ax=None):
    """Several named y-series over the same x, with markers (a general line chart)."""
    ax = _ax(ax)
    for i, (name, y) in enumerate(series.items()):
        ax.plot(x, y, "o-", color=PALETTE[i % len(PALETTE)], label=name)
    _xlabel(ax, xlabel)
    _ylabel(ax, ylabel)
    if len(series) > 1:
        ax.legend()
    _title(ax, title)
    return ax


def bar_plot(values: pd.Series, xlabel: str, title: str, ax=None, reference: float | None = None,
             reference_label: str = ""):
    """Horizontal bars of one value per category (sorted as given), optional reference line.

    The reference line's label goes in a legend under the axes, where it covers no bar.
    """
    ax = _ax(ax)
    y = np.arange(len(values))[::-1]
    ax.barh(y, values.to_numpy(), color=PALETTE[0])
    ax.set_yticks(y, [str(i) for i in values.index])
    if reference is not None:
        ax.axvline(reference, color=PALETTE[3], ls="--", label=reference_label)
    _xlabel(ax, xlabel)
    _title(ax, title)
    if reference is not None and reference_label:
        _legend_below(ax)
    return ax


def forecast_plot(actual: pd.DataFrame, forecasts: dict, codes, title: str = "Forecasts against actuals",
                  descriptions: dict | None = None, axes=None):
    """One panel per product (stacked): actual daily units and each method's forecasts."""
    codes = list(codes)
    if axes is None:
        _, axes = _grid(len(codes), ncols=1, panel_height=2.2, header=1.4, sharex=True)
    for ax, code in zip(axes, codes):
        ax.plot(actual.index, actual[code], color="black", lw=1.2, label="actual")
        for i, (name, F) in enumerate(forecasts.items()):
            ax.plot(F.index, F[code], color=PALETTE[i % len(PALETTE)], lw=1.2, ls="--", label=name)
        label = (descriptions or {}).get(code, "")
        _title(ax, f"{code} {label}".strip(), fontsize=MIN_FONT_PT)
        ax.set_ylabel("units / day")
        if isinstance(actual.index, pd.DatetimeIndex):
            ax.xaxis.set_major_formatter(mpl.dates.ConciseDateFormatter(ax.xaxis.get_major_locator()))
    axes[-1].set_xlabel("day")
    _legend_below(axes[-1], ncol=2)
    _suptitle(axes[0].figure, title)
    return axes


def recsys_training_plot(histories: dict, title: str = "Training curves"):
    """Per model (two per row): training loss (left axis) and validation NDCG@10 (right axis) by epoch.

    Parameters
    ----------
    histories : dict of name -> DataFrame with epoch (column or index), train_loss (or loss), val_ndcg@10
        ``KerasRecommender.history_`` of runs fitted with ``validate=True``; the best epoch
        (the weights kept) is marked.

    Returns
    -------
    ndarray of Axes (the loss axes)
    """
    n = len(histories)
    ncols = 2
    fig, axes = _grid(n, ncols=ncols, panel_height=2.6, header=1.5)
    for i, (ax, (name, h)) in enumerate(zip(axes, histories.items())):
        h = _epoch_frame(h)
        ax.plot(h["epoch"], h["train_loss"], "o-", color=PALETTE[0], ms=3, label="train loss")
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(mpl.ticker.MaxNLocator(5, integer=True))
        ax.yaxis.set_major_locator(mpl.ticker.MaxNLocator(4))
        _title(ax, name)
        ax2 = ax.twinx()
        ax2.plot(h["epoch"], h["val_ndcg@10"], "s--", color=PALETTE[3], ms=3, label="validation NDCG@10")
        best = h.loc[h["val_ndcg@10"].idxmax()]
        ax2.axvline(best["epoch"], color="grey", lw=0.8, ls=":")
        ax2.tick_params(axis="y", colors=PALETTE[3])
        ax2.yaxis.set_major_locator(mpl.ticker.MaxNLocator(4))
        ax2.grid(False)
        if i % ncols == ncols - 1 or i == n - 1:
            ax2.set_ylabel("val. NDCG@10", color=PALETTE[3])
        if i % ncols == 0:
            _ylabel(ax, "training loss")
    handles = [mpl.lines.Line2D([], [], color=PALETTE[0], marker="o", label="train loss (model's own)"),
               mpl.lines.Line2D([], [], color=PALETTE[3], marker="s", ls="--", label="validation NDCG@10"),
               mpl.lines.Line2D([], [], color="grey", ls=":", label="best epoch (kept)")]
    fig.legend(handles=handles, loc="lower center", ncol=2, frameon=False)
    _suptitle(fig, title)
    fig.tight_layout(rect=(0, 0.8 / fig.get_figheight(), 1, 1))
    return axes


def model_comparison_plot(table: pd.DataFrame, metric: str = "NDCG@10", title: str = "Model comparison",
                          highlight: dict | None = None):
    """Horizontal bars with 95% intervals, one panel per protocol (stacked), models on the y axis.

    Parameters
    ----------
    table : DataFrame
        :func:`retail_lab.recsys.evaluation_table` output (protocol, model, metric, mean,
        low, high).
    metric : str
    highlight : dict of model -> colour index, optional
        E.g. to colour Keras models differently from classical ones.
    """
    d = table[table["metric"] == metric]
    prots = list(dict.fromkeys(d["protocol"]))
    fig, axes = _grid(len(prots), ncols=1, panel_height=0.27 * d["model"].nunique() + 1.2, header=1.0)
    for ax, prot in zip(axes, prots):
        p = d[d["protocol"] == prot]
        y = np.arange(len(p))[::-1]
        colours = [PALETTE[(highlight or {}).get(m, 0)] for m in p["model"]]
        ax.barh(y, p["mean"], color=colours, xerr=[p["mean"] - p["low"], p["high"] - p["mean"]], capsize=3)
        ax.set_yticks(y, p["model"])
        ax.set_xlim(left=0)
        _xlabel(ax, f"{metric} (mean over customers, 95% CI)")
        _title(ax, f"{prot} protocol")
    _suptitle(fig, title)
    fig.tight_layout()
    return axes


def k_selection_plot(table: pd.DataFrame, title: str = "Choosing k"):
    """Elbow (inertia) and silhouette against k; input :func:`retail_lab.marketing.choose_k`."""
    fig, (a, b) = _grid(2, panel_height=2.9)
    a.plot(table["k"], table["inertia"], "o-", color=PALETTE[0])
    a.set_xlabel("number of clusters k")
    _ylabel(a, "inertia (within-cluster sum of squares)")
    _title(a, "elbow")
    b.plot(table["k"], table["silhouette"], "s-", color=PALETTE[3])
    best = table.loc[table["silhouette"].idxmax()]
    b.axvline(best["k"], color="grey", ls=":", label=f"best: k = {int(best['k'])}")
    b.set_xlabel("number of clusters k")
    _ylabel(b, "silhouette (-1 to 1, higher = better separated)")
    _title(b, "silhouette")
    b.legend()
    _suptitle(fig, title)
    fig.tight_layout()
    return np.array([a, b])


def effects_plot(table: pd.DataFrame, xlabel: str, title: str, ax=None):
    """Point estimates with 95% intervals, one row per effect; a zero line.

    table : DataFrame with columns label, diff, low, high
    """
    ax = _ax(ax)
    y = np.arange(len(table))[::-1]
    ax.errorbar(table["diff"], y, xerr=[table["diff"] - table["low"], table["high"] - table["diff"]],
                fmt="o", color=PALETTE[0], capsize=4)
    ax.axvline(0, color="black", lw=0.8)
    ax.set_yticks(y, table["label"])
    _xlabel(ax, xlabel)
    _title(ax, title)
    return ax


def qini_plot(curves: dict, title: str = "Qini curves", ax=None, unit: str = "extra responders",
              column: str = "qini"):
    """Qini curves (:func:`retail_lab.marketing.qini_curve`), or uplift curves with
    ``column="uplift"`` (:func:`retail_lab.marketing.uplift_curve`), of several rankings,
    with the random-targeting line of the first."""
    ax = _ax(ax)
    for i, (name, c) in enumerate(curves.items()):
        ax.plot(c["fraction"] * 100, c[column], color=PALETTE[i % len(PALETTE)], label=name)
    c0 = next(iter(curves.values()))
    ax.plot([0, 100], [0, c0[column].iloc[-1]], ":", color="black", label="random targeting")
    _xlabel(ax, "share of customers targeted, best-ranked first (%)")
    _ylabel(ax, f"{unit} ({'Qini' if column == 'qini' else 'uplift curve'})")
    _title(ax, title)
    _legend_below(ax, ncol=1)
    return ax


def lines_plot(table: pd.DataFrame, x: str, ys: dict, xlabel: str, ylabel: str, title: str, ax=None,
               bands: dict | None = None, reference: float | None = None):
    """Several series against one x column; optional (low, high) column pairs as bands.

    ys : dict column -> legend label; bands : dict column -> (low column, high column)
    """
    ax = _ax(ax)
    for i, (col, label) in enumerate(ys.items()):
        ax.plot(table[x], table[col], "o-", color=PALETTE[i % len(PALETTE)], label=label)
        if bands and col in bands:
            lo, hi = bands[col]
            ax.fill_between(table[x], table[lo], table[hi], color=PALETTE[i % len(PALETTE)], alpha=0.2)
    if reference is not None:
        ax.axhline(reference, color="black", lw=0.8)
    _xlabel(ax, xlabel)
    _ylabel(ax, ylabel)
    _title(ax, title)
    ax.legend()
    return ax


def calibration_plot(logs: dict, title: str = "Simulated and real purchase logs"):
    """Three panels comparing purchase logs (Online Retail columns): the popularity long tail,
    lines per invoice, and unit prices (two panels per row; the legend fills the fourth cell)."""
    fig, axes = plt.subplots(2, 2, figsize=(FIG_WIDTH, 6.4))
    legend_ax = axes[1, 1]
    axes = axes.ravel()[:3]
    for i, (name, log) in enumerate(logs.items()):
        c = PALETTE[i % len(PALETTE)]
        counts = np.sort(log.groupby("StockCode", observed=True).size().to_numpy())[::-1]
        axes[0].plot(100 * np.arange(1, len(counts) + 1) / len(counts), 100 * np.cumsum(counts) / counts.sum(),
                     color=c, label=name)
        sizes = log.groupby("InvoiceNo").size().to_numpy()
        bins = np.unique(np.round(np.logspace(0, np.log10(max(sizes.max(), 2)), 25)))
        axes[1].hist(sizes, bins=bins, density=True, histtype="step", color=c, lw=1.5, label=name)
        prices = log["UnitPrice"].to_numpy(dtype=float)
        prices = prices[prices > 0]
        axes[2].hist(prices, bins=np.logspace(-1.5, 2.5, 40), density=True, histtype="step", color=c, lw=1.5,
                     label=name)
    _xlabel(axes[0], "products, best-selling first (% of catalogue)")
    _ylabel(axes[0], "cumulative share of purchase lines (%)")
    _title(axes[0], "long tail")
    axes[1].set_xscale("log")
    _xlabel(axes[1], "lines per invoice (log scale)")
    axes[1].set_ylabel("density")
    _title(axes[1], "basket size")
    axes[2].set_xscale("log")
    _xlabel(axes[2], "unit price (GBP, log scale)")
    axes[2].set_ylabel("density")
    _title(axes[2], "prices")
    legend_ax.axis("off")
    handles, labels = axes[0].get_legend_handles_labels()
    legend_ax.legend(handles, labels, loc="center", frameon=False)
    _suptitle(fig, title)
    fig.tight_layout()
    return axes

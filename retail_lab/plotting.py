"""The book's one figure style, and the plots chapters share.

Every function returns the matplotlib Axes (or Figure) it drew on, labels axes with units
and takes a ``title`` that should state the finding.
"""

from __future__ import annotations

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

__all__ = [
    "PALETTE",
    "use_style",
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


def use_style() -> None:
    """Apply the book's style: readable fonts, light grid, small PNGs (dpi 90).

    Also widens pandas' text columns so tables of reasons and summaries are not cut, and shows
    table numbers with 4 decimals: a table states its precision, and the digits beyond it
    (where two CPUs' BLAS kernels can differ) are not part of what the book reports.
    """
    pd.set_option("display.precision", 4)
    pd.set_option("display.max_colwidth", 140)
    pd.set_option("display.width", 140)
    mpl.rcParams.update(
        {
            "figure.figsize": (7.0, 3.6),
            "figure.dpi": 90,
            "savefig.dpi": 90,
            "figure.autolayout": True,
            "font.size": 10,
            "axes.titlesize": 11,
            "axes.titleweight": "bold",
            "axes.labelsize": 10,
            "axes.grid": True,
            "grid.alpha": 0.3,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.prop_cycle": mpl.cycler(color=PALETTE),
            "legend.frameon": False,
            "image.cmap": "viridis",
            "svg.hashsalt": "retail_lab",
        }
    )


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
    labels = [m.strftime("%b\n%Y") if m.month in (1, 12) or i == 0 else m.strftime("%b")
              for i, m in enumerate(monthly.index)]
    ax.set_xticks(x, labels)
    ax.yaxis.set_major_formatter(mpl.ticker.FuncFormatter(_gbp))
    ax.set_xlabel("month (hatched: month only partly covered by the data)")
    ax.set_ylabel("revenue (GBP)")
    ax.set_title(title)
    return ax


def basket_size_plot(sizes: pd.Series, title: str = "Basket sizes", ax=None, clip: int = 100):
    """Histogram of lines per invoice (log count axis); values above ``clip`` pooled."""
    ax = _ax(ax)
    s = np.minimum(np.asarray(sizes), clip)
    ax.hist(s, bins=np.arange(0.5, clip + 1.5, 1), color=PALETTE[0])
    ax.set_yscale("log")
    ax.axvline(np.median(sizes), color=PALETTE[3], ls="--", label=f"median = {np.median(sizes):.0f}")
    ax.set_xlabel(f"order lines per invoice (last bar: {clip} or more)")
    ax.set_ylabel("invoices (log scale)")
    ax.legend()
    ax.set_title(title)
    return ax


def long_tail_plot(pop: pd.DataFrame, title: str = "Item popularity", axes=None):
    """Two panels: units by popularity rank (log-log) and the cumulative share curve."""
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(8.5, 3.4))
    a, b = axes
    a.loglog(pop["rank"], pop["units"].clip(lower=1), color=PALETTE[0])
    a.set_xlabel("product rank by units sold (log)")
    a.set_ylabel("units sold (log)")
    a.set_title("Units by rank")
    b.plot(pop["cum_product_share"] * 100, pop["cum_share"] * 100, color=PALETTE[0])
    b.plot([0, 100], [0, 100], color="grey", ls=":", label="all products equal")
    b.set_xlabel("top products (% of catalogue)")
    b.set_ylabel("cumulative units (%)")
    b.legend(loc="lower right")
    b.set_title("Cumulative share")
    a.figure.suptitle(title, fontweight="bold")
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
    ax.set_xlabel("distinct customers (log scale)")
    ax.set_title(title)
    return ax


def cancellations_plot(canc: pd.DataFrame, title: str = "Cancellations by month", ax=None):
    """Share of order lines that are cancellations, per month (percent)."""
    ax = _ax(ax)
    ax.plot(canc.index, canc["line_share"] * 100, marker="o", color=PALETTE[3])
    ax.set_ylim(bottom=0)
    ax.set_xlabel("month")
    ax.set_ylabel("cancelled lines (% of lines)")
    ax.set_title(title)
    return ax


def model_sizes_plot(sizes: pd.DataFrame, title: str = "Model sizes", ax=None):
    """Parameters (log scale) by year, one colour per family, each point labelled."""
    ax = _ax(ax)
    fams = list(dict.fromkeys(sizes["family"]))
    for i, fam in enumerate(fams):
        d = sizes[sizes["family"] == fam]
        ax.scatter(d["year"], d["parameters"], s=40, color=PALETTE[i % len(PALETTE)], label=fam, zorder=3)
        for r in d.itertuples():
            ax.annotate(r.model, (r.year, r.parameters), textcoords="offset points",
                        xytext=(5, -3), fontsize=8)
    ax.set_yscale("log")
    ax.set_xlabel("year published")
    ax.set_ylabel("parameters (log scale)")
    ax.set_xlim(sizes["year"].min() - 1, sizes["year"].max() + 4)
    ax.legend(loc="upper left")
    ax.set_title(title)
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
    ax.set_xlabel("rows (log scale; 0 shown as no bar)")
    ax.legend(loc="lower right", fontsize=8)
    ax.set_title(title)
    return ax


def architecture_figure(title: str = "Large models in a retail business: data, models, applications"):
    """The book's own architecture diagram (the article's image link is broken).

    Four layers from bottom to top: data sources, the data platform (quality gate,
    features), models (recommenders, forecasters, language models), applications (the
    article's four cases), with the feedback loop back to the data.

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig, ax = plt.subplots(figsize=(8.5, 5.0))
    ax.set_xlim(0, 100)
    ax.set_ylim(0, 100)
    ax.axis("off")
    layers = [
        ("Data sources", ["transactions\n(POS, web)", "customer\nprofiles", "product\ncatalogue",
                          "support\nchats", "campaign\nlogs"], PALETTE[5]),
        ("Data platform", ["collect &\nprocess", "quality\ngate", "feature\nstore"], PALETTE[2]),
        ("Models", ["recommenders\n(MF, two-tower,\nSASRec)", "demand\nforecasters",
                    "uplift\nmodels", "language\nmodels (intents,\nanswers)"], PALETTE[0]),
        ("Applications", ["product\nrecommendation", "personalised\nmarketing",
                          "inventory\nmanagement", "customer\nservice"], PALETTE[1]),
    ]
    ys = [8, 32, 56, 80]
    for (name, boxes, colour), y in zip(layers, ys):
        ax.text(1, y + 6, name, fontsize=10, fontweight="bold", va="center")
        n = len(boxes)
        width = 76 / n
        for i, label in enumerate(boxes):
            x = 20 + i * width
            ax.add_patch(mpl.patches.FancyBboxPatch(
                (x + 0.8, y), width - 1.6, 12, boxstyle="round,pad=0.4",
                facecolor=colour, alpha=0.25, edgecolor=colour))
            ax.text(x + width / 2, y + 6, label, ha="center", va="center", fontsize=8)
    for y0, y1 in zip(ys[:-1], ys[1:]):
        ax.annotate("", xy=(58, y1 - 0.8), xytext=(58, y0 + 12.8),
                    arrowprops=dict(arrowstyle="->", color="black"))
    ax.annotate("", xy=(98.5, ys[0] + 6), xytext=(98.5, ys[-1] + 6),
                arrowprops=dict(arrowstyle="->", color=PALETTE[3], connectionstyle="arc3,rad=0"))
    ax.text(99.5, 50, "feedback: outcomes become new data", rotation=270, va="center",
            fontsize=8, color=PALETTE[3])
    ax.set_title(title)
    return fig


def loss_curves_plot(histories: dict, title: str = "Training curves", axes=None, ylabel="cross-entropy loss"):
    """One panel per run: training and validation loss by epoch.

    Parameters
    ----------
    histories : dict of name -> dict with "loss" and optionally "val_loss" lists
    """
    n = len(histories)
    if axes is None:
        _, axes = plt.subplots(1, n, figsize=(2.6 * n + 1, 3.2), sharey=True, squeeze=False)
        axes = axes[0]
    for ax, (name, h) in zip(axes, histories.items()):
        ep = np.arange(1, len(h["loss"]) + 1)
        ax.plot(ep, h["loss"], color=PALETTE[0], label="train")
        if h.get("val_loss"):
            ax.plot(ep, h["val_loss"], color=PALETTE[1], ls="--", label="validation")
        ax.set_title(name)
        ax.set_xlabel("epoch")
    axes[0].set_ylabel(ylabel)
    axes[0].legend()
    axes[0].figure.suptitle(title, fontweight="bold")
    return axes


def scaling_plot(df: pd.DataFrame, title: str = "Cost and quality as the network grows", axes=None):
    """Training seconds and test AUC against parameters, one line per depth.

    Input: :func:`retail_lab.evaluation.scaling_study`.
    """
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(8.5, 3.4))
    a, b = axes
    for i, (depth, d) in enumerate(df.groupby("depth")):
        kw = dict(marker="o", color=PALETTE[i % len(PALETTE)], label=f"{depth} hidden layer(s)")
        a.plot(d["params"], d["seconds"], **kw)
        b.plot(d["params"], d["auc"], **kw)
    for ax in axes:
        ax.set_xscale("log")
        ax.set_xlabel("parameters (log scale)")
    a.set_yscale("log")
    a.yaxis.set_major_formatter(mpl.ticker.FormatStrFormatter("%g"))
    a.yaxis.set_minor_formatter(mpl.ticker.NullFormatter())
    a.set_ylabel("training time (s, log scale)")
    b.set_ylabel("test AUC")
    a.set_title("Compute")
    b.set_title("Quality")
    a.legend(fontsize=8)
    a.figure.suptitle(title, fontweight="bold")
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
    ax.set_xlabel("training customers (log scale)")
    ax.set_ylabel("test AUC")
    ax.legend()
    ax.set_title(title)
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
    ax.set_xlabel(xlabel)
    ax.set_title(title)
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
    ax.set_xlabel("lag (days before the predicted day)")
    ax.set_ylabel("weight (standardised units)")
    ax.legend()
    ax.set_title(title)
    return ax


def metric_ci_plot(table: pd.DataFrame, title: str = "Recommendation quality", axes=None):
    """Bars with 95% intervals per model, one panel per (protocol, metric).

    Input: :func:`retail_lab.recsys.evaluation_table`.
    """
    panels = list(table.groupby(["protocol", "metric"], sort=False))
    if axes is None:
        _, axes = plt.subplots(1, len(panels), figsize=(2.3 * len(panels) + 1, 3.3), squeeze=False)
        axes = axes[0]
    for ax, ((prot, metric), d) in zip(axes, panels):
        x = np.arange(len(d))
        ax.bar(x, d["mean"], color=[PALETTE[i % len(PALETTE)] for i in x],
               yerr=[d["mean"] - d["low"], d["high"] - d["mean"]], capsize=3)
        ax.set_xticks(x, d["model"], rotation=30, ha="right")
        ax.set_title(f"{metric}\n({prot} protocol)", fontsize=9)
    axes[0].set_ylabel("mean over users (95% CI)")
    axes[0].figure.suptitle(title, fontweight="bold")
    return axes


def privacy_error_plot(study: pd.DataFrame, title: str = "Error of the Laplace mechanism", ax=None,
                       unit: str = "customers"):
    """Measured and theoretical mean absolute error against epsilon (log-log).

    Input: :func:`retail_lab.privacy.laplace_error_study`.
    """
    ax = _ax(ax)
    ax.loglog(study["epsilon"], study["mean_abs_error"], "o-", color=PALETTE[0], label="measured")
    ax.loglog(study["epsilon"], study["theory"], ":", color="black", label="theory: sensitivity / epsilon")
    ax.set_xlabel("privacy budget epsilon (log scale; smaller = more private)")
    ax.set_ylabel(f"mean absolute error ({unit}, log scale)")
    ax.legend()
    ax.set_title(title)
    return ax


def reliability_plot(tables: dict, title: str = "Calibration", ax=None):
    """Accuracy against confidence per bin, one line per model; the diagonal is perfect calibration.

    Input: name -> :func:`retail_lab.service.reliability_table`.
    """
    ax = _ax(ax)
    ax.plot([0, 1], [0, 1], ":", color="grey", label="perfectly calibrated")
    for i, (name, t) in enumerate(tables.items()):
        ax.plot(t["confidence"], t["accuracy"], "o-", color=PALETTE[i % len(PALETTE)], label=name)
    ax.set_xlabel("confidence (top predicted probability)")
    ax.set_ylabel("accuracy in the bin")
    ax.legend()
    ax.set_title(title)
    return ax


def tradeoff_plot(df: pd.DataFrame, title: str = "Automation against errors", ax=None, mark=None):
    """Automation rate (%) against wrong automated answers per 1,000 messages as the threshold moves."""
    ax = _ax(ax)
    ax.plot(df["errors_per_1000"], df["automation_rate"] * 100, "o-", color=PALETTE[0])
    for _, r in df.iloc[:: max(1, len(df) // 6)].iterrows():
        ax.annotate(f"{r['threshold']:.2f}", (r["errors_per_1000"], r["automation_rate"] * 100),
                    textcoords="offset points", xytext=(4, -10), fontsize=7)
    if mark is not None:
        ax.axvline(mark, color=PALETTE[3], ls="--", label=f"{mark:g} errors per 1,000")
        ax.legend()
    ax.set_xlabel("wrong automatic answers per 1,000 messages")
    ax.set_ylabel("answered without a person (%)")
    ax.set_title(title)
    return ax


def series_plot(x, series: dict, xlabel: str, ylabel: str, title: str, ax=None):
    """Several named y-series over the same x, with markers (a general line chart)."""
    ax = _ax(ax)
    for i, (name, y) in enumerate(series.items()):
        ax.plot(x, y, "o-", color=PALETTE[i % len(PALETTE)], label=name)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if len(series) > 1:
        ax.legend()
    ax.set_title(title)
    return ax


def bar_plot(values: pd.Series, xlabel: str, title: str, ax=None, reference: float | None = None,
             reference_label: str = ""):
    """Horizontal bars of one value per category (sorted as given), optional reference line."""
    ax = _ax(ax)
    y = np.arange(len(values))[::-1]
    ax.barh(y, values.to_numpy(), color=PALETTE[0])
    ax.set_yticks(y, [str(i) for i in values.index])
    if reference is not None:
        ax.axvline(reference, color=PALETTE[3], ls="--", label=reference_label)
        if reference_label:
            ax.legend(loc="lower right")
    ax.set_xlabel(xlabel)
    ax.set_title(title)
    return ax


def forecast_plot(actual: pd.DataFrame, forecasts: dict, codes, title: str = "Forecasts against actuals",
                  descriptions: dict | None = None, axes=None):
    """One panel per product: actual daily units and each method's forecasts."""
    codes = list(codes)
    if axes is None:
        _, axes = plt.subplots(len(codes), 1, figsize=(8.5, 2.3 * len(codes)), sharex=True, squeeze=False)
        axes = axes[:, 0]
    for ax, code in zip(axes, codes):
        ax.plot(actual.index, actual[code], color="black", lw=1.2, label="actual")
        for i, (name, F) in enumerate(forecasts.items()):
            ax.plot(F.index, F[code], color=PALETTE[i % len(PALETTE)], lw=1, ls="--", label=name)
        label = (descriptions or {}).get(code, "")
        ax.set_title(f"{code} {label}".strip(), fontsize=9)
        ax.set_ylabel("units / day")
    axes[0].legend(fontsize=7, ncol=len(forecasts) + 1, loc="upper left")
    axes[-1].set_xlabel("day")
    axes[0].figure.suptitle(title, fontweight="bold")
    return axes


def recsys_training_plot(histories: dict, title: str = "Training curves"):
    """Per model: training loss (left axis) and validation NDCG@10 (right axis) by epoch.

    Parameters
    ----------
    histories : dict of name -> DataFrame with epoch, train_loss, val_ndcg@10
        ``KerasRecommender.history_`` of runs fitted with ``validate=True``; the best epoch
        (the weights kept) is marked.

    Returns
    -------
    ndarray of Axes (the loss axes)
    """
    n = len(histories)
    fig, axes = plt.subplots(1, n, figsize=(2.9 * n + 0.6, 3.2), squeeze=False)
    axes = axes[0]
    for ax, (name, h) in zip(axes, histories.items()):
        ax.plot(h["epoch"], h["train_loss"], "o-", color=PALETTE[0], ms=3, label="train loss")
        ax.set_xlabel("epoch")
        ax.set_title(name, fontsize=10)
        ax2 = ax.twinx()
        ax2.plot(h["epoch"], h["val_ndcg@10"], "s--", color=PALETTE[3], ms=3, label="validation NDCG@10")
        best = h.loc[h["val_ndcg@10"].idxmax()]
        ax2.axvline(best["epoch"], color="grey", lw=0.8, ls=":")
        ax2.tick_params(axis="y", colors=PALETTE[3])
        if ax is axes[-1]:
            ax2.set_ylabel("validation NDCG@10", color=PALETTE[3])
    axes[0].set_ylabel("training loss (model's own loss)")
    handles = [mpl.lines.Line2D([], [], color=PALETTE[0], marker="o", label="train loss"),
               mpl.lines.Line2D([], [], color=PALETTE[3], marker="s", ls="--", label="validation NDCG@10"),
               mpl.lines.Line2D([], [], color="grey", ls=":", label="best epoch (kept)")]
    fig.legend(handles=handles, loc="lower center", ncol=3, frameon=False, bbox_to_anchor=(0.5, -0.04))
    fig.suptitle(title, fontweight="bold")
    fig.tight_layout(rect=(0, 0.06, 1, 1))
    return axes


def model_comparison_plot(table: pd.DataFrame, metric: str = "NDCG@10", title: str = "Model comparison",
                          highlight: dict | None = None):
    """Horizontal bars with 95% intervals, one panel per protocol, models on the y axis.

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
    fig, axes = plt.subplots(1, len(prots), figsize=(4.6 * len(prots), 0.32 * d["model"].nunique() + 1.6),
                             sharey=True, squeeze=False)
    axes = axes[0]
    for ax, prot in zip(axes, prots):
        p = d[d["protocol"] == prot]
        y = np.arange(len(p))[::-1]
        colours = [PALETTE[(highlight or {}).get(m, 0)] for m in p["model"]]
        ax.barh(y, p["mean"], color=colours, xerr=[p["mean"] - p["low"], p["high"] - p["mean"]], capsize=3)
        ax.set_yticks(y, p["model"])
        ax.set_xlabel(f"{metric} (mean over customers, 95% CI)")
        ax.set_title(f"{prot} protocol", fontsize=10)
    fig.suptitle(title, fontweight="bold")
    fig.tight_layout()
    return axes


def k_selection_plot(table: pd.DataFrame, title: str = "Choosing k"):
    """Elbow (inertia) and silhouette against k; input :func:`retail_lab.marketing.choose_k`."""
    fig, (a, b) = plt.subplots(1, 2, figsize=(8.5, 3.2))
    a.plot(table["k"], table["inertia"], "o-", color=PALETTE[0])
    a.set_xlabel("number of clusters k")
    a.set_ylabel("inertia (within-cluster sum of squares)")
    a.set_title("elbow", fontsize=10)
    b.plot(table["k"], table["silhouette"], "s-", color=PALETTE[3])
    best = table.loc[table["silhouette"].idxmax()]
    b.axvline(best["k"], color="grey", ls=":", label=f"best silhouette: k = {int(best['k'])}")
    b.set_xlabel("number of clusters k")
    b.set_ylabel("silhouette (-1 to 1, higher = better separated)")
    b.set_title("silhouette", fontsize=10)
    b.legend()
    fig.suptitle(title, fontweight="bold")
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
    ax.set_xlabel(xlabel)
    ax.set_title(title)
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
    ax.set_xlabel("share of customers targeted, best-ranked first (%)")
    ax.set_ylabel(f"{unit} ({'Qini' if column == 'qini' else 'uplift curve'})")
    ax.set_title(title)
    ax.legend(fontsize=8)
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
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(fontsize=8)
    return ax


def calibration_plot(logs: dict, title: str = "Simulated and real purchase logs"):
    """Three panels comparing purchase logs (Online Retail columns): the popularity long tail,
    lines per invoice, and unit prices."""
    fig, axes = plt.subplots(1, 3, figsize=(11, 3.3))
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
    axes[0].set_xlabel("products, best-selling first (% of catalogue)")
    axes[0].set_ylabel("cumulative share of purchase lines (%)")
    axes[0].set_title("long tail", fontsize=10)
    axes[1].set_xscale("log")
    axes[1].set_xlabel("lines per invoice (log scale)")
    axes[1].set_ylabel("density")
    axes[1].set_title("basket size", fontsize=10)
    axes[2].set_xscale("log")
    axes[2].set_xlabel("unit price (GBP, log scale)")
    axes[2].set_ylabel("density")
    axes[2].set_title("prices", fontsize=10)
    axes[0].legend(fontsize=8)
    fig.suptitle(title, fontweight="bold")
    fig.tight_layout()
    return axes

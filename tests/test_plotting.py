"""Smoke tests for every public plot function in retail_lab.plotting, and the book's style.

Each function draws from a small synthetic input shaped like the chapter's real one; the
figure must draw, label its axes, carry a title and keep every text at or above the
style's font floor; then it is closed.
"""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from retail_lab import plotting  # noqa: E402

RNG = np.random.default_rng(0)


@pytest.fixture(autouse=True)
def _style():
    with matplotlib.rc_context():
        plotting.use_style()
        yield
    plt.close("all")


def _log(n_invoices=30, n_items=12, seed=0):
    rng = np.random.default_rng(seed)
    rows = []
    for inv in range(n_invoices):
        for _ in range(rng.integers(1, 6)):
            rows.append({"InvoiceNo": f"5{inv:05d}", "StockCode": f"P{rng.integers(n_items):03d}",
                         "UnitPrice": float(rng.uniform(0.2, 20))})
    return pd.DataFrame(rows)


def _evaluation_table(protocols=("all", "new"), metrics=("HR@10", "NDCG@10", "Recall@20"),
                      models=("popularity", "item-kNN (cosine)")):
    rows = []
    for p in protocols:
        for m in metrics:
            for i, model in enumerate(models):
                mean = 0.1 + 0.05 * i
                rows.append({"protocol": p, "model": model, "metric": m, "mean": mean,
                             "low": mean - 0.01, "high": mean + 0.01, "coverage@10": 0.5})
    return pd.DataFrame(rows)


months = pd.date_range("2010-12-01", periods=13, freq="MS")
days = pd.date_range("2011-11-01", periods=28, freq="D")
curve = pd.DataFrame({"fraction": np.linspace(0, 1, 11), "qini": np.linspace(0, 30, 11) ** 0.9,
                      "uplift": np.linspace(0, 0.05, 11)})
recsys_history = pd.DataFrame({"epoch": np.arange(1, 7), "train_loss": np.linspace(0.6, 0.2, 6),
                               "val_ndcg@10": [0.05, 0.06, 0.07, 0.068, 0.066, 0.065]})

CASES = {
    "monthly_revenue_plot": lambda: plotting.monthly_revenue_plot(
        pd.DataFrame({"revenue": RNG.uniform(4e5, 1e6, 13), "partial": [False] * 12 + [True]}, index=months),
        title="Revenue peaks in November"),
    "basket_size_plot": lambda: plotting.basket_size_plot(pd.Series(RNG.integers(1, 150, 500)),
                                                          title="Most baskets are small"),
    "long_tail_plot": lambda: plotting.long_tail_plot(
        pd.DataFrame({"rank": np.arange(1, 101), "units": 1000 / np.arange(1, 101),
                      "cum_product_share": np.arange(1, 101) / 100,
                      "cum_share": np.cumsum(1 / np.arange(1, 101)) / np.sum(1 / np.arange(1, 101))}),
        title="The top 20% of products sell 70% of all units"),
    "countries_plot": lambda: plotting.countries_plot(
        pd.DataFrame({"customers": [3900, 95, 87, 31, 25, 20, 15, 12, 10, 9, 8, 5, 1]},
                     index=[f"country {i}" for i in range(13)]), title="90% of customers are in one country"),
    "cancellations_plot": lambda: plotting.cancellations_plot(
        pd.DataFrame({"line_share": RNG.uniform(0.01, 0.03, 13)}, index=months), title="About 2% cancelled"),
    "model_sizes_plot": lambda: plotting.model_sizes_plot(
        pd.DataFrame({"model": ["word2vec", "BERT", "GPT-3"], "family": ["embedding", "transformer", "transformer"],
                      "year": [2013, 2018, 2020], "parameters": [1e8, 3.4e8, 1.75e11]}), title="Sizes grew"),
    "quality_report_plot": lambda: plotting.quality_report_plot(
        pd.DataFrame({"rule": ["missing customer", "negative price", "duplicate line"],
                      "n_failing": [1000, 2, 500], "n_removed": [1000, 0, 480]}), title="One rule dominates"),
    "architecture_figure": lambda: plotting.architecture_figure(),
    "loss_curves_plot": lambda: plotting.loss_curves_plot(
        {name: {"loss": list(np.linspace(1, 0.3, 10)), "val_loss": list(np.linspace(1.1, 0.4, 10))}
         for name in ("GD", "SGD", "momentum")}, title="All optimizers converge"),
    "scaling_plot": lambda: plotting.scaling_plot(
        pd.DataFrame({"depth": [1, 1, 2, 2], "params": [50, 500, 80, 900], "seconds": [0.5, 2.0, 0.7, 3.1],
                      "auc": [0.70, 0.72, 0.71, 0.72]}), title="Ten times the parameters, the same AUC"),
    "learning_curve_plot": lambda: plotting.learning_curve_plot(
        pd.DataFrame({"model": ["MLP"] * 6 + ["logistic"] * 6, "size": [100, 100, 1000, 1000, 4000, 4000] * 2,
                      "auc": RNG.uniform(0.6, 0.75, 12)}), title="More customers help both"),
    "importance_plot": lambda: plotting.importance_plot(
        ["recency", "frequency", "monetary"], RNG.uniform(0, 0.05, (3, 4)), title="Recency matters most"),
    "filter_weights_plot": lambda: plotting.filter_weights_plot(
        {"learned": RNG.normal(size=7), "moving average": np.full(7, 1 / 7)}, title="Weights fall with lag"),
    "metric_ci_plot": lambda: plotting.metric_ci_plot(_evaluation_table(), title="kNN beats popularity"),
    "metric_ci_plot_one_protocol": lambda: plotting.metric_ci_plot(
        _evaluation_table(protocols=("new",), metrics=("HR@10", "NDCG@10"),
                          models=("text only", "purchases only", "fused (alpha 0.5)")), title="Fusion wins"),
    "privacy_error_plot": lambda: plotting.privacy_error_plot(
        pd.DataFrame({"epsilon": [0.1, 1, 10], "mean_abs_error": [10.2, 1.0, 0.1], "theory": [10, 1, 0.1]}),
        title="Error grows as 1/epsilon"),
    "reliability_plot": lambda: plotting.reliability_plot(
        {"TF-IDF": pd.DataFrame({"confidence": [0.2, 0.5, 0.9], "accuracy": [0.3, 0.5, 0.8]})},
        title="Slightly over-confident"),
    "tradeoff_plot": lambda: plotting.tradeoff_plot(
        pd.DataFrame({"threshold": np.linspace(0.1, 0.9, 9), "errors_per_1000": np.linspace(80, 5, 9),
                      "automation_rate": np.linspace(0.95, 0.3, 9)}), title="A trade-off", mark=10),
    "series_plot": lambda: plotting.series_plot(
        [0, 10, 20], {"a": [0.9, 0.8, 0.6], "b": [0.9, 0.85, 0.8]}, "typo rate (%)", "accuracy (%)",
        "Typos cost accuracy"),
    "bar_plot": lambda: plotting.bar_plot(
        pd.Series({"naive": 1.09, "seasonal naive": 0.97, "Keras global MLP": 0.74}),
        xlabel="MASE (lower is better)", title="Keras is 11% better", reference=1.0,
        reference_label="seasonal naive in-sample error"),
    "forecast_plot": lambda: plotting.forecast_plot(
        pd.DataFrame({"A": RNG.poisson(5, 28), "B": RNG.poisson(9, 28)}, index=days),
        {"weekday profile": pd.DataFrame({"A": np.full(28, 5.0), "B": np.full(28, 9.0)}, index=days),
         "Keras": pd.DataFrame({"A": np.full(28, 5.5), "B": np.full(28, 8.0)}, index=days)},
        ["A", "B"], descriptions={"A": "MUG"}, title="Forecasts track the weekly cycle"),
    "recsys_training_plot": lambda: plotting.recsys_training_plot(
        {name: recsys_history for name in ("BPR-MF", "NeuMF", "two-tower")}, title="Validation peaks early"),
    "model_comparison_plot": lambda: plotting.model_comparison_plot(
        _evaluation_table(metrics=("NDCG@10",), models=("popularity", "EASE", "two-tower")),
        highlight={"two-tower": 3}, title="EASE leads"),
    "k_selection_plot": lambda: plotting.k_selection_plot(
        pd.DataFrame({"k": range(2, 7), "inertia": [900, 600, 450, 400, 380],
                      "silhouette": [0.30, 0.38, 0.33, 0.31, 0.29]}), title="Silhouette peaks at k = 3"),
    "effects_plot": lambda: plotting.effects_plot(
        pd.DataFrame({"label": ["men's e-mail", "women's e-mail"], "diff": [7.7, 4.5], "low": [6.9, 3.8],
                      "high": [8.5, 5.2]}), "effect vs no e-mail (percentage points, 95% CI)", "Both work"),
    "qini_plot": lambda: plotting.qini_plot({"T-learner": curve, "oracle": curve.assign(qini=curve["qini"] * 1.3)},
                                            title="The ranking beats random", unit="extra visits"),
    "qini_plot_uplift": lambda: plotting.qini_plot({"T-learner": curve}, title="Uplift curve", column="uplift"),
    "lines_plot": lambda: plotting.lines_plot(
        pd.DataFrame({"value": [0, 1, 2], "lift": [1.0, 5.0, 9.0], "lo": [0.0, 3.0, 7.0], "hi": [2.0, 7.0, 11.0]}),
        "value", {"lift": "EASE vs popularity"}, "taste strength", "relative conversion lift (%, 95% CI)",
        "Lift grows with taste", bands={"lift": ("lo", "hi")}, reference=0),
    "calibration_plot": lambda: plotting.calibration_plot({"real": _log(), "simulated": _log(seed=1)},
                                                         title="Prices match"),
}


# estimators' ``history_`` (a DataFrame indexed by "epoch") draw like Keras' dict of lists
CASES["loss_curves_plot_frames"] = lambda: plotting.loss_curves_plot(
    {name: pd.DataFrame({"loss": np.linspace(1, 0.3, 10), "val_loss": np.linspace(1.1, 0.4, 10),
                         "seconds": 0.1}, index=pd.RangeIndex(1, 11, name="epoch"))
     for name in ("GD", "Adam")}, title="Histories as DataFrames")
CASES["recsys_training_plot_epoch_index"] = lambda: plotting.recsys_training_plot(
    {"BPR-MF": recsys_history.set_index("epoch").rename(columns={"train_loss": "loss"})},
    title="A history indexed by epoch")

#: public functions of the module that set the style rather than draw
NOT_PLOTS = {"style_params", "use_style", "pandas_display", "cjk_font"}


def _case_function(case: str) -> str:
    """The plot function a case exercises (cases are named after it, plus a variant suffix)."""
    names = [n for n in plotting.__all__ if case == n or case.startswith(n + "_")]
    assert names, f"case {case!r} names no public function"
    return max(names, key=len)


def test_every_public_plot_function_is_covered():
    import inspect

    functions = {n for n, f in vars(plotting).items()
                 if inspect.isfunction(f) and f.__module__ == plotting.__name__ and not n.startswith("_")}
    assert functions <= set(plotting.__all__), f"public but not in __all__: {sorted(functions - set(plotting.__all__))}"
    public = functions - NOT_PLOTS
    covered = {_case_function(name) for name in CASES}
    assert public <= covered, f"no smoke test for {sorted(public - covered)}"


def _first_axes(result):
    if isinstance(result, matplotlib.figure.Figure):
        return result.axes[0]
    return np.ravel(np.asarray(result, dtype=object))[0]


def _all_axes(result):
    if isinstance(result, matplotlib.figure.Figure):
        return result.axes
    return list(np.ravel(np.asarray(result, dtype=object)))


def _has_label(axis) -> bool:
    """A label, or categorical tick labels (bar charts name their categories on the axis)."""
    if axis.get_label_text().strip():
        return True
    texts = [t.get_text() for t in axis.get_ticklabels()]
    return any(t and not t.replace(".", "").replace("-", "").replace("−", "").isdigit() for t in texts)


@pytest.mark.parametrize("name", sorted(CASES))
def test_plot_draws_labels_and_closes(name):
    result = CASES[name]()
    ax = _first_axes(result)
    fig = ax.figure
    fig.canvas.draw()
    if name != "architecture_figure":  # a diagram: no data axes
        drawn = _all_axes(result)  # stacked panels share the x label of the bottom one
        assert any(_has_label(a.xaxis) for a in drawn), f"{name}: x axis has no label"
        assert _has_label(ax.yaxis), f"{name}: y axis has no label"
    title = ax.get_title() or (fig._suptitle.get_text() if fig._suptitle else "")
    assert title.strip(), f"{name}: no title"
    # layout for a phone: the figure is the book's width and panels wrap at two per row
    assert fig.get_figwidth() == pytest.approx(plotting.FIG_WIDTH)
    rows = {}
    for a in fig.axes:  # a twin axis shares its host's box, so count distinct boxes per row
        if a.get_visible() and a.axison:
            box = a.get_position()
            rows.setdefault(round(box.y0, 2), set()).add(round(box.x0, 2))
    assert max(map(len, rows.values()), default=0) <= 2, f"{name}: more than two panels in a row"
    # font floor: no visible text below MIN_FONT_PT
    small = [t.get_text() for t in fig.findobj(matplotlib.text.Text)
             if t.get_visible() and t.get_text().strip() and t.get_fontsize() < plotting.MIN_FONT_PT - 1e-6]
    assert not small, f"{name}: text below {plotting.MIN_FONT_PT} pt: {small[:5]}"
    # nothing drawn outside the figure once saved with the inline backend's settings
    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight", dpi=50)
    assert buf.tell() > 0
    # a legend or title wider than the figure widens the saved PNG, and a phone shrinks it:
    # the saved width must stay the book's width (the 0.2 in is tight_bbox's padding)
    from PIL import Image

    buf.seek(0)
    width_in = Image.open(buf).size[0] / 50
    assert width_in <= plotting.FIG_WIDTH + 0.2, f"{name}: saved {width_in:.2f} in wide"
    plt.close(fig)
    assert not plt.fignum_exists(fig.number)


def test_legibility_arithmetic():
    # CSS px of the smallest text on a 390 px phone: pt * (display px per inch) / 72
    px = plotting.MIN_FONT_PT * plotting.PHONE_WIDTH_PX / plotting.FIG_WIDTH / 72
    assert px >= plotting.MIN_TEXT_PX >= 9


def test_use_style_sets_font_floor_and_2x_output():
    rc = matplotlib.rcParams
    assert rc["figure.dpi"] == plotting.DPI
    assert rc["savefig.dpi"] == 2 * plotting.DPI
    assert tuple(rc["figure.figsize"])[0] == plotting.FIG_WIDTH
    for key in ("font.size", "axes.labelsize", "xtick.labelsize", "ytick.labelsize", "legend.fontsize"):
        assert float(matplotlib.font_manager.FontProperties(size=rc[key]).get_size_in_points()) >= \
            plotting.MIN_FONT_PT, key


def test_use_style_makes_jupyter_emit_retina_png():
    """Inside IPython, a figure is shown as a 2x PNG tagged with its 1x display size."""
    from IPython.core.interactiveshell import InteractiveShell
    from PIL import Image

    shell = InteractiveShell.instance()
    try:
        import IPython

        assert IPython.get_ipython() is shell
        plotting.use_style()
        fig, ax = plt.subplots()
        ax.plot([0, 1], [0, 1])
        ax.set_title("x")
        data, meta = shell.display_formatter.format(fig)
        png = data["image/png"]
        png = png if isinstance(png, bytes) else __import__("base64").b64decode(png)
        w, h = Image.open(io.BytesIO(png)).size
        shown = meta["image/png"]
        # the width only: with a height too, a phone's max-width: 100% would squash the figure
        assert shown == {"width": w // 2}
        # displayed at 100 CSS px per inch (tight bbox trims a little), drawn at 200
        assert 0.8 * plotting.FIG_WIDTH * plotting.DPI <= shown["width"] <= plotting.FIG_WIDTH * plotting.DPI
        plt.close(fig)
    finally:
        shell.display_formatter.formatters["image/png"].pop(matplotlib.figure.Figure, None)
        InteractiveShell.clear_instance()


EXPECTED_STYLE = {  # written out by hand: the style file must say exactly this
    "font.family": ["sans-serif"],
    "figure.figsize": [6.0, 3.6], "figure.dpi": 100.0, "savefig.dpi": 200.0, "figure.autolayout": True,
    "font.size": 11.0, "axes.titlesize": 12.0, "axes.titleweight": "bold", "axes.labelsize": 11.0,
    "xtick.labelsize": 11.0, "ytick.labelsize": 11.0, "legend.fontsize": 11.0, "legend.title_fontsize": 11.0,
    "figure.titlesize": 13.0, "figure.titleweight": "bold", "axes.grid": True, "grid.alpha": 0.3,
    "axes.spines.top": False, "axes.spines.right": False, "legend.frameon": True, "legend.framealpha": 0.85,
    "legend.edgecolor": "none", "legend.fancybox": False, "image.cmap": "viridis", "svg.hashsalt": "retail_lab",
}


def test_style_file_holds_the_book_style():
    params = plotting.style_params()
    colours = [c["color"].lower() for c in params.pop("axes.prop_cycle")]
    assert colours == [c.lower() for c in plotting.PALETTE]
    params["figure.figsize"] = list(params["figure.figsize"])
    assert params == EXPECTED_STYLE
    # the legibility constants the module reasons with are the ones in the file
    assert params["figure.figsize"][0] == plotting.FIG_WIDTH
    assert params["figure.dpi"] == plotting.DPI and params["savefig.dpi"] == 2 * plotting.DPI
    assert params["font.size"] == plotting.MIN_FONT_PT


def test_style_file_is_package_data():
    import tomllib
    from pathlib import Path

    assert plotting.STYLE_FILE.parent == Path(plotting.__file__).parent and plotting.STYLE_FILE.is_file()
    meta = tomllib.loads((Path(__file__).resolve().parents[1] / "pyproject.toml").read_text())
    assert "*.mplstyle" in meta["tool"]["setuptools"]["package-data"]["retail_lab"]


def test_style_file_works_with_plain_matplotlib():
    with matplotlib.rc_context():
        matplotlib.rcParams.update(matplotlib.rcParamsDefault)
        plt.style.use(plotting.STYLE_FILE)
        assert matplotlib.rcParams["font.size"] == plotting.MIN_FONT_PT
        assert matplotlib.rcParams["axes.prop_cycle"].by_key()["color"][0].lower() == plotting.PALETTE[0].lower()


def test_import_sets_nothing_and_pandas_is_opt_out():
    import subprocess
    import sys

    code = ("import pandas as pd, matplotlib as mpl; before = (pd.get_option('display.precision'), "
            "mpl.rcParams['font.size']); import retail_lab.plotting as p; "
            "assert (pd.get_option('display.precision'), mpl.rcParams['font.size']) == before; "
            "p.use_style(pandas=False); assert pd.get_option('display.precision') == before[0]; "
            "assert mpl.rcParams['font.size'] == 11; p.use_style(); "
            "assert pd.get_option('display.precision') == 4 and pd.get_option('display.width') == 140")
    subprocess.run([sys.executable, "-c", code], check=True, env={**__import__("os").environ, "MPLBACKEND": "Agg"})


def test_use_style_rejects_a_non_bool():
    with pytest.raises(TypeError, match="pandas"):
        plotting.use_style(pandas="yes")


def test_history_frame_draws_the_same_lines_as_the_dict():
    loss, val = [1.0, 0.6, 0.5], [1.1, 0.8, 0.7]
    a = plotting.loss_curves_plot({"x": {"loss": loss, "val_loss": val}})[0]
    frame = pd.DataFrame({"loss": loss, "val_loss": val}, index=pd.RangeIndex(1, 4, name="epoch"))
    b = plotting.loss_curves_plot({"x": frame})[0]
    for la, lb in zip(a.get_lines(), b.get_lines(), strict=True):
        np.testing.assert_array_equal(la.get_xydata(), lb.get_xydata())
    np.testing.assert_array_equal(a.get_lines()[0].get_xdata(), [1, 2, 3])


def test_chinese_labels_render_with_a_declared_cjk_font(tmp_path, recwarn):
    import matplotlib.pyplot as plt

    if plotting.cjk_font() is None:
        pytest.skip("no Chinese font on this machine (make test installs fonts-wqy-zenhei)")
    plotting.use_style(pandas=False, chinese=True)
    try:
        fig, ax = plt.subplots()
        ax.set_title("库存与需求 (inventory)")
        ax.set_xlabel("日期")
        fig.savefig(tmp_path / "zh.png")
        plt.close(fig)
        missing = [str(w.message) for w in recwarn if "missing from font" in str(w.message)]
        assert missing == []
        assert plt.rcParams["font.family"][0] == "DejaVu Sans"   # Latin text keeps the book's font
    finally:
        plotting.use_style(pandas=False)
    assert plt.rcParams["font.family"] == ["sans-serif"]
    with pytest.raises(TypeError, match="chinese"):
        plotting.use_style(chinese="yes")

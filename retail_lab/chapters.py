"""The chapter map: the one place that says which file is which chapter.

Every chapter of the book mirrors one section of the article, and the article's section
number is the chapter's number everywhere: in the sidebar and the chapter's title ("4.3 Case
study: ..."), in tables that name chapters ("4.3 Collaborative filtering"), in exercise
titles ("Exercise 4.3.1") and in answer checks (``check("4.3.1", answer)``). File names keep
their running numbers ``01``-``13`` (the article's order), which nothing shows a reader.

The tests (chapter titles, exercises, benchmark table), the tools (benchmark) and the book
(exercise numbering, the course map, the "Run this chapter" box) all read this module, so a
chapter's number, title, prerequisites, study time and budget are written down once.

Examples
--------
>>> from retail_lab.chapters import chapter
>>> ch = chapter("05_cf_worked_example")
>>> ch.section, ch.label
('4.3', '4.3 Collaborative filtering')
>>> ch.exercise_ids
('4.3.1', '4.3.2', '4.3.3')
>>> chapter("4.3") is ch and chapter("ch05") is ch
True
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Chapter", "CHAPTERS", "SYLLABI", "BUDGET_S", "BUDGET_MB", "BUDGET_TOTAL_S",
           "chapter", "exercise", "parse_exercise_id"]

#: Run-time budget of one chapter from a fresh kernel on 2 CPU cores (CONTRIBUTING.md).
BUDGET_S = 120
#: Peak-memory budget of one chapter, in MB.
BUDGET_MB = 3072
#: Run-time budget of the whole book, in seconds.
BUDGET_TOTAL_S = 900


@dataclass(frozen=True)
class Chapter:
    """One chapter of the book.

    Attributes
    ----------
    file : str
        The notebook's name without suffix, e.g. ``"05_cf_worked_example"``.
    section : str
        The article's section the chapter mirrors, and the chapter's number: ``"4.3"``.
    title, title_zh : str
        The chapter's title without its number, and the article's Chinese section title.
    short : str
        A short title for tables and diagrams: ``"Collaborative filtering"``.
    requires : tuple of str
        Sections of the chapters to study first: direct prerequisites only, none implied by
        another (chapter 3 needs chapter 2, so a chapter that needs both lists only 3).
    study_hours : float
        Estimated study time: reading, running every cell and doing the three exercises.
    n_exercises : int
        Exercises at the end of the chapter, numbered ``<section>.1``, ``<section>.2``, ...
    budget_s, budget_mb : int
        Run-time and peak-memory budget from a fresh kernel (checked by ``make bench``).
    part : str
        The part of the book (the caption in the table of contents, ``_toc.yml``, which
        ``tools/make_toc.py`` writes from this map); empty: the part of the chapter before.
    """

    file: str
    section: str
    title: str
    title_zh: str
    short: str
    requires: tuple[str, ...] = ()
    study_hours: float = 2.0
    n_exercises: int = 3
    budget_s: int = BUDGET_S
    budget_mb: int = BUDGET_MB
    part: str = ""

    @property
    def number(self) -> str:
        """The file's running number, ``"05"``."""
        return self.file[:2]

    @property
    def notebook(self) -> str:
        """The chapter's path in the repository, ``"notebooks/05_cf_worked_example.ipynb"``."""
        return f"notebooks/{self.file}.ipynb"

    @property
    def docname(self) -> str:
        """The chapter's page in the book, ``"notebooks/05_cf_worked_example"``."""
        return f"notebooks/{self.file}"

    @property
    def heading(self) -> str:
        """The first line the chapter's notebook must start with."""
        return f"# {self.section} {self.title} ({self.title_zh})"

    @property
    def label(self) -> str:
        """How tables name the chapter: ``"4.3 Collaborative filtering"``."""
        return f"{self.section} {self.short}"

    @property
    def legacy(self) -> str:
        """The chapter's id in the old answer-check form ``check("ch05", "q1", ...)``."""
        return f"ch{self.number}"

    @property
    def exercise_ids(self) -> tuple[str, ...]:
        """``("4.3.1", "4.3.2", "4.3.3")``: the ids of exercise titles and answer checks."""
        return tuple(f"{self.section}.{n}" for n in range(1, self.n_exercises + 1))


CHAPTERS: tuple[Chapter, ...] = (
    Chapter("01_background", "1", "Background", "背景介绍", "Background",
            (), 1.5, part="Foundations"),
    Chapter("02_concepts_pipeline", "2", "Core concepts and connections", "核心概念与联系",
            "Core concepts and pipeline", ("1",), 2.0),
    Chapter("03_algorithms", "3", "Core algorithms: network design, training and optimizers",
            "核心算法原理 & 具体操作步骤", "Algorithms", ("2",), 2.5, part="Algorithms and mathematics"),
    Chapter("04_math", "4", "Mathematical models: forward and backward propagation",
            "数学模型和公式", "Mathematics", ("3",), 2.5),
    Chapter("05_cf_worked_example", "4.3",
            "Case study: collaborative filtering, reproduced and corrected", "案例分析与讲解",
            "Collaborative filtering", ("2",), 2.0),
    Chapter("06_keras_recommender", "5", "Project practice: a Keras recommender, done right",
            "项目实践：代码实例和详细解释说明", "Project practice: Keras recommenders",
            ("3", "4.3"), 4.0, part="Project practice"),
    Chapter("07_recommendation_case", "6.1",
            "Product recommendation: from offline metrics to an online test", "商品推荐系统",
            "Recommendation and A/B tests", ("5",), 2.5, part="Applications"),
    Chapter("08_marketing", "6.2", "Personalized marketing", "个性化营销",
            "Personalized marketing", ("3",), 3.0),
    Chapter("09_inventory", "6.3", "Inventory management: forecasting and policy simulation",
            "库存管理", "Inventory", ("3",), 2.5),
    Chapter("10_customer_service", "6.4", "Customer service: intents, answers and queues",
            "客户服务", "Customer service", ("3",), 2.5),
    Chapter("11_tools_resources", "7", "Tools and resources, verified", "工具和资源推荐",
            "Tools and resources", ("3",), 1.0, part="Perspective"),
    Chapter("12_trends_challenges", "8", "Trends and challenges, each demonstrated",
            "总结：未来发展趋势与挑战", "Trends and challenges", ("3", "4.3"), 2.5),
    Chapter("13_faq", "9", "Frequently asked questions, answered with evidence",
            "附录：常见问题与解答", "FAQ", ("3",), 1.0),
    Chapter("14_your_own_data", "A", "Your own data", "使用你自己的数据", "Your own data",
            ("4.3", "6.3"), 1.5, part="Appendix"),
    Chapter("16_large_models", "B", "What makes a model large: pretraining and fine-tuning a transformer",
            "什么是大模型：Transformer 的预训练与微调", "Large models", ("5", "6.4"), 3.0,
            budget_s=240, budget_mb=4096),
    Chapter("17_scaling_out", "C", "Scaling out: the same work on Apache Spark",
            "横向扩展：在 Spark 上完成同样的工作", "Scaling out", ("5",), 2.0),
)

#: Suggested syllabi: id -> (title, ((session, chapter sections in study order), ...)).
#: The course map shows them with the study hours of each session; a test checks that every
#: chapter comes after its prerequisites.
SYLLABI: dict[str, tuple[str, tuple[tuple[str, tuple[str, ...]], ...]]] = {
    "6-week": ("A 6-week course (two sessions a week)", (
        ("Week 1: retail data and the pipeline", ("1", "2")),
        ("Week 2: neural networks and their mathematics", ("3", "4")),
        ("Week 3: recommendation, from the article's formula to Keras models", ("4.3", "5")),
        ("Week 4: online tests and personalized marketing", ("6.1", "6.2")),
        ("Week 5: inventory and customer service", ("6.3", "6.4")),
        ("Week 6: tools, trends, the FAQ, your own data, large models and scaling out",
         ("7", "8", "9", "A", "B", "C")),
    )),
    "2-day": ("A 2-day workshop", (
        ("Day 1: from transactions to recommendations", ("1", "2", "4.3")),
        ("Day 2: networks and one retail decision", ("3", "6.3", "9")),
    )),
}

_BY_KEY: dict[str, Chapter] = {}
for _ch in CHAPTERS:
    for _key in (_ch.file, _ch.section, _ch.number, _ch.legacy, _ch.docname, _ch.notebook,
                 f"{_ch.file}.ipynb"):
        _BY_KEY[_key] = _ch
del _ch, _key


def chapter(key: str) -> Chapter:
    """The chapter for a section (``"4.3"``), a file name or stem (``"05_cf_worked_example"``,
    ``"05_cf_worked_example.ipynb"``, ``"notebooks/05_..."``), a file number (``"05"``) or an
    old answer-check id (``"ch05"``).

    Raises
    ------
    KeyError
        No chapter has that key; the message lists the sections.
    """
    if isinstance(key, str):
        k = key.strip()
        found = _BY_KEY.get(k) or _BY_KEY.get(k.rsplit("/", 1)[-1].removesuffix(".ipynb"))
        if found is not None:
            return found
    sections = ", ".join(c.section for c in CHAPTERS)
    text = key if isinstance(key, str) and len(key) <= 40 else type(key).__name__
    raise KeyError(f"no chapter {text!r}; the chapters are {sections}")


_EXERCISE_RE = re.compile(r"(?:exercise\s*)?((?:\d+|[A-Z])(?:\.\d+)*)\.(\d+)", re.IGNORECASE)


def parse_exercise_id(exercise_id: str) -> tuple[Chapter, int] | None:
    """``"4.3.1"`` (or ``"Exercise 4.3.1"``) -> (chapter 4.3, 1); None when it is not of that
    form or names no chapter (the number itself is not checked against ``n_exercises``)."""
    if not isinstance(exercise_id, str) or len(exercise_id) > 40:
        return None
    m = _EXERCISE_RE.fullmatch(exercise_id.strip())
    if not m or m.group(1) not in _BY_KEY or _BY_KEY[m.group(1)].section != m.group(1):
        return None
    return _BY_KEY[m.group(1)], int(m.group(2))


def exercise(key: str, n: int) -> str:
    """The id of a chapter's ``n``-th exercise: ``exercise("ch05", 1) == "4.3.1"``."""
    return f"{chapter(key).section}.{int(n)}"

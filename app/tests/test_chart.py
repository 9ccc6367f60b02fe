"""The server-rendered SVG chart: geometry against hand-computed coordinates, the page for every
bundled symbol, accessibility, no inline code, and the lessons that link to it."""

from html.parser import HTMLParser
from pathlib import Path

import pytest

from stockapp.analysis import chart, indicators
from stockapp.analysis.prices import load_file

PRICE_DIR = Path(__file__).resolve().parent.parent / "stockapp" / "data" / "prices"
BUNDLED = sorted(path.stem for path in PRICE_DIR.glob("*.csv"))
KNOWN = [10, 11, 12, 11, 13, 14, 13, 15, 16, 15, 17, 18, 17, 19, 20, 19]


VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source"}


class Elements(HTMLParser):
    """Every start tag with its attributes, and the text inside each element that has an id."""

    def __init__(self, html):
        super().__init__()
        self.tags, self.text, self._open = [], {}, []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append((tag, attrs))
        if tag not in VOID:
            self._open.append((tag, attrs.get("id")))
        if attrs.get("id"):
            self.text[attrs["id"]] = ""

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_endtag(self, tag):
        while self._open and self._open.pop()[0] != tag:
            pass

    def handle_data(self, data):
        for _tag, element_id in self._open:
            if element_id:
                self.text[element_id] += data

    def find(self, tag, **attrs):
        return [
            a for t, a in self.tags if t == tag and all(a.get(k) == v for k, v in attrs.items())
        ]

    def polyline(self, css_class):
        (found,) = [a for t, a in self.tags if t == "polyline" and css_class in a["class"].split()]
        return found["points"]


# Geometry, by hand ------------------------------------------------------------------------


def test_points_scale_a_series_into_the_box():
    box = chart.Box(left=50, top=10, width=300, height=100)
    # x: 50 + 300 * i / 3 -> 50, 150, 250, 350; y: 10 + 100 * (14 - v) / 4 -> 110, 60, 85, 10.
    assert chart.points([10, 12, 11, 14], 10, 14, box) == "50,110 150,60 250,85 350,10"
    # Undefined values leave no point, and the others keep their own x.
    assert chart.points([None, 12, 11, 14], 10, 14, box) == "150,60 250,85 350,10"
    # Two decimals: 10 + 100 * (14 - 13) / 3 = 43.33.
    assert chart.points([10, 13], 10, 13, box) == "50,110 350,10"
    assert chart.points([13, 12], 10, 13, box) == "50,10 350,43.33"


def test_a_flat_series_sits_in_the_middle():
    box = chart.Box(left=0, top=0, width=100, height=50)
    assert chart.points([5, 5], 5, 5, box) == "0,25 100,25"
    assert chart.points([5], 0, 10, box) == "0,25"  # one point: at the left edge


@pytest.mark.parametrize(
    ("lo", "hi", "ticks"),
    [
        (10, 20, [10, 12, 14, 16, 18, 20]),  # span 10 / 5 = 2: a step of 2
        (93.2, 141.7, [90, 100, 110, 120, 130, 140, 150]),  # 48.5 / 5 = 9.7 -> 10
        (0.52, 0.93, [0.5, 0.6, 0.7, 0.8, 0.9, 1.0]),  # 0.082 -> 0.1
        (101, 112, [100, 102.5, 105, 107.5, 110, 112.5]),  # 2.2 -> 2.5
    ],
)
def test_value_axis_uses_round_steps(lo, hi, ticks):
    assert chart.value_axis(lo, hi) == (ticks[0], ticks[-1], ticks)


def test_tick_labels_show_as_many_decimals_as_the_step():
    assert chart.tick_label(100, 10) == "100"
    assert chart.tick_label(102.5, 2.5) == "102.5"
    assert chart.tick_label(0.6000000001, 0.1) == "0.6"


def test_series_of_the_indicators():
    # SMA(3) of 10, 11, 12, 11: -, -, 11, 34/3.
    assert indicators.sma_series([10, 11, 12, 11], 3) == [None, None, 11, pytest.approx(34 / 3)]
    # RSI(3) of 10, 11, 10.5, 11.5, 12 (test_analysis_math works it out): 2/3 vs 1/6 -> 80,
    # then 11/18 vs 1/9 -> RS 5.5.
    rsi = indicators.rsi_series([10.0, 11.0, 10.5, 11.5, 12.0], 3)
    assert rsi[:3] == [None, None, None]
    assert rsi[3:] == [pytest.approx(80.0), pytest.approx(100 - 100 / 6.5)]


def test_series_agree_with_the_figures_at_every_session():
    closes = [row["close"] for row in load_file(PRICE_DIR / "ACME.csv")][:80]
    sma, rsi = indicators.sma_series(closes, 20), indicators.rsi_series(closes, 14)
    for i in range(20, len(closes)):
        assert sma[i] == pytest.approx(indicators.sma(closes[: i + 1], 20))
        assert rsi[i] == pytest.approx(indicators.rsi(closes[: i + 1], 14))


# The page ---------------------------------------------------------------------------------


@pytest.fixture
def known_page(make_app, tmp_path):
    rows = ["date,open,high,low,close,volume"]
    rows += [f"2024-01-{day + 1:02d},{c},{c},{c},{c},100" for day, c in enumerate(KNOWN)]
    (tmp_path / "TEST.csv").write_text("\n".join(rows) + "\n")
    client = make_app(PRICE_DIR=str(tmp_path)).test_client()
    return client.get("/analysis/TEST?window=3").get_data(as_text=True)


def test_the_polylines_are_the_known_series_in_svg_coordinates(known_page):
    page = Elements(known_page)
    # Price box: x = 60 + 600 * i / 15 = 60 + 40 i; axis 10..20, y = 20 + 200 * (20 - v) / 10.
    assert page.polyline("chart-close") == (
        "60,220 100,200 140,180 180,200 220,160 260,140 300,160 340,120 "
        "380,100 420,120 460,80 500,60 540,80 580,40 620,20 660,40"
    )
    # SMA(3) from the third close: 11, 34/3, 12, 38/3, 40/3, 14, 44/3, 46/3, 16, 50/3, 52/3,
    # 18, 56/3, 58/3; 34/3 -> 20 + 20 * 26/3 = 193.33, and so on.
    assert page.polyline("chart-ma") == (
        "140,200 180,193.33 220,180 260,166.67 300,153.33 340,140 380,126.67 420,113.33 "
        "460,100 500,86.67 540,73.33 580,60 620,46.67 660,33.33"
    )
    # RSI box: y = 10 + 100 - v. RSI(14) at the 15th close: gains 14, losses 4 -> RS 3.5,
    # 100 - 100 / 4.5 = 77.78 -> y 32.22; at the 16th 100 - 6600/248 = 73.39 -> y 36.61.
    assert page.polyline("chart-rsi") == "620,32.22 660,36.61"


def test_the_axes_are_labelled(known_page):
    page = Elements(known_page)
    ticks = [(a["y"], a["x"]) for a in page.find("text") if "chart-tick-y" in a.get("class", "")]
    # Price ticks 10, 12, ..., 20 at y = 220, 180, ..., 20; then RSI 0, 30, 50, 70, 100.
    assert ticks[:6] == [(y, "54") for y in ("220", "180", "140", "100", "60", "20")]
    assert ticks[6:] == [(y, "54") for y in ("110", "80", "60", "40", "10")]
    assert ">2024-01-01</text>" in known_page and ">2024-01-16</text>" in known_page
    for title in (">Close price</text>", ">Session date</text>", ">RSI</text>"):
        assert title in known_page


def test_the_summary_says_what_the_chart_shows(known_page):
    page = Elements(known_page)
    price = (
        "16 sessions of synthetic TEST prices from 2024-01-01 to 2024-01-16: the close went "
        "from 10.00 to 19.00 (+90.0%), with a low of 10.00 on 2024-01-01 and a high of 20.00 "
        "on 2024-01-15. The last close is below its 3-day simple moving average of 19.33."
    )
    assert page.text["price-chart-desc"] == price
    rsi = "RSI(14) ended at 73.4, above 70, a reading often called overbought."
    assert page.text["rsi-chart-desc"] == rsi
    assert price in known_page.replace("\n    ", " ") and rsi in known_page  # visible text too


@pytest.mark.parametrize("symbol", BUNDLED)
def test_every_bundled_symbol_has_an_accessible_chart(client, symbol):
    assert len(BUNDLED) == 5
    response = client.get(f"/analysis/{symbol}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "style=" not in html and "<style" not in html and "<script" not in html
    page = Elements(html)
    svgs = page.find("svg", role="img")
    assert [svg["id"] for svg in svgs] == ["price-chart", "rsi-chart"]
    for svg in svgs:
        title_id, desc_id = svg["aria-labelledby"].split()
        assert page.find("title", id=title_id) and page.find("desc", id=desc_id)
        assert page.text[title_id].startswith(f"{symbol}: ")
        assert page.text[desc_id]
    closes = [row["close"] for row in load_file(PRICE_DIR / f"{symbol}.csv")]
    assert len(page.polyline("chart-close").split()) == len(closes)
    assert len(page.polyline("chart-ma").split()) == len(closes) - 20 + 1  # default window
    assert len(page.polyline("chart-rsi").split()) == len(closes) - 14


def test_the_chart_is_styled_by_classes_in_the_stylesheet(client):
    css = client.get("/static/style.css").get_data(as_text=True)
    for css_class in ("chart-close", "chart-ma", "chart-rsi", "chart-grid", "chart-band"):
        assert f".{css_class} {{" in css


def test_a_window_change_moves_the_average_not_the_closes(client):
    short = Elements(client.get("/analysis/ACME?window=5").get_data(as_text=True))
    long = Elements(client.get("/analysis/ACME?window=50").get_data(as_text=True))
    assert short.polyline("chart-close") == long.polyline("chart-close")
    assert short.polyline("chart-ma") != long.polyline("chart-ma")
    assert len(short.polyline("chart-ma").split()) == 500 - 5 + 1
    assert len(long.polyline("chart-ma").split()) == 500 - 50 + 1
    # Both end on the last session, at the right edge of the price box (60 + 600).
    assert short.polyline("chart-ma").split()[-1].startswith("660,")
    assert long.polyline("chart-ma").split()[-1].startswith("660,")
    title = "ACME: closing prices and their 50-day simple moving average"
    assert long.text["price-chart-title"] == title


# Lessons link to it -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("slug", "href"),
    [
        ("moving-averages", "/analysis/ACME?window=20#price-chart"),
        ("rsi", "/analysis/ACME?window=20#rsi-chart"),
    ],
)
def test_lessons_link_to_the_chart_that_illustrates_them(client, slug, href):
    page = Elements(client.get(f"/lessons/{slug}").get_data(as_text=True))
    assert page.find("a", href=href)
    path, anchor = href.split("#")
    target = Elements(client.get(path).get_data(as_text=True))
    assert target.find("svg", id=anchor)


def test_a_lesson_without_a_chart_links_to_none(client):
    html = client.get("/lessons/returns").get_data(as_text=True)
    assert 'href="/analysis/' not in html

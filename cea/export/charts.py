"""Native spreadsheet charts drawn from a block's cells, made to render alike in Excel and
LibreOffice.

Thresholds and draws are numbers, so curves over them (CEAC, EVPI, expected loss,
convergence, threshold analysis) are scatter charts with lines on a value x-axis: uneven
thresholds keep their spacing. Markers are filled (an unfilled marker renders white in
LibreOffice), lines have a colour and width, axes are shown with a number format, and a
bar chart labels every bar.
"""

from __future__ import annotations

from openpyxl.chart import BarChart, Reference, ScatterChart, Series
from openpyxl.chart.layout import Layout, ManualLayout
from openpyxl.chart.marker import Marker

__all__ = ["CHART_HEIGHT_CM", "CHART_WIDTH_CM", "PALETTE", "bar_chart_height", "native_chart"]

#: Chart size on the sheet (cm); the layout keeps a chart and its title on one page.
CHART_HEIGHT_CM, CHART_WIDTH_CM = 6.0, 16.0
#: Series colours (colour-blind safe: Okabe and Ito), as RRGGBB.
PALETTE = ("0072B2", "E69F00", "009E73", "CC79A7", "56B4E9", "D55E00", "F0E442", "000000")
#: y columns of a scatter whose name starts with this are drawn as lines (e.g. thresholds).
LINE_PREFIX = "threshold "


def native_chart(ws, spec, columns: list[str], header_row: int, last_row: int):
    """The chart of ``spec`` over the block whose header is at ``header_row`` and whose
    data end at ``last_row`` (columns in ``columns`` order, from column 1)."""
    x_col = columns.index(spec.x) + 1
    x_ref = Reference(ws, min_col=x_col, min_row=header_row + 1, max_row=last_row)
    if spec.kind in ("bar", "column"):
        chart = _bar(ws, spec, columns, header_row, last_row, x_ref)
    else:
        chart = ScatterChart()
        chart.style = 13
        for i, name in enumerate(spec.y):
            col = columns.index(name) + 1
            y_ref = Reference(ws, min_col=col, min_row=header_row + 1, max_row=last_row)
            series = Series(y_ref, x_ref, title=name)
            colour = PALETTE[i % len(PALETTE)]
            if spec.kind == "scatter" and not name.startswith(LINE_PREFIX):
                _points(series, colour)
            else:
                _line(series, colour, dashed=spec.kind == "scatter")
            chart.series.append(series)
        chart.scatterStyle = "lineMarker"
    # the block's title prints above the chart: a title inside it would only shrink the plot
    chart.x_axis.title = spec.x_title
    chart.y_axis.title = spec.y_title
    for axis, fmt in ((chart.x_axis, spec.x_format), (chart.y_axis, spec.y_format)):
        axis.delete = False
        if fmt:
            axis.number_format = fmt
    if spec.kind not in ("bar", "column"):  # labels at the plot's edge, clear of curves
        chart.x_axis.tickLblPos = "low"
    if spec.y_range is not None:
        chart.y_axis.scaling.min, chart.y_axis.scaling.max = spec.y_range
    chart.legend.position = "b"
    chart.width = CHART_WIDTH_CM
    if spec.kind != "bar":  # a bar chart's height follows its number of bars
        chart.height = spec.height_cm or CHART_HEIGHT_CM
    chart.layout = Layout(manualLayout=ManualLayout(x=0.02, y=0.02, w=0.96, h=0.80))
    return chart


def _bar(ws, spec, columns, header_row, last_row, x_ref) -> BarChart:
    chart = BarChart()
    chart.type = "bar" if spec.kind == "bar" else "col"
    chart.overlap = 100 if spec.overlap else 0
    chart.gapWidth = 60
    if spec.reverse:
        chart.x_axis.scaling.orientation = "maxMin"
    for i, name in enumerate(spec.y):
        col = columns.index(name) + 1
        chart.add_data(Reference(ws, min_col=col, min_row=header_row, max_row=last_row),
                       titles_from_data=True)
        chart.series[-1].graphicalProperties.solidFill = PALETTE[i % len(PALETTE)]
        chart.series[-1].graphicalProperties.line.solidFill = PALETTE[i % len(PALETTE)]
    chart.set_categories(x_ref)
    chart.x_axis.tickLblSkip = 1  # every bar labelled
    chart.x_axis.tickMarkSkip = 1
    chart.x_axis.tickLblPos = "low"  # labels at the edge, clear of bars on both sides of 0
    if spec.kind == "bar":  # horizontal bars: the height follows the number of bars
        chart.height = bar_chart_height(last_row - header_row)
    return chart


def bar_chart_height(n_bars: int) -> float:
    """Height (cm) that leaves room for every bar's label."""
    return max(CHART_HEIGHT_CM, min(15.0, 0.7 * n_bars + 3))


def _points(series: Series, colour: str) -> None:
    series.marker = Marker(symbol="circle", size=3)
    series.marker.graphicalProperties.solidFill = colour
    series.marker.graphicalProperties.line.solidFill = colour
    series.graphicalProperties.line.noFill = True


def _line(series: Series, colour: str, dashed: bool = False) -> None:
    series.marker = Marker(symbol="none")
    series.smooth = False
    series.graphicalProperties.line.solidFill = colour
    series.graphicalProperties.line.width = 22000  # EMU, about 1.75 pt
    if dashed:
        series.graphicalProperties.line.dashStyle = "dash"

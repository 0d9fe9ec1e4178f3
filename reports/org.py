"""The managers' hierarchy from org_rollups: subtrees, page links and the treemap (pure)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import polars as pl

from reports import fmt
from reports.figure import Figure, layout, unique_labels

CIVIDIS = "Cividis"
# ColorBrewer Oranges: sequential in lightness, dark = more neglect.
ORANGES = [[0.0, "#fff5eb"], [0.5, "#fd8d3c"], [1.0, "#7f2704"]]
ORG_ROOT = "organisation"  # the id of the node above several top managers
LEVELS = 3  # levels of managers a treemap draws; a click opens the page of the levels below
HOVER = (
    "<b>%{customdata[1]}</b>%{customdata[2]}<br>%{customdata[3]} people, "
    "%{customdata[4]} reporting lines<br>coverage: %{customdata[5]}<br>"
    "neglected: %{customdata[6]}<br>behind their phase: %{customdata[7]}<br>"
    "<i>%{customdata[8]}</i><extra></extra>"
)


@dataclass(frozen=True)
class Hierarchy:
    """Who manages whom among the managers of org_rollups (each has an active line)."""

    parent: Mapping[str, str | None]
    children: Mapping[str, list[str]]

    @property
    def tops(self) -> list[str]:
        """Managers with no manager above them on an active line."""
        return sorted(m for m, p in self.parent.items() if p is None)

    def has_org(self, manager: str) -> bool:
        """True when the manager has indirect reports: a direct report who manages."""
        return bool(self.children.get(manager))

    def subtree(self, root: str, levels: int | None = None) -> list[str]:
        """The root and every manager below them (`levels` levels in all), root first."""
        out, stack = [], [(root, 1)]
        while stack:
            manager, level = stack.pop()
            out.append(manager)
            if levels is None or level < levels:
                stack.extend((c, level + 1) for c in reversed(self.children.get(manager, [])))
        return out

    def chain(self, manager: str) -> list[str]:
        """The managers above `manager`, nearest first (a cycle stops the walk)."""
        out: list[str] = []
        above = self.parent.get(manager)
        while above is not None and above not in out and above != manager:
            out.append(above)
            above = self.parent.get(above)
        return out


def hierarchy(rollups: pl.DataFrame) -> Hierarchy:
    """The hierarchy of org_rollups; a parent without a row of its own is treated as absent."""
    pairs = rollups.select("manager_email", "parent_email").rows()
    known = {m for m, _ in pairs}
    parent = {m: p if p in known and p != m else None for m, p in pairs}
    children: dict[str, list[str]] = {}
    for manager, above in sorted(parent.items()):
        if above is not None:
            children.setdefault(above, []).append(manager)
    return Hierarchy(parent, children)


def org_roots(tree: Hierarchy) -> list[str]:
    """Managers who get an organisation page: those with indirect reports."""
    return sorted(m for m in tree.parent if tree.has_org(m))


def page_links(
    tree: Hierarchy, org_pages: Mapping[str, str], manager_pages: Mapping[str, str]
) -> dict[str, str]:
    """Where a click on a manager goes: their organisation's page, else their team's."""
    return {
        m: org_pages.get(m) or manager_pages.get(m, "")
        for m in tree.parent
        if m in org_pages or m in manager_pages
    }


def relative(links: Mapping[str, str], prefix: str) -> dict[str, str]:
    """Out-dir-relative links as seen from a page one folder down (prefix '../')."""
    return {k: prefix + v for k, v in links.items()}


def branch_values(
    tree: Hierarchy, people: Mapping[str, int], nodes: Iterable[str]
) -> dict[str, int]:
    """Node sizes for branchvalues 'total': people, raised where children add up to more.

    A parent's people already count its child managers and their people, so the sum of
    the children's never exceeds it unless the roll-up counted someone twice (a person
    reporting to two managers); then the parent grows to fit, or plotly drops the node.
    """
    keep = set(nodes)
    values: dict[str, int] = {}
    for manager in reversed(list(nodes)):  # children before their parents
        inner = sum(values[c] for c in tree.children.get(manager, []) if c in keep)
        values[manager] = max(int(people.get(manager) or 0), inner)
    return values


def _share(num: int | None, den: int | None) -> float | None:
    return (num or 0) / den if den else None


def _node_rows(rollups: pl.DataFrame, nodes: list[str]) -> list[dict[str, Any]]:
    by_manager = {r["manager_email"]: r for r in rollups.iter_rows(named=True)}
    return [by_manager[m] for m in nodes]


def treemap_figure(
    rollups: pl.DataFrame,
    names: Mapping[str, str],
    titles: Mapping[str, str],
    links: Mapping[str, str],
    root: str | None = None,
) -> Figure:
    """The hierarchy as one treemap trace: area = people, colour = coverage or neglect.

    `root` limits it to that manager's subtree; without it, the whole organisation (under
    one "Organisation" node when several managers are at the top). Only LEVELS levels
    are drawn (thousands of boxes would be slow to draw and too small to read): each box
    still counts everyone below it, and its page shows the next levels. customdata[0]
    is the page a click opens.
    """
    tree = hierarchy(rollups)
    tops = [root] if root is not None else tree.tops
    total = sum(len(tree.subtree(top)) for top in tops)
    nodes = [m for top in tops for m in tree.subtree(top, LEVELS)]
    rows = _node_rows(rollups, nodes)
    people = {r["manager_email"]: r["people"] for r in rows}
    values = branch_values(tree, people, nodes)  # a leaf here may have children off the map
    joint = len(tops) > 1
    parents = [(ORG_ROOT if joint else "") if m in tops else (tree.parent[m] or "") for m in nodes]
    coverage = [r["mean_coverage"] for r in rows]
    neglect = [_share(r["neglected_reports"], r["lines"]) for r in rows]
    labels = unique_labels(nodes, names)
    custom = [
        [
            links.get(m, ""), label, fmt.label(f" · {titles[m]}") if titles.get(m) else "",
            f"{r['people']:,}", f"{r['lines']:,}", fmt.pct(r["mean_coverage"]),
            f"{r['neglected_reports']:,} ({fmt.pct(n)})", f"{r['behind_phase']:,}",
            "click to open their organisation" if tree.has_org(m) else "click to open their team",
        ]
        for m, label, r, n in zip(nodes, labels, rows, neglect, strict=True)
    ]  # fmt: skip
    ids, vals = list(nodes), [values[m] for m in nodes]
    if joint:
        ids.insert(0, ORG_ROOT)
        labels.insert(0, "Organisation")
        parents.insert(0, "")
        vals.insert(0, sum(values[t] for t in tops))
        coverage.insert(0, None)
        neglect.insert(0, None)
        custom.insert(0, ["", "Organisation", "", "", "", "", "", "", ""])
    trace = {
        "type": "treemap",
        "name": "organisation",
        "ids": ids,
        "labels": labels,
        "parents": parents,
        "values": vals,
        "branchvalues": "total",
        "marker": _colour(coverage, CIVIDIS, "coverage"),
        "customdata": custom,
        "hovertemplate": HOVER,
        "texttemplate": "%{label}<br>%{customdata[3]} people",
    }
    return {"data": [trace], "layout": _layout(coverage, neglect, len(nodes), total)}


def _colour(values: list[float | None], scale: Any, title: str) -> dict[str, Any]:
    return {
        "colors": values, "colorscale": scale, "cmin": 0, "cmax": 1, "showscale": True,
        "colorbar": {"title": {"text": title}, "tickformat": ".0%"},
        "line": {"width": 1, "color": "#ffffff"},
    }  # fmt: skip


def _button(label: str, values: list[float | None], scale: Any, title: str) -> dict[str, Any]:
    return {
        "label": label,
        "method": "restyle",
        "args": [{"marker.colors": [values], "marker.colorscale": [scale],
                  "marker.colorbar.title.text": title}],
    }  # fmt: skip


def _layout(
    coverage: list[float | None], neglect: list[float | None], shown: int, total: int
) -> Any:
    return layout(
        "The organisation by manager",
        "Each box is a manager's organisation, sized by the people in it (direct and "
        "indirect reports); colour: mean coverage of its reporting lines, or the share "
        "of its reports neglected. Click a box to open its page.",
        height=590,
        note=f"Showing {shown:,} of {total:,} managers: the top {LEVELS} levels; "
        "the pages of the boxes show the levels below",
        margin={"l": 10, "r": 10, "t": 170, "b": 10},
        updatemenus=[{
            "type": "buttons", "direction": "right", "x": 0, "xanchor": "left",
            "y": 1.0, "yanchor": "bottom", "pad": {"b": 6}, "showactive": True,
            "buttons": [_button("Colour: coverage", coverage, CIVIDIS, "coverage"),
                        _button("Colour: neglected share", neglect, ORANGES, "neglected")],
        }],
    )  # fmt: skip


@dataclass(frozen=True)
class OrgLink:
    """One entry of the plain-HTML hierarchy list (works without JavaScript)."""

    name: str
    href: str
    people: int
    coverage: str
    neglected: int
    kind: str  # "organisation" or "team"
    children: tuple[OrgLink, ...] = ()


def org_list(
    rollups: pl.DataFrame,
    names: Mapping[str, str],
    links: Mapping[str, str],
    managers: Iterable[str],
    depth: int = 1,
) -> list[OrgLink]:
    """`managers` with their links and figures, and `depth` levels of child managers."""
    tree = hierarchy(rollups)
    rows = {r["manager_email"]: r for r in rollups.iter_rows(named=True)}

    def entry(manager: str, below: int) -> OrgLink:
        row = rows[manager]
        kids = tree.children.get(manager, []) if below > 0 else []
        return OrgLink(
            names.get(manager, manager), links.get(manager, ""), row["people"],
            fmt.pct(row["mean_coverage"]), row["neglected_reports"],
            "organisation" if tree.has_org(manager) else "team",
            tuple(entry(k, below - 1) for k in kids),
        )  # fmt: skip

    return [entry(m, depth) for m in managers if m in rows]

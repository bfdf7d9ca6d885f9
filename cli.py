"""covermap command line: one click group, thin commands. The only module that imports click.

Exit codes: 0 success; 1 a data, profile or output problem explained in one or two lines;
2 a usage error. Anything else is a bug and shows its traceback.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import sys
import time
from importlib import resources
from pathlib import Path

import click

from gis.errors import ConfigError, CovermapError, OutputError

log = logging.getLogger("covermap")


def _fail_cleanly(command):
    """Turn covermap's own errors into click's one-line 'Error: ...' and exit code 1."""
    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except CovermapError as exc:
            _finish_progress()
            raise click.ClickException(str(exc)) from None
    return wrapper


def _log_levels(verbosity: int) -> None:
    """One level from the counted -v/-q: by default the steps as they start (a bar on a
    terminal), warnings and covermap's own notes; -v each step's seconds and memory and the
    libraries' notes; -vv everything; -q warnings only; -qq errors only."""
    console = _Console()
    root = logging.getLogger()
    for handler in root.handlers[:]:
        root.removeHandler(handler)
    root.addHandler(console)
    quiet = logging.WARNING if verbosity == -1 else logging.ERROR
    root.setLevel(logging.WARNING if verbosity >= -1 else logging.ERROR)
    libraries = {0: logging.WARNING, 1: logging.INFO}.get(verbosity, logging.DEBUG if verbosity > 1 else quiet)
    for name in ("gis", "layers", "maps"):
        logging.getLogger(name).setLevel(libraries)
    logging.getLogger("covermap").setLevel(logging.INFO if verbosity >= 0 else quiet)
    # gis.progress: step starts at INFO, counts at DEBUG, both for _Console to render
    logging.getLogger("gis.progress").setLevel(logging.DEBUG if verbosity >= 0 else quiet)


class _Console(logging.Handler):
    """covermap's stderr. Log records as lines; progress records (gis.progress) as one
    line when a phase starts (layers.steps) and, on a terminal, a bar with counts redrawn
    in place under it, erased before any other line. Not a terminal: no bars, no carriage
    returns or escape codes. Progress from forked children is not drawn."""

    REDRAW_S = 0.1

    def __init__(self):
        super().__init__()
        self.setFormatter(logging.Formatter("%(message)s"))
        self.lang = "zh"          # the run's language, once its profile is read
        self.hide = None          # records a command keeps back: record -> True when hidden
        self._pid = os.getpid()
        self._phase = None
        self._bar = False         # a bar stands on the current line
        self._drawn = 0.0

    def emit(self, record: logging.LogRecord) -> None:
        try:
            stream = sys.stderr   # looked up each time: click's test runner swaps it
            event = getattr(record, "progress", None)
            if event is None:
                if self.hide is not None and self.hide(record):
                    return
                self._erase(stream)
                stream.write(self.format(record) + "\n")
            elif os.getpid() == self._pid:
                self._progress(stream, event)
            stream.flush()
        except Exception:
            self.handleError(record)

    def _progress(self, stream, event) -> None:
        from layers.steps import counted_text, phase, phase_text

        if event.kind == "begin":
            if phase(event.step) != self._phase:
                self._phase = phase(event.step)
                self._erase(stream)
                stream.write(phase_text(event.step, self.lang) + "\n")
            return
        now = time.monotonic()
        if not stream.isatty() or not event.total or (now - self._drawn < self.REDRAW_S and event.done < event.total):
            return
        self._drawn = now
        filled = int(20 * min(event.done, event.total) / event.total)
        stream.write(f"\r\x1b[K  [{'#' * filled}{'.' * (20 - filled)}] {event.done:,}/{event.total:,} "
                     f"{counted_text(event.step, self.lang)}")
        self._bar = True

    def finish(self) -> None:
        """The work is over: its bar erased, the next step announced anew."""
        with self.lock:
            self._erase(sys.stderr)
            self._phase = None

    def _erase(self, stream) -> None:
        if self._bar:
            stream.write("\r\x1b[K")
            self._bar = False


def _console() -> _Console | None:
    return next((h for h in logging.getLogger().handlers if isinstance(h, _Console)), None)


def _finish_progress() -> None:
    if _console() is not None:
        _console().finish()


overwrite_option = click.option("--overwrite", is_flag=True, help="Replace outputs that already exist.")
_MAP_OPTIONS = (
    click.option("--lang", type=click.Choice(["zh", "en"]), default=None,
                 help="Language of everything covermap writes: reasons, maps, the summary line "
                      "[default: the profile's project.lang, else zh]."),
    click.option("--basemap", type=click.Choice(["none", "osm", "tianditu", "tianditu-img", "gaode"]), default=None,
                 help="Map background [default: the profile's map.basemap, else none; osm with --online]."),
    click.option("--online", is_flag=True,
                 help="Load Leaflet from its CDN instead of inlining it (the maps then need the network)."),
)


def map_options(command):
    for option in reversed(_MAP_OPTIONS):
        command = option(command)
    return command


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", count=True, help="More detail on stderr (repeatable).")
@click.option("-q", "--quiet", count=True, help="Less detail on stderr (repeatable).")
@click.version_option(package_name="covermap")
def main(verbose: int, quiet: int) -> None:
    """Check every administrative village against infrastructure standards (roads,
    drinking water, clinics, 4G and fibre; where the profile asks, schools, safe housing,
    the power grid, time to care, bus and postal service) and publish the gaps per bureau.

    \b
    Start with the bundled sample county:
        covermap demo demo-output
    Then make a profile for your own data:
        covermap init county.toml
        covermap check county.toml
        covermap run county.toml -o results
    """
    from gis.memory import limit_malloc_arenas
    limit_malloc_arenas()
    _log_levels(verbose - quiet)


def _map_settings(profile, lang: str | None, basemap: str | None, online: bool):
    """The maps' options: command line first, then the profile's [map], then the defaults."""
    from layers.mapdata import map_limits
    from maps import MapOptions

    settings = profile.map
    basemap = basemap or settings.basemap or ("osm" if online else "none")
    key = None
    if basemap.startswith("tianditu"):
        key = os.environ.get(settings.tianditu_key_env) or settings.tianditu_key
        if not key:
            raise ConfigError(f"basemap {basemap} needs a Tianditu key: set the environment variable "
                              f"{settings.tianditu_key_env} or map.tianditu_key in {profile.path}")
    return MapOptions(lang=lang or settings.lang, basemap=basemap, tianditu_key=key, online=online,
                      limits=map_limits(profile))


def _run_profile(profile_path: Path, outdir: Path, overwrite: bool, title: str | None = None,
                 lang: str | None = None, basemap: str | None = None, online: bool = False,
                 workers: int | None = None, scheduler: str | None = None, maps: bool = True,
                 ledger: Path | None = None, ledger_warnings: bool = True) -> tuple[object, list[str]]:
    """Run ``profile_path`` into ``outdir`` and print its summary; the result and the lines printed."""
    from layers.pipeline import assess, claim, counts, publish, read_back
    from layers.profile import load_profile
    from layers.verdicts import run_summary

    profile = load_profile(profile_path).in_language(lang)   # --lang: reasons, maps and this summary
    ledger_path = ledger or (profile.ledger.path if profile.ledger else None)
    filled = None
    if ledger_path is not None:   # read first: a ledger that cannot be read stops the run before the work
        from layers.ledger import read_ledger

        filled = read_ledger(ledger_path)
        if profile.ledger is not None and profile.ledger.codes is not None:   # the period's merges and renames
            from layers.changes import read_codes
            from layers.review import recode

            filled = recode(filled, read_codes(profile.ledger.codes))
    if _console() is not None:   # the steps announced in the run's language
        _console().lang = profile.lang
    options = _map_settings(profile, lang, basemap, online)
    with claim(outdir, overwrite=overwrite) as folder:   # locked: a second run into it stops here
        if workers or scheduler:
            from layers.distributed import assess_distributed

            result = assess_distributed(profile, workers=workers, scheduler=scheduler)
        else:
            result = assess(profile, keep_layers=maps)   # the maps draw the input layers
        if filled is not None:
            read_back(result, filled)
        title = title or profile.name
        extras = {}
        if maps:   # folium is loaded only where maps are drawn
            from dataclasses import replace

            from maps import atlas_writers
            from maps.extra import from_plain
            # the optional standards the run checked, drawn as the registry declares them
            options = replace(options, extra=tuple(from_plain(found) for found in result.map_standards(options.lang)))
            extras = atlas_writers(result.villages, result.infrastructure(), options, title=title, gaps=result.gaps,
                                   township_maps_above=profile.map.township_maps_above_villages,
                                   township_frame=result.townships)
        publish(result, folder, overwrite=overwrite, extras=extras)
    fails = {key: value["fails"] for key, value in counts(result.villages).items()}
    _finish_progress()
    lines = [run_summary(len(result.villages), len(result.gaps), fails, len(result.no_data), outdir, profile.lang)]
    if result.ledger is not None:
        from layers.review import FINDINGS, finding_text, summary_line

        if ledger_warnings:
            for _, row in result.ledger[result.ledger["status"].isin(FINDINGS)].iterrows():
                log.warning("warning: %s", finding_text(row, profile.lang))
        lines.append(summary_line(result.ledger, profile.lang))
    for line in lines:
        click.echo(line)
    return result, lines


@main.command()
@click.argument("profile", type=click.Path(dir_okay=False, path_type=Path))
@click.option("-o", "--output", "outdir", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Folder for coverage.gpkg, the CSV tables, map.html and run.json.")
@overwrite_option
@map_options
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Partition the work by county over a local Dask cluster of N worker processes "
                   "(needs the cluster extra).")
@click.option("--scheduler", metavar="ADDRESS", default=None,
              help="Partition the work by county over an existing Dask cluster, e.g. tcp://10.0.0.5:8786.")
@click.option("--no-maps", is_flag=True, default=False,
              help="Write the tables and run.json only, no HTML maps (they take most of a large run's time).")
@click.option("--ledger", type=click.Path(exists=False, path_type=Path), default=None,
              help="The previous period's 问题清单.xlsx as the bureaus filled it in (or the folder of county "
                   "workbooks): checked against this run (账实不符, 逾期 …) and carried into the new workbook "
                   "[default: ledger.path of the profile].")
@_fail_cleanly
def run(profile: Path, outdir: Path, overwrite: bool, lang: str | None, basemap: str | None, online: bool,
        workers: int | None, scheduler: str | None, no_maps: bool, ledger: Path | None) -> None:
    """Assess every village in PROFILE and write the results.

    \b
    Example:
        covermap run county.toml -o results --overwrite
        covermap run province.toml -o results --workers 2
    Writes coverage.gpkg (layers villages, gaps, no_data, townships, consistency),
    villages.csv, gaps.csv, no_data.csv, townships.csv, consistency.csv (UTF-8 with BOM),
    问题清单.xlsx (problem_list.xlsx with --lang en; for villages in several counties, one
    per county in counties/ too), run.json and the maps:
    index.html, map.html (overview), map_transport/water/health/telecom.html and, for a
    county of more than map.township_maps_above_villages villages, townships/*.html (for
    villages in several counties, counties/*.html instead, and the overview and bureau
    maps draw one polygon per township, or per county above 5,000 townships, rather than
    every village). --no-maps writes no maps (the workbook still). --ledger adds
    ledger.csv and the workbook's 整改核查 sheet: each problem the bureaus' filled-in
    workbook lists, checked against this run.
    """
    if workers and scheduler:
        raise click.UsageError("give --workers (a local cluster) or --scheduler (an existing one), not both")
    _run_profile(profile, outdir, overwrite, lang=lang, basemap=basemap, online=online, workers=workers,
                 scheduler=scheduler, maps=not no_maps, ledger=ledger)


@main.command()
@click.argument("outdir", required=False, default="demo-output",
                type=click.Path(file_okay=False, path_type=Path))
@overwrite_option
@map_options
@click.option("--osm", "real_roads", is_flag=True,
              help="Run the bundled OpenStreetMap extract of Liechtenstein instead: covermap osm, then covermap "
                   "run, its municipalities standing in for villages ((c) OpenStreetMap contributors, ODbL 1.0).")
@_fail_cleanly
def demo(outdir: Path, overwrite: bool, lang: str | None, basemap: str | None, online: bool,
         real_roads: bool) -> None:
    """Run the bundled sample county (望谟县, generated geometry) through a campaign's
    cycle into OUTDIR: two periods a year apart, the bureaus' filled-in problem list of the
    first read back by the second (账实不符, 逾期 …), their comparison and the trend.

    \b
    Example:
        covermap demo demo-output
        # then open demo-output/index.html in a browser
        covermap demo demo-en --lang en
        covermap demo --osm demo-osm
    Writes OUTDIR/2025 and OUTDIR/2026 (each the outputs of covermap run of the
    period's profile_all.toml: the five standards and the optional school, housing and
    electricity; 2026 read the ledger layers/sample/ledger_2025.xlsx), OUTDIR/changes
    (covermap compare, with the sample's code-change table) and OUTDIR/index.html, which
    links them. With --osm:
    OUTDIR/osm (covermap osm of the real extract, with require_connected and
    [standards.care] added to its profile), OUTDIR/results (covermap run) and
    OUTDIR/README.txt; the data are (c) OpenStreetMap contributors, ODbL 1.0, and so is
    everything made from them.
    """
    if real_roads:
        _demo_osm(outdir, overwrite, lang, basemap, online)
        return
    from gis.errors import OutputError
    from layers.changes import write_comparison
    from layers.compare import summary_line
    from layers.sample import SAMPLE_DIR
    from layers.profile import load_profile
    from layers.steps import CYCLE_TITLE, OPEN_PAGE, PERIOD, SAMPLE_PROBLEMS
    from layers.changebook import NAMES
    from layers.workbook import WORKBOOK_NAMES
    from maps.cycle import Period, write_cycle_page

    landing = outdir / "index.html"
    if landing.exists() and not overwrite:
        raise OutputError(f"{outdir}: holds the outputs of an earlier demo; add --overwrite to replace them")
    # the sample's problems are there on purpose: one note, not warnings for the user to fix
    hidden: list[logging.LogRecord] = []
    console = _console()
    if console is not None:
        console.hide = lambda record: hasattr(record, "finding") and not hidden.append(record)
    # profile_all.toml: profile.toml with the optional standards' tables (layers/sample/plugins.py)
    periods = (("2025", SAMPLE_DIR / "profile_all.toml", None),
               ("2026", SAMPLE_DIR / "2026" / "profile_all.toml", SAMPLE_DIR / "ledger_2025.xlsx"))
    done, found = [], 0
    try:
        for name, profile, ledger in periods:
            log.info(PERIOD.format(lang or "zh", folder=outdir / name, as_of=load_profile(profile).as_of))
            result, lines = _run_profile(profile, outdir / name, overwrite, lang=lang, basemap=basemap, online=online,
                                         ledger=ledger, ledger_warnings=False)
            done.append((name, result, lines))
            found = len(hidden) if len(done) == 1 else found   # the same deliberate problems in every period
    finally:
        if console is not None:
            console.hide = None
    profile = done[-1][1].profile
    comparison = write_comparison([outdir / name for name, *_ in done], outdir / "changes",
                                  codes=SAMPLE_DIR / "2026" / "code_changes.csv", overwrite=overwrite,
                                  lang=profile.lang, pages=_comparison_pages)
    changed = summary_line(comparison.changes, outdir / "changes", comparison.lang)
    click.echo(changed)
    files = {"change_map": "changes.html", "change_book": NAMES[comparison.lang], "trend_page": "trend.html"}
    files = {key: name for key, name in files.items() if name in comparison.outputs}
    book = WORKBOOK_NAMES[comparison.lang]
    pages = [Period(run.label, name, lines[0], workbook=book) for (name, _, lines), run in zip(done, comparison.runs)]
    ledger_line = done[-1][2][1] if len(done[-1][2]) > 1 else None
    try:
        write_cycle_page(landing, CYCLE_TITLE.format(profile.lang, name=profile.name), pages, ledger_line,
                         pages[-1], changed, "changes", files, comparison.trend, lang=profile.lang,
                         extra=_compared_extra(comparison))
    except OSError as exc:
        raise OutputError(f"{landing}: cannot be written ({exc.strerror or exc})") from exc
    if found:
        log.info(SAMPLE_PROBLEMS.format(console.lang, n=found, profile=periods[0][1]))
    click.echo(OPEN_PAGE.format(profile.lang, page=landing))


def _compared_extra(comparison) -> tuple:
    """The optional standards compared, as the pages draw them (the registry's words): those
    with a change, or a bureau of their own in the trend."""
    from layers.mapdata import drawn
    from layers.standards import BUREAUS, OPTIONAL
    from maps.extra import from_plain

    changed = set(comparison.changes["standard"].astype(str))
    bureaus = set(comparison.trend["bureau"].astype(str)) - {bureau.key for bureau in BUREAUS}
    return tuple(from_plain(drawn(s, None, comparison.lang)) for s in OPTIONAL
                 if s.key in changed or s.bureau in bureaus)


def _comparison_pages(folder: Path, comparison) -> list[str]:
    """changes.html (when the runs have polygons) and trend.html: folium is loaded only here."""
    from maps.change_areas import write_change_area_map
    from maps.changes import write_change_map
    from maps.trend import write_trend_page

    extra = _compared_extra(comparison)
    written = []
    if comparison.townships is not None:   # runs over several counties: townships or counties drawn
        drawn = write_change_area_map(folder / "changes.html", comparison.changes, comparison.townships,
                                      lang=comparison.lang, title=comparison.title, extra=extra)
    else:
        drawn = comparison.shapes is not None and write_change_map(
            folder / "changes.html", comparison.shapes, lang=comparison.lang, title=comparison.title, extra=extra)
    if drawn:
        written.append("changes.html")
    write_trend_page(folder / "trend.html", comparison.trend, lang=comparison.lang, extra=extra)
    return [*written, "trend.html"]


@main.command()
@click.argument("runs", nargs=-1, required=True, type=click.Path(file_okay=False, path_type=Path))
@click.option("-o", "--output", "outdir", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Folder for the changes: changes.csv, summary.csv, trend.csv, changes.gpkg, 变化清单.xlsx, "
                   "changes.html, trend.html and changes.json.")
@click.option("--codes", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Code-change table (CSV, columns old_code,new_code): old village codes are mapped to the new "
                   "ones before the runs are matched.")
@overwrite_option
@click.option("--lang", type=click.Choice(["zh", "en"]), default=None,
              help="Language of the change words and the summary line [default: the latest run's project.lang, "
                   "else zh].")
@click.option("--no-maps", is_flag=True, default=False, help="Write the tables and workbook only, no HTML pages.")
@_fail_cleanly
def compare(runs: tuple[Path, ...], outdir: Path, codes: Path | None, overwrite: bool, lang: str | None,
            no_maps: bool) -> None:
    """Compare the output folders of two or more runs (say, one a month): what closed
    (已销号), what is new (新增), what persists (仍未解决), improved or worsened, per village
    and standard, between the last two; and the trend of open problems over all of them.

    \b
    Example:
        covermap compare results-2025 results-2026 -o changes-2026
        covermap compare results-2025 results-2026 -o changes-2026 --codes code_changes.csv
        covermap compare results-2026-0* -o trend-2026
    The runs are put in time order by the date their data describe (project.as_of in
    run.json), then by when they were made. Writes changes.csv, summary.csv (per bureau,
    township and change), trend.csv (open, closed and new per run, bureau and township),
    changes.gpkg (layer changes), 变化清单.xlsx, changes.html (the map of changes),
    trend.html and changes.json. Warns of every profile setting that differs between the
    last two runs: a gap 'closed' by a relaxed limit is not a fix (changes.csv marks the
    rows of such a standard, settings_changed = yes).
    """
    from layers.changes import write_comparison
    from layers.compare import difference_text, summary_line

    if len(runs) < 2:
        raise click.UsageError("give at least two output folders: the earlier run, then the later")
    result = write_comparison(list(runs), outdir, codes=codes, overwrite=overwrite, lang=lang,
                              pages=None if no_maps else _comparison_pages)
    for difference in result.differences:
        log.warning("warning: %s", difference_text(difference, result.lang))
    click.echo(summary_line(result.changes, outdir, result.lang))


@main.command()
@click.argument("profile", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="Report as lines of text or as one JSON object.")
@_fail_cleanly
def check(profile: Path, fmt: str) -> None:
    """Read and validate everything PROFILE names; report every problem; write nothing.

    \b
    Example:
        covermap check county.toml
    Exits 1 when any error is found, 0 when there are only warnings or none.
    """
    from layers.checks import Findings
    from layers.inputs import load_inputs
    from layers.profile import load_profile

    findings = Findings()
    try:
        settings = load_profile(profile)
        load_inputs(settings, findings)
        if settings.ledger is not None and settings.ledger.path is not None:   # read as run would
            from layers.ledger import read_ledger

            try:
                read_ledger(settings.ledger.path)
            except CovermapError as exc:
                findings.exception(exc, check="ledger")
    except CovermapError as exc:
        findings.exception(exc)
    errors, warnings = findings.errors, findings.warnings
    _finish_progress()
    if fmt == "json":
        click.echo(json.dumps({"profile": str(profile), "errors": [item.as_dict() for item in errors],
                               "warnings": [item.as_dict() for item in warnings]}, ensure_ascii=False, indent=2))
    else:
        for item in [*errors, *warnings]:
            click.echo(f"{item.severity}: {item}")
        click.echo(f"{profile}: {len(errors)} errors, {len(warnings)} warnings")
    if errors:
        raise SystemExit(1)


@main.command()
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True,
              help="Language of the template's comments, and its project.lang.")
@overwrite_option
@_fail_cleanly
def init(path: Path, lang: str, overwrite: bool) -> None:
    """Write a commented profile template to PATH.

    \b
    Example:
        covermap init county.toml
        covermap init county-en.toml --lang en
    Every optional setting is there, commented out (# key = ...) in the table it
    belongs to: remove the # to use it.
    """
    if path.exists() and not overwrite:
        raise OutputError(f"{path}: already exists; pass --overwrite to replace it or choose another name")
    template = resources.files("layers").joinpath(f"template.{lang}.toml").read_text(encoding="utf-8")
    try:
        path.write_text(template, encoding="utf-8")
    except OSError as exc:
        raise OutputError(f"{path}: cannot write the profile ({exc.strerror})") from None
    click.echo(f"已写出 {path}；改好其中的路径和列名后运行 'covermap check {path}'" if lang == "zh" else
               f"wrote {path}; edit the paths and columns, then run 'covermap check {path}'")


@main.command()
@click.argument("path", type=click.Path(path_type=Path))   # a folder too: a FileGDB is one
@_fail_cleanly
def info(path: Path) -> None:
    """Describe a data file as 'run' reads it: each layer (an XLSX sheet, an OSM
    layer such as points, lines or multipolygons) with its geometry type, CRS, feature
    count, fields and three example rows; for a CSV or Shapefile, its text encoding.

    \b
    Example:
        covermap info villages.gpkg
        covermap info clinics.xlsx
        covermap info roads.osm.pbf
    """
    from gis.describe import describe

    layers = describe(path)
    click.echo(f"{path}: {layers[0]['driver'] if layers else 'no layers'}, "
               f"{len(layers)} layer{'' if len(layers) == 1 else 's'}")
    for layer in layers:
        geometry = layer["geometry"] or "no geometry (a table: for points set x and y to its coordinate columns)"
        click.echo(f"layer {layer['layer']!r}: {geometry}, {layer['features']} features, "
                   f"CRS {layer['crs'] or 'none (set assume_crs in the profile)'}")
        if layer["encoding"]:
            click.echo(f"  text: {layer['encoding']}")
        for name, kind in layer["fields"].items():
            click.echo(f"  {name}: {kind}")
        for number, row in enumerate(layer["examples"], start=1):
            click.echo(f"  row {number}: " + "; ".join(f"{name}={_cell(value)}" for name, value in row.items()))


@main.command("osm")
@click.argument("extract", type=click.Path(dir_okay=False, path_type=Path))
@click.option("-o", "--output", "folder", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Folder for osm.gpkg and profile.toml.")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True,
              help="Language of the profile's comments, and its project.lang.")
@click.option("--villages-from-boundaries", "level", type=click.IntRange(min=1, max=12), default=None,
              metavar="LEVEL", help="Let the extract's administrative areas of this admin_level stand in for "
                                    "villages (to try covermap out; 8 is a township in China, a municipality "
                                    "in much of Europe).")
@click.option("--untagged-hardened", "untagged", metavar="CLASSES",
              default="motorway,trunk,primary,secondary,tertiary", show_default=True,
              help="Highway classes whose roads count as hardened when they have no surface tag (their _link "
                   "roads too); other untagged roads are unknown. 'none': surface tags alone decide.")
@overwrite_option
@_fail_cleanly
def osm(extract: Path, folder: Path, lang: str, level: int | None, untagged: str, overwrite: bool) -> None:
    """Turn an OpenStreetMap extract into layers and a profile covermap runs on.

    \b
    Example:
        covermap osm guizhou-latest.osm.pbf -o guizhou
        covermap check guizhou/profile.toml
        covermap osm liechtenstein.osm.pbf -o li --villages-from-boundaries 8 --lang en
    Writes FOLDER/osm.gpkg with layers roads (highway, surface, width in metres, lanes,
    oneway, bridge, tunnel, layer, name and hardened: 是 by a hardened surface tag,
    否 by a loose one or for a footway/cycleway/steps, and for a road without surface
    是 by its class (--untagged-hardened), else empty: unknown), clinics (amenity=hospital
    as 乡镇卫生院, clinic/doctors as 村卫生室, other healthcare=* as 其他; areas as points),
    bus_stops, bus_routes (route relations of buses and coaches), post, boundaries
    (and villages with --villages-from-boundaries), and
    FOLDER/profile.toml using them. Your own village boundaries go in its [villages].
    Data (c) OpenStreetMap contributors, ODbL 1.0: credit it in what you publish.
    """
    from layers.osm import PROFILE_NAME, convert
    from layers.osmprofile import profile_text, write_profile

    classes = () if untagged.strip().lower() == "none" else tuple(
        word.strip() for word in untagged.split(",") if word.strip())
    click.echo(f"读取 {extract}…" if lang == "zh" else f"reading {extract}…", err=True)
    result = convert(extract, folder, villages_level=level, untagged_hardened=classes, overwrite=overwrite)
    profile = folder / PROFILE_NAME
    write_profile(profile, profile_text(result, extract, profile, lang))
    n, hard = result.counts, result.surfaces
    if lang == "zh":
        click.echo(f"已写出 {result.gpkg}：道路 {n['roads']:,} 条（硬化 {hard.get('是', 0):,}、未硬化 "
                   f"{hard.get('否', 0):,}、未知 {hard.get('', 0):,}），卫生机构 {n['clinics']:,}，公交站 "
                   f"{n['bus_stops']:,}，公交线路 {n['bus_routes']:,}，邮政 {n['post']:,}，行政区 {n['boundaries']:,}"
                   + (f"（代替村 {n['villages']:,}）" if level else "")
                   + f"；配置 {profile}。下一步：covermap check {profile}")
    else:
        click.echo(f"wrote {result.gpkg}: {n['roads']:,} roads ({hard.get('是', 0):,} hardened, "
                   f"{hard.get('否', 0):,} not, {hard.get('', 0):,} unknown), {n['clinics']:,} health facilities, "
                   f"{n['bus_stops']:,} bus stops, {n['bus_routes']:,} bus routes, {n['post']:,} post offices, {n['boundaries']:,} boundaries"
                   + (f" ({n['villages']:,} standing in for villages)" if level else "")
                   + f"; profile {profile}. Next: covermap check {profile}")


def _demo_osm(outdir: Path, overwrite: bool, lang: str | None, basemap: str | None, online: bool) -> None:
    """``demo --osm``: the bundled extract through ``osm`` and ``run`` (layers.osmdemo)."""
    from layers import osmdemo
    from layers.osm import ATTRIBUTION

    words = lang or "zh"
    click.echo(f"读取 {osmdemo.EXTRACT.name}…" if words == "zh" else f"reading {osmdemo.EXTRACT.name}…", err=True)
    profile = osmdemo.prepare(outdir, words, overwrite)
    _run_profile(profile, outdir / osmdemo.RESULTS_FOLDER, overwrite, lang=lang, basemap=basemap, online=online)
    click.echo(f"数据 © OpenStreetMap 贡献者，ODbL 1.0；说明见 {outdir / osmdemo.NOTE}" if words == "zh"
               else f"data {ATTRIBUTION}; see {outdir / osmdemo.NOTE}")


def _cell(value) -> str:
    """A cell as ``info`` shows it: on one line, at most 40 characters."""
    text = "" if value is None else " ".join(str(value).split())
    return text if len(text) <= 40 else text[:39] + "…"

if __name__ == "__main__":
    main()

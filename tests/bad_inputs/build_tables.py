"""Builders of the table and encoding cases (cases_tables.toml): point tables as Excel and
WPS leave them (codes in scientific notation, a header and no rows, two columns of one
name, a CSV in an encoding it does not declare), profile columns that cannot be meant,
paths at devices and pipes, and water projects with absurd radii."""

from __future__ import annotations

import os
import zipfile
from xml.sax.saxutils import escape

import geopandas as gpd
from build import BUILDERS, builder, csv, edit, villages

import hand_drawn as hd


def write_xlsx(path, rows) -> None:
    """A one-sheet XLSX of ``rows`` (lists of text or numbers), written by hand: pandas
    and GDAL will not write a sheet with two columns of one name, or a header alone."""
    strings: list[str] = []
    lines = []
    for r, row in enumerate(rows, 1):
        cells = []
        for c, value in enumerate(row):
            ref = f"{chr(ord('A') + c)}{r}"
            if isinstance(value, str):
                strings.append(value)
                cells.append(f'<c r="{ref}" t="s"><v>{len(strings) - 1}</v></c>')
            else:
                cells.append(f'<c r="{ref}"><v>{value!r}</v></c>')
        lines.append(f'<row r="{r}">{"".join(cells)}</row>')
    main = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    package = "http://schemas.openxmlformats.org/package/2006"
    kind = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    head = '<?xml version="1.0" encoding="UTF-8"?>'
    files = {
        "[Content_Types].xml": f'{head}<Types xmlns="{package}/content-types">'
        f'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        f'<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{kind}.sheet.main+xml"/>'
        f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{kind}.worksheet+xml"/>'
        f'<Override PartName="/xl/sharedStrings.xml" ContentType="{kind}.sharedStrings+xml"/></Types>',
        "_rels/.rels": f'{head}<Relationships xmlns="{package}/relationships">'
        f'<Relationship Id="rId1" Type="{rel}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": f'{head}<workbook {main} xmlns:r="{rel}"><sheets>'
        f'<sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": f'{head}<Relationships xmlns="{package}/relationships">'
        f'<Relationship Id="rId1" Type="{rel}/worksheet" Target="worksheets/sheet1.xml"/>'
        f'<Relationship Id="rId2" Type="{rel}/sharedStrings" Target="sharedStrings.xml"/></Relationships>',
        "xl/worksheets/sheet1.xml": f'{head}<worksheet {main}><sheetData>{"".join(lines)}</sheetData></worksheet>',
        "xl/sharedStrings.xml": f'{head}<sst {main} count="{len(strings)}" uniqueCount="{len(strings)}">'
        + "".join(f"<si><t>{escape(text)}</t></si>" for text in strings) + "</sst>",
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in files.items():
            archive.writestr(name, text)


def seats_text(p, text: str) -> None:
    (p.parent / "seats.csv").write_text(text, encoding="utf-8")


# --- point tables as Excel leaves them -------------------------------------------------

@builder("seats_header_only")
def _(p):
    seats_text(p, "code,lon,lat\n")


@builder("seats_header_only_check")
def _(p):
    seats_text(p, "code,lon,lat\n")


@builder("fibre_xlsx_header_only")
def _(p):
    write_xlsx(p.parent / "fibre.xlsx", [["name", "lon", "lat"]])


@builder("seats_codes_in_scientific_notation")
def _(p):
    csv(p, "seats.csv", lambda t: t.assign(code=["5.22326E+11", "5.22326E+11"]))


@builder("seats_codes_in_scientific_notation_check")
def _(p):
    csv(p, "seats.csv", lambda t: t.assign(code=["5.22326E+11", "522326100202"]))


@builder("village_codes_in_scientific_notation")
def _(p):
    villages(p, lambda v: v.assign(村代码=["5.22326E+11", *v["村代码"][1:]]))


@builder("township_codes_in_scientific_notation")
def _(p):
    villages(p, lambda v: v.assign(乡镇代码=["5.22326E+08"] * len(v)))


@builder("served_codes_in_scientific_notation")
def _(p):
    water = gpd.read_file(p.parent / "water.geojson")
    water["served"] = ["", "522326100201;5.22326E+11"]
    (p.parent / "water.geojson").unlink()
    water.to_file(p.parent / "water.geojson", engine="pyogrio")


@builder("seats_two_columns_named_code")
def _(p):
    seats_text(p, "code,lon,lat,code\n522326100201,105.004967912,25.321068641,A\n")


@builder("clinics_two_columns_named_type_check")
def _(p):
    text = (p.parent / "clinics.csv").read_text(encoding="utf-8").splitlines()
    text[0] = text[0].replace("标准化", "类型")
    (p.parent / "clinics.csv").write_text("\n".join(text) + "\n", encoding="utf-8")


@builder("fibre_xlsx_two_columns_named_name")
def _(p):
    write_xlsx(p.parent / "fibre.xlsx", [["name", "lon", "lat", "name"], ["F1", 105.005, 25.3296, "F2"]])
    edit(p, 'assume_crs = "EPSG:4490"\n\n[standards.roads]', 'assume_crs = "EPSG:4490"\n[network.fibre.columns]\n'
         'name = "name"\n\n[standards.roads]')


@builder("seats_all_duplicates_check")
def _(p):
    csv(p, "seats.csv", lambda t: t.assign(code=[hd.CODES["A"], hd.CODES["A"]]))


@builder("village_without_code_overlapping_check")
def _(p):
    def spoil(v):
        v.loc[1, "村代码"] = None
        v.loc[1, "geometry"] = v.geometry.iloc[0]    # on top of 甲村
        return v
    villages(p, spoil)


# --- encodings -----------------------------------------------------------------------

@builder("clinics_gbk_declared_utf8_says_gbk")
def _(p):
    BUILDERS["clinics_gbk_declared_utf8"](p)


@builder("clinics_gbk_declared_utf8")
def _(p):
    path = p.parent / "clinics.csv"
    path.write_bytes(path.read_text(encoding="utf-8").encode("gbk"))
    edit(p, 'path = "clinics.csv"\n', 'path = "clinics.csv"\nencoding = "UTF-8"\n')


@builder("clinics_text_in_no_chinese_encoding")
def _(p):
    path = p.parent / "clinics.csv"
    path.write_bytes(path.read_bytes().replace(b"K4", b"K\x80\x80"))


@builder("clinics_utf16_declared_gbk_check")
def _(p):
    path = p.parent / "clinics.csv"
    path.write_text(path.read_text(encoding="utf-8").replace(",", "\t"), encoding="utf-16")
    edit(p, 'path = "clinics.csv"\n', 'path = "clinics.csv"\nencoding = "GBK"\n')


# --- paths at things that are not files ------------------------------------------------

@builder("seats_path_is_a_pipe_check")
def _(p):
    (p.parent / "seats.csv").unlink()
    os.mkfifo(p.parent / "seats.csv")


@builder("profile_is_a_pipe")
def _(p):
    os.mkfifo(p.parent / "pipe.toml")


@builder("profile_far_too_large")
def _(p):
    with open(p, "a", encoding="utf-8") as fh:
        fh.write("# padding\n" * 120_000)


# --- water projects ------------------------------------------------------------------

def _wells(p, radius) -> None:
    wells = gpd.GeoDataFrame({"name": ["W1", "W2"], "r": radius}, geometry=[hd.point(500, 500), hd.point(1500, 500)],
                             crs=hd.CRS_M)
    wells.to_crs("EPSG:4326").to_file(p.parent / "wells.geojson", engine="pyogrio")
    text = p.read_text(encoding="utf-8")
    start, end = text.index("[water]"), text.index("[clinics]")
    p.write_text(text[:start] + '[water]\npath = "wells.geojson"\n[water.columns]\nname = "name"\nradius = "r"\n\n'
                 + text[end:], encoding="utf-8")


@builder("water_radius_absurd")
def _(p):
    _wells(p, [1e12, 800.0])


@builder("water_radius_absurd_check")
def _(p):
    _wells(p, [300.0, 250_000.0])

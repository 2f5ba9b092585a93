"""The design of the demo street: roads, walls, units, grids and planted defects.

Internal to :mod:`tools.demo.build`.  Coordinates are *local* metres
(x east, y north, origin near the south-west corner of the street); the build
rotates and moves them into EPSG:4549.  Everything here is a design input:
the ground truth is computed from the generated data, never read from here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

# --------------------------------------------------------------------------- placement

SEED = 20260630
#: Local point that lands on :data:`CENTRE_LONLAT`.
CENTRE_LOCAL = (1100.0, 700.0)
CENTRE_LONLAT = (118.80, 32.05)
#: Counter-clockwise rotation of the local frame, degrees.
ROTATION_DEG = 8.0
METRIC_EPSG = 4549
STORED_EPSG = 4490

DEMO_AS_OF = date(2026, 6, 30)

# --------------------------------------------------------------------------- codes and names

STREET_CODE = "320102001000"
STREET_NAME = "玄清街道"
COMMUNITIES: dict[str, tuple[str, str]] = {
    # key: (code, name)
    "C1": ("320102001001", "东园社区"),
    "C2": ("320102001002", "西华社区"),
    "C3": ("320102001003", "北岗社区"),
    "C4": ("320102001004", "南湖社区"),
    "C5": ("320102001005", "青溪社区"),
}


def river_y(x: np.ndarray | float) -> np.ndarray:
    """North coordinate of the river centre line at local `x`."""
    xx = np.asarray(x, dtype=float)
    return 12.0 + 9.0 * np.sin(2 * np.pi * xx / 1400.0) + 4.0 * np.sin(2 * np.pi * xx / 530.0 + 1.0)


def _river_end(x: float) -> tuple[float, float]:
    """Return a road end 3 m past the river (the overshoot is removed after noding)."""
    return (x, float(river_y(x)) - 3.0)


def _bank(x0: float, x1: float, offset: float) -> list[tuple[float, float]]:
    xs = np.linspace(x0, x1, 16)
    return [(float(x), float(river_y(x)) + offset) for x in xs]


RIVER_NAME = "青溪河"
RIVER: list[tuple[float, float]] = [
    (float(x), float(river_y(x))) for x in np.arange(-150.0, 2401.0, 25.0)
]

#: Roads: name, grade (main/branch), polyline.  Ends are drawn on (or a few
#: metres past) the line they end on; the build prolongs every end by 4 m and
#: removes the overshoots after noding.
ROADS: list[tuple[str, str, list[tuple[float, float]]]] = [
    ("龙园大道", "main", [(-8, -90), (0, 10), (12, 700), (30, 1480)]),
    ("北湖路", "main", [(-100, 1392), (600, 1400), (1200, 1412), (2320, 1428)]),
    ("东城大道", "main", [(2178, -90), (2190, 400), (2215, 1000), (2232, 1500)]),
    ("广源路", "main", [(1085, -90), (1095, 400), (1100, 720), (1112, 1500)]),
    ("新华路", "main", [(-100, 700), (500, 708), (1100, 720), (1600, 735), (2300, 748)]),
    ("文昌街", "branch", [(372, 700), (380, 1060), (365, 1400)]),
    ("梧桐路", "branch", [(748, 705), (752, 1050), (760, 1409)]),
    ("学府路", "branch", [(20, 1052), (380, 1060), (752, 1050), (1106, 1062)]),
    ("丹桂街", "branch", [(368, 885), (752, 880), (1106, 892)]),
    ("杏花巷", "branch", [(22, 1235), (380, 1230), (756, 1228), (1108, 1240)]),
    ("长乐路", "branch", [(1640, 728), (1655, 1100), (1650, 1422)]),
    ("双桥街", "branch", [(1104, 1065), (1400, 1070), (1657, 1080)]),
    ("竹林巷", "branch", [(1385, 722), (1392, 1074)]),
    ("安仁巷", "branch", [(1450, 1072), (1660, 1260)]),
    ("银杏路", "branch", [(1648, 1000), (1930, 1008), (2216, 1015)]),
    ("望江路", "branch", [(1650, 1215), (1950, 1222), (2226, 1230)]),
    ("翠屏街", "branch", [(1928, 735), (1932, 1012)]),
    ("朝阳街", "branch", [(1950, 1218), (1958, 1430)]),
    ("柳营路", "branch", [_river_end(335), (342, 380), (338, 712)]),
    ("和平巷", "branch", [_river_end(715), (725, 380), (718, 716)]),
    ("兴隆街", "branch", [(5, 385), (342, 380), (725, 392), (1100, 398)]),
    ("青石巷", "branch", [(338, 200), (725, 210)]),
    ("枣园巷", "branch", [(720, 200), (1098, 215)]),
    ("金鱼巷", "branch", [(520, 382), (514, 500), (528, 600), (525, 712)]),
    ("石桥路", "branch", [_river_end(1450), (1455, 400), (1462, 735)]),
    ("春晖路", "branch", [_river_end(1805), (1800, 400), (1808, 742)]),
    ("和顺路", "branch", [(1090, 405), (1455, 400), (1800, 410), (2195, 420)]),
    ("滨江路", "branch", [(1795, 185), (2193, 190)]),
    ("滨河路", "branch", _bank(1447.0, 1808.0, 30.0)),
]

#: Compound walls: name, polyline, (prolong start, prolong end).
WALLS: list[tuple[str, list[tuple[float, float]], tuple[bool, bool]]] = [
    ("书香苑围墙", [(378, 800), (300, 800), (300, 960), (378, 960)], (True, True)),
    ("华侨新村围墙", [(1400, 1070), (1405, 1410)], (True, True)),
    ("双桥小区围墙", [(1112, 1245), (1402, 1245)], (True, True)),
    ("望江苑围墙", [(2090, 1226), (2092, 1426)], (True, True)),
    ("和平里围墙", [(910, 398), (910, 600)], (True, False)),
    ("滨江公园围墙", [_river_end(2010), (2012, 189)], (True, True)),
    ("御河苑围墙", [(1280, 402), (1282, 722)], (True, True)),
    ("清河园围墙", [_river_end(1270), (1272, 403)], (True, True)),
    ("石桥新村围墙", [_river_end(1625), (1627, 405)], (True, True)),
    ("青石新村围墙", [(2, 180), (338, 180)], (True, True)),
    ("春晖中学围墙", [(1802, 585), (2198, 590)], (True, True)),
]

#: Amplitude range (m) of the smooth bends of branch roads.
BEND = 1.5

# --------------------------------------------------------------------------- units


@dataclass(frozen=True)
class Unit:
    """A face of the street (block, compound or a defect piece), found by a label point.

    Attributes
    ----------
    point : tuple of float
        A local point inside the face (defect pieces get theirs from the build).
    community : str
        Community key.
    style : str
        Building style: ``lowrise``, ``midrise``, ``highrise``, ``mixed``,
        ``campus`` (non-residential buildings), ``empty``.
    households : int
        Households to place by the automatic layout (explicit buildings extra).
    use : str
        Use of the campus buildings (``school``, ``office``, ``factory``, ...).
    nonres : tuple of str
        Uses of non-residential buildings added among the homes.
    """

    point: tuple[float, float] | None
    community: str
    style: str
    households: int = 0
    use: str = "residential"
    nonres: tuple[str, ...] = ()


UNITS: dict[str, Unit] = {
    # 东园社区 (C1)
    "c1_b2": Unit((150, 880), "C1", "lowrise", 372),
    "c1_b2c": Unit((338, 880), "C1", "lowrise", 44),
    "c1_b3": Unit((190, 1140), "C1", "lowrise", 197),
    "c1_edge": Unit(None, "C1", "empty"),
    "c1_b4": Unit((190, 1320), "C1", "lowrise", 206),
    "c1_b24": Unit((560, 790), "C1", "lowrise", 214),
    "c1_b31": Unit((560, 970), "C1", "midrise", 189),
    "c1_b32": Unit((560, 1145), "C1", "lowrise", 221),
    "c1_b5": Unit((560, 1320), "C1", "lowrise", 208),
    "c1_b21": Unit((925, 800), "C1", "lowrise", 116, nonres=("school", "school")),
    "c1_b22": Unit((925, 975), "C1", "midrise", 345),
    "c1_b6s": Unit((930, 1150), "C1", "lowrise", 103),
    "c1_b6n": Unit((930, 1325), "C1", "midrise", 355),
    # 西华社区 (C2)
    "c2_b20": Unit((1240, 900), "C2", "mixed", 366, nonres=("office",)),
    "c2_overlap": Unit(None, "C2", "empty"),
    "c2_b26": Unit((1520, 900), "C2", "midrise", 346),
    "c2_b7s": Unit((1250, 1160), "C2", "midrise", 390),
    "c2_b7n": Unit((1250, 1330), "C2", "lowrise", 391),
    "c2_b7e": Unit((1530, 1330), "C2", "mixed", 409),
    "c2_tri": Unit((1590, 1120), "C2", "lowrise", 61),
    # 北岗社区 (C3)
    "c3_b28": Unit((1790, 870), "C3", "midrise", 404),
    "c3_b13": Unit((2070, 880), "C3", "lowrise", 176, nonres=("kindergarten",)),
    "c3_b14": Unit((1930, 1110), "C3", "lowrise", 185, nonres=("market", "office")),
    "c3_b9w": Unit((2020, 1320), "C3", "lowrise", 79),
    "c3_b9e": Unit((2160, 1320), "C3", "highrise", 362),
    "c3_b8": Unit((1800, 1320), "C3", "mixed", 395),
    "c3_cross": Unit(None, "C3", "empty"),
    # 南湖社区 (C4)
    "c4_b0s": Unit((170, 90), "C4", "lowrise", 196),
    "c4_b0n": Unit((170, 290), "C4", "lowrise", 213),
    "c4_b1": Unit((170, 545), "C4", "midrise", 402),
    "c4_w34": Unit((540, 345), "C4", "lowrise", 124),
    "c4_w23": Unit((475, 470), "C4", "lowrise", 118),
    "c4_w25": Unit((590, 470), "C4", "lowrise", 165),
    "c4_b23r": Unit((385, 600), "C4", "lowrise", 187),
    "c4_b25r": Unit((680, 620), "C4", "lowrise", 226),
    "c4_b34r": Unit((540, 250), "C4", "lowrise", 139),
    "c4_b29": Unit((530, 110), "C4", "lowrise", 252),
    "c4_hole": Unit(None, "C4", "empty"),
    "c4_b16": Unit((900, 110), "C4", "lowrise", 199),
    "c4_b17": Unit((900, 300), "C4", "lowrise", 214, nonres=("commercial",)),
    "c4_b18w": Unit((815, 520), "C4", "lowrise", 390),
    "c4_b18e": Unit((1005, 520), "C4", "midrise", 394),
    # 青溪社区 (C5)
    "c5_b19w": Unit((1190, 560), "C5", "midrise", 401, nonres=("community_centre",)),
    "c5_b19e": Unit((1370, 560), "C5", "midrise", 386),
    "c5_spike": Unit(None, "C5", "empty"),
    "c5_b27": Unit((1630, 570), "C5", "lowrise", 412),
    "c5_b15w": Unit((1180, 200), "C5", "midrise", 397),
    "c5_b15e": Unit((1360, 200), "C5", "lowrise", 383),
    "c5_b30w": Unit((1540, 230), "C5", "midrise", 405),
    "c5_bank_w": Unit((1540, 35), "C5", "empty"),
    "c5_b30e": Unit((1715, 230), "C5", "campus", 0, "hospital"),
    "c5_bank_e": Unit((1715, 35), "C5", "empty"),
    "c5_b10w": Unit((1900, 100), "C5", "empty"),
    "c5_b10e": Unit((2100, 100), "C5", "lowrise", 88),
    "c5_b11": Unit((2000, 300), "C5", "campus", 0, "factory"),
    "c5_b12s": Unit((2000, 500), "C5", "campus", 0, "school"),
    "c5_b12n": Unit((2000, 665), "C5", "midrise", 318),
}

# --------------------------------------------------------------------------- grids

#: Governance grids: key -> (community, sequence, units).  Keys name the role
#: each grid plays in the planted defects (see build.py).
GOVERNANCE: dict[str, tuple[str, str, list[str]]] = {
    "C1_mismatch_gov": ("C1", "001", ["c1_b2", "c1_b2c"]),
    "C1_edge_gap": ("C1", "002", ["c1_b3", "c1_b4"]),
    "C1_mismatch_nbr": ("C1", "003", ["c1_b24", "c1_b31"]),
    "C1_bad_code": ("C1", "004", ["c1_b32", "c1_b5"]),
    "C1_overloaded": ("C1", "005", ["c1_b6s", "c1_b6n"]),
    "C1_underloaded": ("C1", "006", ["c1_b21"]),
    "C1_merge_partner": ("C1", "007", ["c1_b22"]),
    "C2_multipart": ("C2", "001", ["c2_b20", "c2_overlap", "c2_tri"]),
    "C2_multipart_donor": ("C2", "002", ["c2_b26"]),
    "C2_overlap": ("C2", "003", ["c2_b7s", "c2_overlap"]),
    "C2_review_due": ("C2", "004", ["c2_b7n"]),
    "C2_crosses_parent": ("C2", "005", ["c2_b7e", "c3_cross"]),
    "C3_invalid": ("C3", "001", ["c3_b28"]),
    "C3_recut_a": ("C3", "002", ["c3_b13", "c3_b14", "c3_b9w"]),
    "C3_recut_b": ("C3", "003", ["c3_b9e"]),
    "C3_cut_victim": ("C3", "004", ["c3_b8"]),
    "C4_off_roads": ("C4", "002", ["c4_w34", "c4_w23", "c4_w25"]),
    "C4_off_roads_n": ("C4", "003", ["c4_b23r", "c4_b25r"]),
    "C4_off_roads_s": ("C4", "004", ["c4_b34r", "c4_b29"]),
    "C4_split_west": ("C4", "007", ["c4_b18w"]),
    "C4_split_east": ("C4", "008", ["c4_b18e"]),
    "C4_split_since_a": ("C4", "009", ["c4_b0s", "c4_b0n"]),
    "C4_split_since_b": ("C4", "010", ["c4_b1"]),
    "C4_merged_since": ("C4", "011", ["c4_b16", "c4_b17"]),
    "C5_nested_b1": ("C5", "001", ["c5_b19w"]),
    "C5_nested_b2": ("C5", "002", ["c5_b19e"]),
    "C5_sliver": ("C5", "003", ["c5_b27", "c5_spike"]),
    "C5_nested_a1": ("C5", "004", ["c5_b15w"]),
    "C5_nested_a2": ("C5", "005", ["c5_b15e"]),
    "C5_nested_a3": ("C5", "006", ["c5_b30w", "c5_bank_w"]),
    "C5_service_gap": (
        "C5",
        "008",
        ["c5_b30e", "c5_bank_e", "c5_b10w", "c5_b10e", "c5_b11", "c5_b12s", "c5_b12n"],
    ),
}

#: Units that no governance grid covers (the gaps) and the grid that covers
#: them in the service network.
GAP_UNITS: dict[str, str] = {"c1_edge": "C1_edge_gap", "c4_hole": "C4_off_roads_s"}

#: The overlap: a unit of one grid that a second grid claims too (unit, claimant).
OVERLAP_CLAIM = ("c2_overlap", "C2_multipart")

#: The governance grid with a bad code, and the code it carries.
BAD_CODE = ("C1_bad_code", "32010200101004")

#: Governance dates.
GOVERNANCE_FROM = date(2024, 3, 1)
GOVERNANCE_NEW_FROM = date(2025, 9, 1)
REVIEW_DUE_FROM = date(2022, 9, 15)
PARTY_FROM = date(2025, 4, 1)
SERVICE_FROM = date(2025, 6, 15)

#: Party network: the re-cut of two governance grids (the rest copies governance).
PARTY_RECUT: dict[str, list[str]] = {
    "C3_recut_a": ["c3_b13", "c3_b14"],
    "C3_recut_b": ["c3_b9w", "c3_b9e"],
}

#: Service network: merged governance grids (key of the new grid -> members).
SERVICE_MERGES: dict[str, tuple[str, list[str]]] = {
    "C5_service_b": ("201", ["C5_nested_b1", "C5_nested_b2"]),
    "C5_service_a": ("204", ["C5_nested_a1", "C5_nested_a2", "C5_nested_a3"]),
}
#: Service network: the walled compound of the mismatch moves to the other grid.
SERVICE_MISMATCH = ("c1_b2c", "C1_mismatch_gov", "C1_mismatch_nbr")
#: Service network: roads whose shared grid boundaries get digitising noise.
SERVICE_NOISE_ROADS = ("梧桐路", "丹桂街", "竹林巷", "翠屏街", "和平巷")
NOISE_MAX = 0.45

#: Previous edition: grids split since (previous key -> current members) and
#: grids merged since (current key -> previous parts with their sequences).
PREVIOUS_SPLIT = ("C4", "001", ["C4_split_since_a", "C4_split_since_b"])
PREVIOUS_MERGED = ("C4_merged_since", [("005", ["c4_b16"]), ("006", ["c4_b17"])])
#: The new compound in the overloaded grid: built after the previous edition.
NEW_COMPOUND_YEAR = 2025

#: Households geocoded far outside the street (local coordinates).
OUTSIDE_POINTS: list[tuple[float, float]] = [
    (-650.0, 1650.0),
    (-650.0, 1650.0),
    (-650.0, 1650.0),
    (1300.0, -720.0),
    (2830.0, 470.0),
]

#: The invalid grid, and the local point of its edge that gets a bow-tie.
BOWTIE_GRID = "C3_invalid"
BOWTIE_AT = (1930.0, 870.0)

#: The unit of the compound that no service station reaches.
SERVICE_GAP_UNIT = "c5_b10e"

#: Service stations: candidate spacing along roads and the distance they
#: stand off the road centre line.
STATION_SPACING = 30.0
STATION_OFFSET = 6.0
#: Coverage target for the station placement (network distance, m).
STATION_REACH = 420.0
#: No station closer (straight line) than this to the service-gap compound.
STATION_KEEP_OUT = 560.0


def service_units() -> dict[str, list[str]]:
    """Return the units of every service grid, by key.

    The service network follows the governance network repaired (gaps given
    to a neighbour, the overlap to its owner only), with the walled compound
    of :data:`SERVICE_MISMATCH` moved and the grids of
    :data:`SERVICE_MERGES` merged.
    """
    unit, claimant = OVERLAP_CLAIM
    owner = {
        key: [u for u in units if not (u == unit and key == claimant)]
        for key, (_c, _s, units) in GOVERNANCE.items()
    }
    for gap, key in GAP_UNITS.items():
        owner[key].append(gap)
    moved, old, new = SERVICE_MISMATCH
    owner[old].remove(moved)
    owner[new].append(moved)
    for key, (_seq, members) in SERVICE_MERGES.items():
        owner[key] = [u for m in members for u in owner.pop(m)]
    return owner

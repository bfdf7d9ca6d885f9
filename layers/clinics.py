"""Village clinics (health bureau): one standardized clinic with a qualified doctor in
every administrative village, with the profile's sharing and exemption rules."""

from __future__ import annotations

import numpy as np
import pandas as pd

from gis import geometry
from layers.inputs import Inputs
from layers.settings import ClinicRules
from layers.verdicts import FAILS, MEETS, NO_DATA, Grades, Texts, sentences


def home_village(inputs: Inputs) -> np.ndarray:
    """Row of the village each clinic lies in, -1 outside all. A clinic on a boundary
    shared by several villages counts once, for the village with the lowest code."""
    clinic, village = geometry.pairs_intersecting(inputs.clinics.geometry.to_numpy(),
                                                  inputs.villages.geometry.to_numpy())
    codes = inputs.villages["code"].to_numpy(dtype=object)[village]
    order = np.lexsort((codes, clinic))
    clinic, village = clinic[order], village[order]
    first = np.r_[True, clinic[1:] != clinic[:-1]] if len(clinic) else np.zeros(0, dtype=bool)
    home = np.full(len(inputs.clinics), -1, dtype=np.int64)
    home[clinic[first]] = village[first]
    return home


def qualifying(clinics: pd.DataFrame, rules: ClinicRules) -> pd.Series:
    """True for a standardized village clinic with enough qualified doctors, NA where a
    village clinic's standardization or doctors are not recorded."""
    is_clinic = pd.Series(clinics["kind"].to_numpy() == "village_clinic", index=clinics.index, dtype="boolean")
    ok = is_clinic.copy()
    if "standardized" in clinics:
        ok &= clinics["standardized"].astype("boolean")
    if "doctors" in clinics:
        doctors = clinics["doctors"]
        ok &= pd.Series(doctors >= rules.min_doctors, dtype="boolean").mask(doctors.isna())
    return ok


def nearest_clinic(origins: np.ndarray, clinics: pd.DataFrame, ok: np.ndarray,
                   index: pd.Index) -> tuple[pd.Series, pd.Series]:
    """``clinic_nearest_m`` and the name of that clinic, over qualifying clinics."""
    rows = np.flatnonzero(ok)
    nearest, distance = geometry.nearest(origins, clinics.geometry.to_numpy()[rows])
    names = clinics["name"].astype("string").fillna("unnamed clinic").to_numpy(dtype=object)
    found = nearest >= 0
    name = np.full(len(origins), None, dtype=object)
    name[found] = names[rows[nearest[found]]]
    return (pd.Series(distance, index=index, name="clinic_nearest_m"),
            pd.Series(name, index=index, name="clinic_nearest_name"))


def assess(inputs: Inputs, rules: ClinicRules) -> pd.DataFrame:
    """clinic_count, clinic_nearest_m, clinic_nearest_name, clinic_verdict, clinic_reason."""
    index = inputs.villages.index
    n = len(index)
    grades = Grades(n, "no clinics layer in the profile")
    if inputs.clinics is None:
        return grades.frame("clinic", index, clinic_count=np.zeros(n, dtype=int), clinic_nearest_m=np.full(n, np.nan),
                            clinic_nearest_name=np.full(n, None))
    clinics = inputs.clinics
    home = home_village(inputs)
    inside = home >= 0
    ok = qualifying(clinics, rules)
    good = ok.fillna(False).to_numpy(dtype=bool)
    count = np.bincount(home[inside & good], minlength=n)
    unknown = np.bincount(home[inside & ok.isna().to_numpy()], minlength=n) > 0
    weak = np.bincount(home[inside & (clinics["kind"].to_numpy() == "village_clinic") & ~good], minlength=n) > 0
    centre = np.bincount(home[inside & (clinics["kind"].to_numpy() == "health_centre")], minlength=n) > 0
    distance, name = nearest_clinic(inputs.origins, clinics, good, index)
    d = distance.to_numpy()
    population = inputs.villages["population"].to_numpy(dtype=float)
    shares = ((population < rules.share_max_population) & (d <= rules.share_max_distance_m))
    label = np.where(name.isna(), "", name.to_numpy(dtype=object))

    grades.rule(count >= 1, MEETS, sentences("{c} standardized clinic(s) with a qualified doctor in the village",
                                             c=count))
    grades.rule(centre & rules.exempt_health_centre_host, MEETS,
                "hosts the township health centre, so needs no village clinic of its own")
    grades.rule(~geometry.usable(inputs.origins), NO_DATA, "village has neither a boundary nor a seat")
    grades.rule(unknown, NO_DATA, "the village clinic's standardization or doctors are not recorded; "
                                  "record them in the clinics layer")
    grades.rule(shares, MEETS, sentences("population {p:,.0f} below {m:,.0f} shares {c}, {d:,.0f} m away "
                                         "(limit {s:,.0f} m)", p=population, m=np.full(n, rules.share_max_population),
                                         c=label, d=d, s=np.full(n, rules.share_max_distance_m)))
    grades.rule(weak, FAILS, sentences("the village clinic is not standardized or has fewer than {k} qualified "
                                       "doctor(s); nearest qualifying clinic {d}", k=np.full(n, rules.min_doctors),
                                       d=_distance_text(d, label)))
    grades.rule(np.ones(n, dtype=bool), FAILS, sentences("no standardized clinic in the village; nearest {d}",
                                                         d=_distance_text(d, label)))
    return grades.frame("clinic", index, clinic_count=count, clinic_nearest_m=d, clinic_nearest_name=name.to_numpy())


def _distance_text(distance: np.ndarray, names: np.ndarray) -> Texts:
    return Texts(lambda d, name: "none in the layer" if np.isnan(d) else f"{name} at {d:,.0f} m", distance, names)

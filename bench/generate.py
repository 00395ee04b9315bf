"""A seeded generator of a year of client events in the core vocabulary.

One client population of ``clients`` job seekers and client companies with
the providers that serve them, over one calendar year (2018 by default):

- ``enrolled`` with ``client_kind``, ``risk_class`` (3 % missing), ``region``,
  ``unemployed_months``, ``education``; 1 % enrol twice with the same provider
  (the first counts), 1 % move to a second provider, 0.3 % never enrol;
- guidance sessions, plans, interviews;
- ``survey_answered`` with five answers on a 1-4 scale (a few with four, a
  few empty; 8 % answer twice), ``survey_declined``;
- ``employment_started`` with ``employment_id`` (3 % without), ``fte``,
  ``employer_id``, ``employer_kind``, ``cross_border``, ``evidence_ref``;
  ``employment_ended`` for 45 % of them: early (before 3 months), on the
  3-month mark exactly, the day before it, on the start day, or later;
  ``evidence_provided`` for some unproven starts;
- ``training_referred`` with ``training``; ``recruitment_made`` with decimal
  ``fte_years`` (some dated before enrolment, a few without a value);
  ``recruitment_probable``, ``company_founded``;
- monthly ``metric_observed`` revenue of client companies;
- per provider: ``milestone_reached`` (``contract_started``,
  ``group_events_delivered``, sometimes twice); ``vacancy_reported`` (no client);
- 17 % of events are recorded later than they occurred (some after the
  year's end), 0.15 % are voided by an ``event_voided`` recorded later.

Every draw comes from one ``numpy`` generator seeded with ``seed``: the same
arguments always give the same table.  Written as Parquet (typed columns)
and CSV (text, lists as ``4;4;3;4;4``)::

    python -m bench.generate --clients 300000 --out bench/.data/w1-300000
"""

from __future__ import annotations

import argparse
import datetime as dt
import time
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa

EPOCH = dt.date(1970, 1, 1)
DECIMAL = pl.Decimal(38, 10)
REGIONS = ["uusimaa", "varsinais-suomi", "satakunta", "kanta-hame", "pirkanmaa", "paijat-hame",
           "kymenlaakso", "etela-karjala", "etela-savo", "pohjois-savo", "pohjois-karjala",
           "keski-suomi", "etela-pohjanmaa", "pohjanmaa", "keski-pohjanmaa", "pohjois-pohjanmaa",
           "kainuu", "lappi", "ahvenanmaa"]
TRAININGS = ["recruitment_training", "welding", "language", "it_skills", "logistics"]
FTE_YEARS = ["0.1", "0.15", "0.2", "0.25", "0.3", "0.5", "0.75", "1", "0.05"]
EMPLOYER_KINDS = ["growth_company", "sme", "large_company", "public_sector"]

# file columns after the core ones, with their Parquet dtypes
ATTRIBUTES: dict[str, pl.DataType] = {
    "client_kind": pl.String(), "risk_class": pl.String(), "region": pl.String(),
    "unemployed_months": pl.Int64(), "education": pl.String(), "employment_id": pl.String(),
    "fte": DECIMAL, "employer_id": pl.String(), "employer_kind": pl.String(),
    "cross_border": pl.Boolean(), "evidence_ref": pl.String(), "fte_years": DECIMAL,
    "training": pl.String(), "answers": pl.List(pl.Int64()), "metric": pl.String(),
    "value": DECIMAL, "milestone": pl.String(), "for_event": pl.String(),
    "voids": pl.String(), "reason": pl.String(),
}
CORE: dict[str, pl.DataType] = {
    "event_id": pl.String(), "type": pl.String(), "provider_id": pl.String(),
    "client_id": pl.String(), "occurred_on": pl.Date(), "recorded_at": pl.Date(),
}


def default_providers(clients: int) -> int:
    """About one provider per 6 000 clients, between 2 and 60."""
    return int(np.clip(round(clients / 6000), 2, 60))


def _day(d: dt.date) -> int:
    return (d - EPOCH).days


class _Builder:
    """Collects event blocks as column arrays; ``_c`` is the client index (-1: none)."""

    def __init__(self) -> None:
        self.blocks: list[pl.DataFrame] = []

    def add(self, kind: str, client: np.ndarray, day: np.ndarray, provider: np.ndarray,
            **attrs: object) -> None:
        n = len(client)
        if n == 0:
            return
        cols: dict[str, object] = {
            "type": pl.Series([kind]).new_from_index(0, n),
            "_c": client.astype(np.int64), "_day": day.astype(np.int64),
            "_p": provider.astype(np.int64)}
        cols.update(attrs)
        self.blocks.append(pl.DataFrame(cols))


def _counts(rng: np.random.Generator, n: int, probs: list[float]) -> np.ndarray:
    return rng.choice(len(probs), size=n, p=np.array(probs) / sum(probs))


def _pick(rng: np.random.Generator, values: list[str], n: int,
          probs: list[float] | None = None) -> pl.Series:
    p = None if probs is None else np.array(probs) / sum(probs)
    idx = rng.choice(len(values), size=n, p=p)
    return pl.Series(values, dtype=pl.String).gather(idx)


def generate(clients: int, *, seed: int = 2018, year: int = 2018,
             providers: int | None = None) -> pl.DataFrame:
    """The events table (Parquet dtypes; ``answers`` a list) of one population."""
    rng = np.random.default_rng(seed)
    n = clients
    n_prov = providers or default_providers(n)
    first, last = _day(dt.date(year, 1, 1)), _day(dt.date(year, 12, 31))
    b = _Builder()

    # ---------------------------------------------------------------- clients
    weights = 1.0 / np.arange(1, n_prov + 1) ** 0.6
    prov = rng.choice(n_prov, size=n, p=weights / weights.sum())
    # enrolments over the year, more of them early (the programme's intake)
    enrol = first + np.floor(rng.beta(1.0, 1.8, n) * 365).astype(np.int64)
    moves = rng.random(n) < 0.01
    prov2 = np.where(moves, (prov + 1 + rng.integers(0, max(n_prov - 1, 1), n)) % n_prov, prov)
    moved_on = enrol + rng.integers(40, 200, n)
    cl = np.arange(n)

    def provider_at(c: np.ndarray, day: np.ndarray) -> np.ndarray:
        return np.where(moves[c] & (day >= moved_on[c]), prov2[c], prov[c])

    enrolled = rng.random(n) >= 0.003
    c = cl[enrolled]
    kind = _pick(rng, ["person", "company"], len(c), [0.8, 0.2])
    b.add("enrolled", c, enrol[c], prov[c],
          client_kind=kind,
          risk_class=_pick(rng, ["high", "medium", "low", ""], len(c), [0.3, 0.4, 0.27, 0.03]),
          region=_pick(rng, REGIONS, len(c)),
          unemployed_months=rng.geometric(0.12, len(c)) - 1,
          education=_pick(rng, ["basic", "vocational", "higher"], len(c), [0.3, 0.45, 0.25]))
    company = np.zeros(n, dtype=bool)
    company[c] = (kind == "company").to_numpy()
    # re-enrolment with the same provider (the first enrolment counts)
    c = cl[enrolled & (rng.random(n) < 0.01)]
    b.add("enrolled", c, enrol[c] + rng.integers(0, 100, len(c)), prov[c],
          client_kind=_pick(rng, ["person", "company"], len(c), [0.8, 0.2]),
          risk_class=_pick(rng, ["high", "medium", "low"], len(c)),
          region=_pick(rng, REGIONS, len(c)))
    # a move to a second provider: enrolled there too
    c = cl[moves]
    b.add("enrolled", c, moved_on[c], prov2[c],
          client_kind=_pick(rng, ["person", "company"], len(c), [0.8, 0.2]),
          risk_class=_pick(rng, ["high", "medium", "low", ""], len(c), [0.3, 0.4, 0.27, 0.03]),
          region=_pick(rng, REGIONS, len(c)))

    def repeated(probs: list[float]) -> np.ndarray:
        return np.repeat(cl, _counts(rng, n, probs))

    def later(c: np.ndarray, lo: int, hi: int) -> np.ndarray:
        return enrol[c] + rng.integers(lo, hi, len(c))

    # ---------------------------------------------------------------- services
    for kind_, probs, lo, hi in (("guidance_completed", [0.15, 0.25, 0.25, 0.2, 0.15], 3, 150),
                                 ("plan_completed", [0.5, 0.45, 0.05], 15, 150),
                                 ("interview_completed", [0.2, 0.25, 0.3, 0.25], 1, 90)):
        c = repeated(probs)
        d = later(c, lo, hi)
        b.add(kind_, c, d, provider_at(c, d))

    # surveys: five answers 1-4 (some four, a few empty); 8 % answer twice
    c = repeated([0.38, 0.57, 0.05])
    d = later(c, 20, 160)
    items = np.where(rng.random(len(c)) < 0.03, 4, 5)
    items = np.where(rng.random(len(c)) < 0.01, 0, items)
    flat = rng.choice([1, 2, 3, 4], size=int(items.sum()), p=[0.06, 0.14, 0.35, 0.45])
    offsets = np.concatenate([[0], np.cumsum(items)])
    lists = pa.ListArray.from_arrays(pa.array(offsets, pa.int32()), pa.array(flat, pa.int64()))
    answers = pl.Series("answers", lists).set(pl.Series(items == 0), None)
    b.add("survey_answered", c, d, provider_at(c, d), answers=answers)
    asked = np.zeros(n, dtype=bool)
    asked[c] = True
    c = cl[~asked & (rng.random(n) < 0.12)]
    d = later(c, 20, 120)
    b.add("survey_declined", c, d, provider_at(c, d))

    # ---------------------------------------------------------------- employment
    c = repeated([0.33, 0.5, 0.14, 0.03])
    start = later(c, 5, 300)
    nth = pl.DataFrame({"c": c}).select(pl.int_range(pl.len()).over("c")).to_series().to_numpy()
    has_id = rng.random(len(c)) >= 0.03
    emp_id = pl.Series(np.char.add(np.char.add("J", np.char.zfill(c.astype(str), 7)),
                                   nth.astype(str))).set(pl.Series(~has_id), None)
    proven = rng.random(len(c)) < 0.75
    emp = pl.DataFrame({"_c": c, "_day": start, "_p": provider_at(c, start),
                        "employment_id": emp_id, "_proven": proven})
    emp = emp.with_columns(
        pl.lit("employment_started").alias("type"),
        pl.Series(rng.choice(["0.5", "0.8", "1"], len(c), p=[0.2, 0.2, 0.6])).alias("fte"),
        pl.concat_str(pl.lit("Y"), pl.Series(rng.integers(1, 50_000, len(c))).cast(pl.String)
                      .str.zfill(6)).alias("employer_id"),
        _pick(rng, EMPLOYER_KINDS, len(c), [0.2, 0.45, 0.2, 0.15]).alias("employer_kind"),
        pl.Series(rng.random(len(c)) < 0.03).alias("cross_border"),
        pl.when(pl.col("_proven")).then(pl.concat_str(
            pl.lit("TS-"), pl.coalesce("employment_id", pl.lit("x")), pl.lit("-"),
            pl.col("_c").cast(pl.String)))
        .alias("evidence_ref"),
        pl.Series(np.arange(len(c))).alias("_emp"),
    )
    b.blocks.append(emp.drop("_proven"))
    # ends: early, on the 3-month mark, the day before, the start day, later
    ends = emp.filter(pl.Series(rng.random(len(c)) < 0.45))
    m = ends.height
    how = rng.choice(5, size=m, p=[0.44, 0.05, 0.05, 0.03, 0.43])
    start_date = pl.col("_day").cast(pl.Int32).cast(pl.Date)
    mark = start_date.dt.offset_by("3mo").cast(pl.Int32).cast(pl.Int64)
    ends = ends.with_columns(pl.Series("_how", how), pl.Series("_early", rng.integers(1, 89, m)),
                             pl.Series("_late", rng.integers(1, 300, m)))
    ends = ends.select(
        pl.lit("employment_ended").alias("type"), "_c", "_p", "employment_id",
        pl.when(pl.col("_how") == 0).then(pl.col("_day") + pl.col("_early"))
        .when(pl.col("_how") == 1).then(mark)
        .when(pl.col("_how") == 2).then(mark - 1)
        .when(pl.col("_how") == 3).then(pl.col("_day"))
        .otherwise(mark + pl.col("_late")).alias("_day"))
    b.blocks.append(ends)
    # proof provided later for 40 % of the unproven starts
    proofs = emp.filter(~pl.col("_proven") & pl.Series(rng.random(len(c)) < 0.4))
    proofs = proofs.select(
        pl.lit("evidence_provided").alias("type"), "_c", "_p",
        (pl.col("_day") + pl.Series(rng.integers(0, 60, proofs.height))).alias("_day"),
        pl.col("_emp").alias("_for_emp"),
        pl.concat_str(pl.lit("TS-late-"), pl.col("_c").cast(pl.String)).alias("evidence_ref"))
    b.blocks.append(proofs)

    # ---------------------------------------------------------------- training, recruitment
    c = repeated([0.5, 0.45, 0.05])
    d = later(c, 5, 150)
    b.add("training_referred", c, d, provider_at(c, d),
          training=_pick(rng, TRAININGS, len(c), [0.4, 0.15, 0.2, 0.15, 0.1]))
    c = repeated([0.42, 0.3, 0.18, 0.1])
    d = later(c, -30, 150)
    fte = _pick(rng, FTE_YEARS, len(c), [0.15, 0.1, 0.15, 0.2, 0.1, 0.12, 0.08, 0.07, 0.03])
    fte = fte.set(pl.Series(rng.random(len(c)) < 0.02), None)
    b.add("recruitment_made", c, d, provider_at(c, np.maximum(d, enrol[c])), fte_years=fte)
    for kind_, p in (("recruitment_probable", 0.1), ("company_founded", 0.05)):
        c = cl[rng.random(n) < p]
        d = later(c, 10, 200)
        b.add(kind_, c, d, provider_at(c, d))

    # ---------------------------------------------------------------- company revenue, monthly
    k = np.where(company, (last - enrol) // 30 + 2, 0)
    c = np.repeat(cl, k)
    month = pl.DataFrame({"c": c}).select(pl.int_range(pl.len()).over("c")).to_series()
    d = enrol[c] - 30 + month.to_numpy() * 30
    b.add("metric_observed", c, d, provider_at(c, np.maximum(d, enrol[c])),
          metric=pl.Series(["revenue"]).new_from_index(0, len(c)),
          value=pl.Series(rng.integers(20_000, 400_000, len(c))).cast(pl.String))

    # ---------------------------------------------------------------- contract-level facts
    rows: list[tuple[str, int, int, str | None]] = []
    for p in range(n_prov):
        rows.append(("milestone_reached", p, first + 1 + int(rng.integers(0, 20)),
                     "contract_started"))
        if rng.random() < 0.7:
            rows.append(("milestone_reached", p, first + int(rng.integers(60, 360)),
                         "group_events_delivered"))
            if rng.random() < 0.2:
                rows.append(("milestone_reached", p, first + int(rng.integers(60, 360)),
                             "group_events_delivered"))
    # vacancies the providers report to the TE office: about one per two clients
    v = rng.choice(n_prov, size=n // 2, p=weights / weights.sum())
    b.add("vacancy_reported", np.full(len(v), -1), first + rng.integers(0, 365, len(v)), v)
    b.blocks.append(pl.DataFrame({
        "type": [r[0] for r in rows], "_c": [-1] * len(rows), "_day": [r[2] for r in rows],
        "_p": [r[1] for r in rows], "milestone": [r[3] for r in rows]},
        schema_overrides={"_c": pl.Int64, "_day": pl.Int64, "_p": pl.Int64}))

    return _finish(b, rng, first, last)


def _finish(b: _Builder, rng: np.random.Generator, first: int, last: int) -> pl.DataFrame:
    df = pl.concat(b.blocks, how="diagonal_relaxed")
    df = df.filter(pl.col("_day").is_between(first, last))
    df = df.with_columns(pl.int_range(pl.len()).alias("_rid"))
    h = df.height
    lag = np.where(rng.random(h) < 0.15, rng.integers(1, 30, h), 0)
    lag = np.where(rng.random(h) < 0.03, rng.integers(30, 90, h), lag)
    df = df.with_columns((pl.col("_day") + pl.Series(lag)).alias("_rec"))
    # voids: 0.15 % of client events, recorded 1-45 days after the event they remove
    target = df.filter((pl.col("_c") >= 0) & pl.Series(rng.random(h) < 0.0015))
    voids = target.select(
        pl.lit("event_voided").alias("type"), "_c", "_p", "_day",
        (pl.col("_rec") + pl.Series(rng.integers(1, 45, target.height))).alias("_rec"),
        pl.col("_rid").alias("_voids_rid"),
        pl.lit("entered by mistake").alias("reason"))
    df = pl.concat([df, voids], how="diagonal_relaxed")
    # ids in the order the buyer's system recorded the events
    order = df.select(pl.arg_sort_by("_rec", "_day", pl.Series(rng.random(df.height))))
    df = df[order.to_series()]
    df = df.with_columns(pl.concat_str(pl.lit("E"), pl.int_range(1, pl.len() + 1)
                                       .cast(pl.String).str.zfill(8)).alias("event_id"))
    ids = df.select(pl.col("_rid"), pl.col("event_id").alias("_target_id")).drop_nulls("_rid")
    starts = df.filter(pl.col("type") == "employment_started").select(
        pl.col("_emp").alias("_for_emp"), pl.col("event_id").alias("for_event"))
    df = df.join(starts, on="_for_emp", how="left", maintain_order="left").join(
        ids.rename({"_rid": "_voids_rid", "_target_id": "voids"}), on="_voids_rid", how="left",
        maintain_order="left")
    date = pl.col("_day").cast(pl.Int32).cast(pl.Date)
    out = df.select(
        "event_id", "type",
        pl.concat_str(pl.lit("P"), pl.col("_p").cast(pl.String).str.zfill(3)).alias("provider_id"),
        pl.when(pl.col("_c") >= 0).then(pl.concat_str(
            pl.lit("C"), pl.col("_c").cast(pl.String).str.zfill(7))).alias("client_id"),
        date.alias("occurred_on"),
        pl.when(pl.col("_rec") != pl.col("_day"))
        .then(pl.col("_rec").cast(pl.Int32).cast(pl.Date)).alias("recorded_at"),
        *[(pl.col(a) if a in df.columns else pl.lit(None)).alias(a) for a in ATTRIBUTES],
    )
    return out.with_columns(
        *[pl.col(a).cast(t) for a, t in ATTRIBUTES.items() if a != "risk_class"],
        pl.col("risk_class").cast(pl.String).replace("", None),
    )


def to_csv_frame(df: pl.DataFrame) -> pl.DataFrame:
    """The table as CSV text: lists joined with ``;``, decimals without trailing zeros."""
    def short(col: str) -> pl.Expr:
        text = pl.col(col).cast(pl.String)
        return text.str.replace(r"(\.\d*?[1-9])0+$", "${1}").str.replace(r"\.0+$", "")

    return df.with_columns(
        pl.col("answers").cast(pl.List(pl.String)).list.join(";").alias("answers"),
        *[short(c).alias(c) for c, t in ATTRIBUTES.items() if t == DECIMAL],
    )


SHAPES = ("typed", "text", "unread", "held", "wide")
WIDE = 40


def reshape(df: pl.DataFrame, shape: str, seed: int = 2018) -> pl.DataFrame:
    """The population as data the benchmark was not tuned on (``SHAPES``):

    - ``typed``: as generated (typed Parquet columns);
    - ``text``: every attribute column as text, as many exports are (lists
      as ``4;4;3;4;4``, decimals as written);
    - ``unread``: as many events again of a type no scheme reads
      (``contact_logged``, with a client and a provider), so half are unread;
    - ``held``: a quarter of the enrolments without ``risk_class``, so their
      placements are held;
    - ``wide``: 40 more attribute columns (``extra_01`` …) no scheme reads.
    """
    rng = np.random.default_rng(seed + 1)
    if shape == "typed":
        return df
    if shape == "text":
        return to_csv_frame(df).with_columns(pl.col(a).cast(pl.String) for a in ATTRIBUTES)
    if shape == "unread":
        n = df.height
        pick = rng.integers(0, n, n)
        extra = df.select("provider_id", "client_id", "occurred_on")[pick].with_columns(
            pl.lit("contact_logged").alias("type"),
            pl.concat_str(pl.lit("E"), pl.int_range(n + 1, 2 * n + 1).cast(pl.String)
                          .str.zfill(8)).alias("event_id"))
        return pl.concat([df, extra], how="diagonal_relaxed").select(df.columns)
    if shape == "held":
        drop = (pl.col("type") == "enrolled") & pl.Series(rng.random(df.height) < 0.25)
        return df.with_columns(pl.when(drop).then(None).otherwise(pl.col("risk_class"))
                               .alias("risk_class"))
    if shape == "wide":
        h = df.height
        return df.with_columns(
            (pl.Series(f"extra_{i:02d}", rng.integers(0, 1000, h)) if i % 2 else
             pl.concat_str(pl.lit(f"v{i}-"), pl.Series(rng.integers(0, 50, h)).cast(pl.String))
             .alias(f"extra_{i:02d}")) for i in range(1, WIDE + 1))
    raise ValueError(f"unknown shape {shape!r}: one of {', '.join(SHAPES)}")


def write(df: pl.DataFrame, folder: Path) -> tuple[Path, Path]:
    """``events.parquet`` and ``events.csv`` in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    parquet, csv = folder / "events.parquet", folder / "events.csv"
    df.write_parquet(parquet, statistics=True)
    text = df if df.schema["answers"] == pl.String else to_csv_frame(df)  # "text" already is
    text.write_csv(csv, null_value="")
    return parquet, csv


def ensure(folder: Path, clients: int, seed: int = 2018, shape: str = "typed"
           ) -> tuple[Path, Path]:
    """Generate into ``folder`` unless it already holds this population."""
    stamp = folder / "population.txt"
    wanted = f"clients={clients} seed={seed} shape={shape} version=2\n"
    parquet, csv = folder / "events.parquet", folder / "events.csv"
    if stamp.exists() and stamp.read_text() == wanted and parquet.exists() and csv.exists():
        return parquet, csv
    paths = write(reshape(generate(clients, seed=seed), shape, seed), folder)
    stamp.write_text(wanted)
    return paths


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clients", type=int, default=300_000)
    ap.add_argument("--seed", type=int, default=2018)
    ap.add_argument("--shape", choices=SHAPES, default="typed",
                    help="data the benchmark was not tuned on (see reshape)")
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args()
    t = time.perf_counter()
    df = reshape(generate(args.clients, seed=args.seed), args.shape, args.seed)
    parquet, csv = write(df, args.out)
    counts = df.group_by("type").len().sort("len", descending=True)
    print(counts)
    print(f"{df.height} events for {args.clients} clients in {time.perf_counter() - t:.1f} s: "
          f"{parquet}, {csv}")


if __name__ == "__main__":
    main()

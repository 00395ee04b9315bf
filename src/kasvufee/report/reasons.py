"""The message catalogue of reasons: why an entry was reversed or a candidate
held, in Finnish.

The ledger stores each reason in English (the language of the engine, the
explanations and the JSON outputs); a Finnish statement shows it in Finnish.
Each catalogue entry is the English form, its parts as groups, and the
Finnish form with the same parts; ISO dates among the parts are written the
Finnish way (``1.7.2018``).  A reason of no form here (a scheme's own text,
such as a void's reason) is shown as it was recorded.

A part may be named for how it is carried over: ``text…`` is free text
written by a person (a validation's finding and evidence, a dispute's claim
and decision) and is kept exactly as written, dates included; ``num…`` is a
decimal amount or rate, written with a decimal comma and grouped thousands
(``14 800,00``, a no-break space as the statement's amounts have it);
``basis`` is a recovery's basis (``lower`` → ``alaraja``, ``point`` →
``piste-estimaatti``); ``lengths`` is a window's lengths (see ``_durations``).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Final

_ISO = re.compile(r"\d{4}-\d{2}-\d{2}")

CATALOGUE: Final[tuple[tuple[re.Pattern[str], str], ...]] = tuple(
    (re.compile(english), finnish) for english, finnish in (
        (r"no longer supported: event (.+) was voided by (.+?) \((.+)\)",
         "ei enää peruste: tapahtuma {0} mitätöitiin tapahtumalla {1} ({2})"),
        (r"no longer supported: event (.+) was voided by (.+)",
         "ei enää peruste: tapahtuma {0} mitätöitiin tapahtumalla {1}"),
        (r"no longer supported by the events known on (\S+) \(events (.+)\)",
         "ei enää peruste {0} tiedossa olleiden tapahtumien mukaan (tapahtumat {1})"),
        (r"no longer supported: (.+)", "ei enää peruste: {0!r}"),
        (r"pending: the condition becomes true on (\S+), after (\S+)",
         "odottaa: ehto täyttyy {0}, arviointipäivän {1} jälkeen"),
        (r"pending: decided at the checkpoint (\S+), after (\S+)",
         "odottaa: ratkaistaan tarkistuspäivänä {0}, arviointipäivän {1} jälkeen"),
        (r"already earned once for this key by (\S+) on (\S+)",
         "ansaittu jo kerran samalla perusteella: tapahtuma {0} {1}"),
        (r"client not eligible: (.+) is not true \((.*)\)",
         "asiakas ei täytä ehtoa: {0} ei ole tosi ({1})"),
        (r"client not eligible: (.+) is not true", "asiakas ei täytä ehtoa: {0} ei ole tosi"),
        (r"the client has no enrolled event with this provider, so eligibility is unknown",
         "asiakkaalla ei ole tämän palveluntuottajan enrolled-tapahtumaa, joten ehdon "
         "täyttymistä ei tiedetä"),
        (r"client (\S+) is enrolled with another provider, not with (\S+)",
         "asiakas {0} on toisen palveluntuottajan asiakas, ei palveluntuottajan {1}"),
        (r"client (\S+) was enrolled with another provider on (\S+), with (\S+) only on "
         r"(\S+), after the event",
         "asiakas {0} oli toisen palveluntuottajan asiakas {1} alkaen, palveluntuottajan {2} "
         "vasta {3}, tapahtuman jälkeen"),
        (r"client (\S+) is not enrolled with (\S+)",
         "asiakas {0} ei ole palveluntuottajan {1} asiakas"),
        (r"requires (\S+) on or before (\S+); none found",
         "edellyttää tapahtumaa {0} viimeistään {1}; sellaista ei löytynyt"),
        (r"outside the window: (\S+) is not on or after (\S+) (\S+) and on or before (\S+) "
         r"\((?P<lengths>.+)\)",
         "aikaikkunan ulkopuolella: {0} ei ole tapahtuman {1} ({2}) jälkeen tai samana päivänä "
         "eikä viimeistään {3} ({4})"),
        (r"outside the window: (\S+) is not after (\S+) (\S+) and on or before (\S+) "
         r"\((?P<lengths>.+)\)",
         "aikaikkunan ulkopuolella: {0} ei ole tapahtuman {1} ({2}) jälkeen eikä viimeistään "
         "{3} ({4})"),
        (r"no (\S+) event for the client, so the window is unknown",
         "asiakkaalla ei ole tapahtumaa {0}, joten aikaikkunaa ei tiedetä"),
        (r"running (\S+) (\S+) below (\S+)", "kertymä {0} {1} on alle rajan {2}"),
        (r"(\S+) already reached (\S+) earlier", "{0} saavutti rajan {1} jo aiemmin"),
        (r"no proof: the event has no (\S+) and no (\S+) names it",
         "ei näyttöä: tapahtumalla ei ole tietoa {0}, eikä mikään {1}-tapahtuma viittaa siihen"),
        (r"no proof: (\S+) (\S+) is from provider (\S+), not (\S+)",
         "ei näyttöä: {0}-tapahtuma {1} on palveluntuottajan {2}, ei palveluntuottajan {3}"),
        (r"no proof: (\S+) (\S+) is for client (\S+), not (\S+)",
         "ei näyttöä: {0}-tapahtuma {1} koskee asiakasta {2}, ei asiakasta {3}"),
        (r"no proof: (\S+) (\S+) is dated (\S+), before the event",
         "ei näyttöä: {0}-tapahtuma {1} on päivätty {2}, ennen tapahtumaa"),
        (r"no proof: (\S+) (\S+) names (\S+) (\S+), which already proves client (\S+)'s (\S+)",
         "ei näyttöä: {0}-tapahtuma {1} viittaa tietoon {2} {3}, joka on jo asiakkaan {4} "
         "tapahtuman {5} näyttö"),
        (r"no proof: (\S+) (\S+) already proves client (\S+)'s (\S+)",
         "ei näyttöä: {0} {1} on jo asiakkaan {2} tapahtuman {3} näyttö"),
        (r"(\S+) (\S+) outside the scale (\S+) to (\S+)",
         "{0} {1} asteikon {2}\u2013{3} ulkopuolella"),
        (r"ended on (\S+) \((\S+)\) before the (\d+-(?:day|week|month|year)) mark (\S+)",
         "päättyi {0} ({1}) ennen {2} rajaa {3}"),
        (r"ended on (\S+) \((\S+)\) before payment (\d+) of (\d+) due on (\S+) "
         r"\(and so before payments (\d+) to (\d+)\)",
         "päättyi {0} ({1}) ennen {4} erääntyvää maksua {2}/{3} (eikä maksuja {5}\u2013{6})"),
        (r"ended on (\S+) \((\S+)\) before payment (\d+) of (\d+) due on (\S+) "
         r"\(and so before payment (\d+)\)",
         "päättyi {0} ({1}) ennen {4} erääntyvää maksua {2}/{3} (eikä maksua {5})"),
        (r"ended on (\S+) \((\S+)\) before payment (\d+) of (\d+) due on (\S+)",
         "päättyi {0} ({1}) ennen {4} erääntyvää maksua {2}/{3}"),
        (r"repeat: no number of times for (\S+) = (\S+) \(needs one of (.+)\)",
         "toisto: maksukertojen määrää ei ole arvolle {0} = {1} (jokin arvoista {2})"),
        (r"lasts: no duration for (\S+) = (\S+) \(needs one of (.+)\)",
         "kesto: kestoa ei ole arvolle {0} = {1} (jokin arvoista {2})"),
        (r"(\d+) days in work from (\S+) to before (\S+) \(needs (\d+)\), across the spells "
         r"known",
         "{0} päivää työssä {1} alkaen ennen {2} (tarvitaan {3}), tunnetut työjaksot yhteensä"),
        (r"(\S+) (\S+) on (\S+) gives (\S+) (\S+), below (\S+) \(the period from (\S+) to "
         r"before (\S+)\)",
         "{0}-tapahtuma {1} ({2}) antaa tiedolle {3} arvon {4}, alle rajan {5} (jakso {6} "
         "alkaen ennen {7})"),
        (r"(\S+) (\S+) has (\S+) (\S+), not a date, so its period is unknown",
         "{0}-tapahtuman {1} tieto {2} ({3}) ei ole päivämäärä, joten sen jaksoa ei tiedetä"),
        (r"(\S+) (\S+) has no (\S+), so its period is unknown",
         "{0}-tapahtumalla {1} ei ole tietoa {2}, joten sen jaksoa ei tiedetä"),
        (r"(\S+) (\S+) on (\S+) has no (\S+)",
         "{0}-tapahtumalla {1} ({2}) ei ole tietoa {3}"),
        (r"missing (\S+) \(needs one of (.+)\)", "puuttuu {0} (jokin arvoista {1})"),
        (r"(\S+) '(.*)' is not in the table \((.+)\)", "{0} '{1}' ei ole taulukossa ({2})"),
        (r"no answers on the event", "tapahtumalla ei ole vastauksia"),
        (r"no (\S+) on the event", "tapahtumalla ei ole tietoa {0}"),
        (r"(\S+) (\S+) is not a number", "{0} {1} ei ole luku"),
        (r"formula (.+) has a missing input", "kaavan {0} syöte puuttuu"),
        (r"the amount came out negative \((.+)\)", "summa olisi negatiivinen ({0})"),
        (r"once per (\S+): the event has no (\S+)",
         "kerran kohdetta {0} kohden: tapahtumalla ei ole tietoa {1}"),
        (r"the condition (.+) cannot be decided: a metric is missing \((.*)\)",
         "ehtoa {0} ei voida ratkaista: mittarin arvo puuttuu ({1})"),
        (r"condition (.+) not met \((.*)\)", "ehto {0} ei täyty ({1})"),
        (r"condition (.+) not met", "ehto {0} ei täyty"),
        (r"no scheme version in force on (\S+) \(first: (\S+)\)",
         "mikään palkkiomallin versio ei ole voimassa {0} (ensimmäinen: {1})"),
        (r"priced by version (\S+) \(in force on (\S+)\), which has no component (\S+)",
         "hinnoiteltu versiolla {0} (voimassa {1}), jossa ei ole palkkioperustetta {2}"),
        # the assurance cycle (kasvufee.assurance.cycle, kasvufee.store.plan)
        (r"failed validation in draw (\S+) on (\S+): (?P<text1>.+) \(evidence (?P<text2>.+)\)",
         "hylätty tarkastuksessa {1} (otanta {0}): {2} (aineisto {3})"),
        (r"confirmed on (\S+) from draw (\S+): (\d+) of (\d+) sampled entr(?:y|ies) failed "
         r"\((?P<num1>\S+) of (?P<num2>\S+), error rate (?P<num3>\S+)\), extrapolated to the "
         r"(?P<num4>\S+) of the (\d+) unsampled entries: (?P<basis>lower|point) (?P<num5>\S+) "
         r"\(95 % interval (?P<num6>\S+) to (?P<num7>\S+)\)",
         "vahvistettu {0} otannan {1} perusteella: otoksen {3} kirjauksesta {2} hylättiin "
         "tarkastuksessa ({4}\u00a0€ / {5}\u00a0€, virheosuus {6}), yleistetty otoksen "
         "ulkopuolisiin {8} kirjaukseen ({7}\u00a0€): {9} {10}\u00a0€ (95 %:n luottamusväli "
         "{11}\u2013{12}\u00a0€)"),
        (r"(dispute-\d+) accepted on (\S+): (?P<text1>.+) \(the provider's claim: (?P<text2>.*)\)",
         "{0} hyväksytty {1}: {2} (palveluntuottajan perustelu: {3})"),
        (r"no longer due as the validation results stand",
         "ei enää aiheellinen tarkastustulosten mukaan"),
        (r"the amount is now (?P<num1>\S+) as the validation results stand",
         "summa on nyt {0}\u00a0€ tarkastustulosten mukaan"),
    ))
"""English form → Finnish form; ``{0!r}`` marks a part that is itself a reason."""


def finnish_reason(text: str, date: Callable[[dt.date], str]) -> str:
    """``text`` in Finnish by the catalogue, ISO dates written by ``date``; a
    text of no known form unchanged."""
    for pattern, finnish in CATALOGUE:
        m = pattern.fullmatch(text)
        if m is None:
            continue
        names = {n: name for name, n in pattern.groupindex.items()}
        parts = [_part(part, names.get(n, ""), date)
                 for n, part in enumerate(m.groups(), start=1)]
        if "{0!r}" in finnish:
            return finnish.replace("{0!r}", finnish_reason(m.group(1), date))
        return finnish.format(*parts)
    return text


_BASES_FI = {"lower": "alaraja", "point": "piste-estimaatti"}


def _part(part: str, name: str, date: Callable[[dt.date], str]) -> str:
    """One part in Finnish, by its group's name (see the module docstring)."""
    if name.startswith("text"):
        return part
    if name.startswith("num"):
        return _number(part)
    if name == "basis":
        return _BASES_FI.get(part, part)
    return _durations(_dates(part, date), whole=name == "lengths")


def _number(part: str) -> str:
    """A decimal the Finnish way, as a statement writes amounts: a decimal comma
    and the thousands grouped by no-break spaces (``14800.00`` → ``14 800,00``)."""
    m = re.fullmatch(r"(-?)(\d+)\.(\d+)", part)
    if m is None:
        return part
    sign, whole, frac = m.groups()
    groups: list[str] = []
    while len(whole) > 3:
        whole, last = whole[:-3], whole[-3:]
        groups.insert(0, last)
    return sign + "\u00a0".join([whole, *groups]) + "," + frac


_DURATION = re.compile(r"\b(\d+)(-| )(day|week|month|year)s?\b")
_UNITS_FI = {  # (genitive after "N-": the 3-month mark; after "N ": one, many)
    "day": ("päivän", "päivä", "päivää"), "week": ("viikon", "viikko", "viikkoa"),
    "month": ("kuukauden", "kuukausi", "kuukautta"), "year": ("vuoden", "vuosi", "vuotta")}


def _durations(part: str, *, whole: bool = False) -> str:
    """Durations in Finnish: ``3-month`` → ``3 kuukauden``, ``13 weeks`` → ``13
    viikkoa``; and when the part is a window's lengths (``whole``), its ``A or B,
    the earlier`` → ``A tai B, aiempi`` (elsewhere ``or`` may be an expression's)."""
    def one(m: re.Match[str]) -> str:
        genitive, single, many = _UNITS_FI[m.group(3)]
        n = int(m.group(1))
        return f"{n} {genitive if m.group(2) == '-' else single if n == 1 else many}"

    text = _DURATION.sub(one, part)
    return text.replace(", the earlier", ", aiempi").replace(" or ", " tai ") if whole else text


def _dates(part: str, date: Callable[[dt.date], str]) -> str:
    def one(m: re.Match[str]) -> str:
        try:
            return date(dt.date.fromisoformat(m.group()))
        except ValueError:
            return m.group()

    return _ISO.sub(one, part)

"""Find and parse the dates that EU publications state, in any official EU language.

``find_dates`` reads running text ("open until 18 September 2025, 23:59 CET", "du 10 au 18
septembre 2025", "18.9.2025", "2025. szeptember 18.") and returns each date with the span it
was found at and the sentence around it; ``parse_date``/``parse_datetime`` read one value
(a structured field such as ``2025-09-18T23:59:59+02:00`` or Have Your Say's
``2025/09/18 23:59:59``, or a phrase).

Times are Brussels time unless the text names another zone: an EU deadline closes at
23:59:59 Europe/Brussels on its day unless the text gives a time, so ``FoundDate.at`` is that
instant. The Commission writes "CET" all year round for Brussels local time (a June deadline
"22:00 CET" is 22:00 on the Brussels clock), so CET/CEST mean Brussels time here.

Everything is one pass of compiled regular expressions over the text; a 100 kB block with
no digit costs one scan, and there is no per-character Python loop.
"""

from __future__ import annotations

import datetime as _dt
import functools
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo

__all__ = [
    "BRUSSELS",
    "END_OF_DAY",
    "FoundDate",
    "find_dates",
    "format_day",
    "format_span",
    "is_month_name",
    "parse_date",
    "parse_datetime",
    "sentence_at",
]

BRUSSELS = ZoneInfo("Europe/Brussels")
END_OF_DAY = time(23, 59, 59)

# Month names as dates use them: nominative and genitive/locative forms (Polish "września",
# Latvian "septembrī", Greek "Σεπτεμβρίου"), common abbreviations, accentless spellings.
_MONTHS: dict[str, tuple[str, ...]] = {
    "en": ("january jan", "february feb", "march mar", "april apr", "may",
           "june jun", "july jul", "august aug", "september sept sep",
           "october oct", "november nov", "december dec"),
    "fr": ("janvier janv", "février fevrier févr fevr", "mars", "avril avr", "mai",
           "juin", "juillet juil", "août aout", "septembre sept", "octobre oct",
           "novembre nov", "décembre decembre déc dec"),
    "de": ("januar jänner jan", "februar feber feb", "märz maerz mär", "april apr", "mai",
           "juni jun", "juli jul", "august aug", "september sept sep", "oktober okt",
           "november nov", "dezember dez"),
    "es": ("enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto",
           "septiembre setiembre", "octubre", "noviembre", "diciembre"),
    "it": ("gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno", "luglio", "agosto",
           "settembre", "ottobre", "novembre", "dicembre"),
    "pt": ("janeiro", "fevereiro", "março marco", "abril", "maio", "junho", "julho",
           "agosto", "setembro", "outubro", "novembro", "dezembro"),
    "nl": ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus",
           "september", "oktober", "november", "december"),
    "da": ("januar", "februar", "marts", "april", "maj", "juni", "juli", "august",
           "september", "oktober", "november", "december"),
    "sv": ("januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti",
           "september", "oktober", "november", "december"),
    "fi": ("tammikuuta tammikuu", "helmikuuta helmikuu", "maaliskuuta maaliskuu",
           "huhtikuuta huhtikuu", "toukokuuta toukokuu", "kesäkuuta kesäkuu",
           "heinäkuuta heinäkuu", "elokuuta elokuu", "syyskuuta syyskuu",
           "lokakuuta lokakuu", "marraskuuta marraskuu", "joulukuuta joulukuu"),
    "et": ("jaanuar jaanuari", "veebruar veebruari", "märts märtsi", "aprill aprilli",
           "mai", "juuni", "juuli", "august augusti", "september septembri",
           "oktoober oktoobri", "november novembri", "detsember detsembri"),
    "lv": ("janvāris janvārī", "februāris februārī", "marts martā", "aprīlis aprīlī",
           "maijs maijā", "jūnijs jūnijā", "jūlijs jūlijā", "augusts augustā",
           "septembris septembrī", "oktobris oktobrī", "novembris novembrī",
           "decembris decembrī"),
    "lt": ("sausio sausis", "vasario vasaris", "kovo kovas", "balandžio balandis",
           "gegužės gegužė", "birželio birželis", "liepos liepa", "rugpjūčio rugpjūtis",
           "rugsėjo rugsėjis", "spalio spalis", "lapkričio lapkritis", "gruodžio gruodis"),
    "pl": ("stycznia styczeń", "lutego luty", "marca marzec", "kwietnia kwiecień",
           "maja maj", "czerwca czerwiec", "lipca lipiec", "sierpnia sierpień",
           "września wrzesień", "października październik", "listopada listopad",
           "grudnia grudzień"),
    "cs": ("ledna leden", "února únor", "března březen", "dubna duben", "května květen",
           "června červen", "července červenec", "srpna srpen", "září", "října říjen",
           "listopadu listopad", "prosince prosinec"),
    "sk": ("januára január", "februára február", "marca marec", "apríla apríl",
           "mája máj", "júna jún", "júla júl", "augusta august", "septembra september",
           "októbra október", "novembra november", "decembra december"),
    "sl": ("januar januarja", "februar februarja", "marec marca", "april aprila",
           "maj maja", "junij junija", "julij julija", "avgust avgusta",
           "september septembra", "oktober oktobra", "november novembra",
           "december decembra"),
    "hr": ("siječnja siječanj", "veljače veljača", "ožujka ožujak", "travnja travanj",
           "svibnja svibanj", "lipnja lipanj", "srpnja srpanj", "kolovoza kolovoz",
           "rujna rujan", "listopada listopad", "studenoga studenog studeni",
           "prosinca prosinac"),
    "hu": ("január jan", "február febr", "március márc", "április ápr", "május máj",
           "június jún", "július júl", "augusztus aug", "szeptember szept",
           "október okt", "november nov", "december dec"),
    "ro": ("ianuarie ian", "februarie feb", "martie mar", "aprilie apr", "mai", "iunie",
           "iulie", "august aug", "septembrie sept", "octombrie oct", "noiembrie nov",
           "decembrie dec"),
    "bg": ("януари", "февруари", "март", "април", "май", "юни", "юли", "август",
           "септември", "октомври", "ноември", "декември"),
    "el": ("ιανουαρίου ιανουάριος", "φεβρουαρίου φεβρουάριος", "μαρτίου μάρτιος",
           "απριλίου απρίλιος", "μαΐου μάιος", "ιουνίου ιούνιος", "ιουλίου ιούλιος",
           "αυγούστου αύγουστος", "σεπτεμβρίου σεπτέμβριος", "οκτωβρίου οκτώβριος",
           "νοεμβρίου νοέμβριος", "δεκεμβρίου δεκέμβριος"),
    "mt": ("jannar", "frar", "marzu", "april", "mejju", "ġunju gunju", "lulju",
           "awwissu", "settembru", "ottubru", "novembru", "diċembru dicembru"),
    "ga": ("eanáir", "feabhra", "márta", "aibreán", "bealtaine", "meitheamh", "iúil",
           "lúnasa", "meán_fómhair", "deireadh_fómhair", "samhain", "nollaig"),
}  # fmt: skip
# English words that are also month names: without a year, only a capital makes them one
# ("Article 5 may apply" is no date).
_WORDLIKE = frozenset(
    {
        "may",
        "mar",
        "march",
        "jun",
        "jan",
        "dec",
        "oct",
        "nov",
        "sept",
        "aug",
        "mai",
        "maj",
        "maio",
        "mayo",
        "mei",
    }
)
_WEEKDAYS = (
    "monday tuesday wednesday thursday friday saturday sunday mon tue tues wed thu thur thurs"
    " fri sat sun lundi mardi mercredi jeudi vendredi samedi dimanche montag dienstag mittwoch"
    " donnerstag freitag samstag sonntag lunes martes miércoles jueves viernes sábado domingo"
    " lunedì martedì mercoledì giovedì venerdì sabato domenica maandag dinsdag woensdag"
    " donderdag vrijdag zaterdag zondag"
)
_ZONES = {
    "cet": BRUSSELS, "cest": BRUSSELS, "brussels time": BRUSSELS,
    "brussels local time": BRUSSELS, "central european time": BRUSSELS,
    "central european summer time": BRUSSELS, "heure de bruxelles": BRUSSELS,
    "mez": BRUSSELS, "mesz": BRUSSELS, "utc": UTC, "gmt": UTC, "z": UTC,
}  # fmt: skip
_MAX_SENTENCE = 400  # characters either side of a date that its sentence may reach


@dataclass(frozen=True, kw_only=True, slots=True)
class FoundDate:
    """One date in a text. For a range ("10–18 September 2025") ``date`` is its last day
    and ``first`` its first; otherwise both are the same day."""

    date: _dt.date  # (the module, because the field names shadow the types)
    first: _dt.date
    time: _dt.time | None  # the time of day the text gives, if any
    tz: tzinfo  # the zone that time is in: Brussels unless the text says UTC/GMT
    start: int  # span of the match in the searched text
    end: int
    text: str
    sentence: str
    year_given: bool = True  # False when the year was inferred ("from 1 to 5 June")

    @property
    def is_range(self) -> bool:
        return self.first != self.date

    @property
    def at(self) -> datetime:
        """The instant meant: the stated time, else 23:59:59 Brussels on the (last) day."""
        return datetime.combine(self.date, self.time or END_OF_DAY, self.tz)


def find_dates(text: str, language: str = "en", *, today: date | None = None) -> list[FoundDate]:
    """Every date stated in ``text``, in order, with its span and sentence.

    ``language`` decides the month names that differ between languages (Croatian
    "listopad" is October, Czech and Polish November). A date without a year takes the
    year of the nearest full date in the text, else the year that puts it nearest ``today``;
    without ``today`` it is left out. Never raises.
    """
    if not text or not _HAS_DIGIT.search(text):
        return []
    raw = _scan(text, _month_table(language))
    dated = _fill_years(raw, today)
    merged = _merge_ranges(text, dated)
    return [_finish(text, item) for item in merged]


def parse_date(text: str, language: str = "en") -> date | None:
    """The first date in ``text`` (the last day of a range), or None."""
    stripped = text.strip() if text else ""
    iso = _iso_value(stripped)
    if iso is not None:
        return iso.date() if isinstance(iso, datetime) else iso
    found = find_dates(stripped, language)
    return found[0].date if found else None


def parse_datetime(
    text: str, language: str = "en", default_time: time = END_OF_DAY
) -> datetime | None:
    """The first instant ``text`` states, timezone-aware, or None.

    ISO 8601 with an offset keeps it; a naive date-time ("2025/09/18 23:59:59") is Brussels
    time; a day without a time is ``default_time`` Brussels on that day.
    """
    stripped = text.strip() if text else ""
    iso = _iso_value(stripped)
    if isinstance(iso, datetime):
        return iso if iso.tzinfo is not None else iso.replace(tzinfo=BRUSSELS)
    if iso is not None:
        return datetime.combine(iso, default_time, BRUSSELS)
    found = find_dates(stripped, language)
    if not found:
        return None
    first = found[0]
    return datetime.combine(first.date, first.time or default_time, first.tz)


def format_day(day: date) -> str:
    """ "18 September 2025"."""
    return f"{day.day} {day:%B %Y}"


def format_span(old: date, new: date) -> str:
    """ "from 10 to 18 September 2025", "from 30 December 2025 to 13 January 2026"."""
    if (old.year, old.month) == (new.year, new.month):
        return f"from {old.day} to {format_day(new)}"
    if old.year == new.year:
        return f"from {old.day} {old:%B} to {format_day(new)}"
    return f"from {format_day(old)} to {format_day(new)}"


# --- patterns -------------------------------------------------------------------------------

_HAS_DIGIT = re.compile(r"\d")
_DAY = r"(?:3[01]|[12]\d|0?[1-9])"
_SUFFIX = r"(?:st|nd|rd|th|er|re|e|º|ª|\.º)?\.?"
_YEAR = r"(?:19|20)\d\d"
_RANGE_WORD = (
    r"(?:[-–—‒]|to|and|until|till|through|au|et|bis|und|al|y|e|a|tot|en|t/m"
    r"|do|és|–|и|έως|ir|un|ja|och|og|til)"
)
_TZ = (
    r"(?:CEST|CET|Brussels(?:\s+local)?\s+time|Central\s+European(?:\s+Summer)?\s+Time"
    r"|heure\s+de\s+Bruxelles|MESZ|MEZ|UTC|GMT)"
)
_CLOCK = (
    r"(?:(?P<h>[01]?\d|2[0-4])[:.h](?P<mi>[0-5]\d)(?::(?P<s>[0-5]\d))?"
    r"(?:\s*(?P<ap>[ap])\.?\s?m\b\.?)?"
    r"|(?P<h2>1[0-2]|0?[1-9])\s*(?P<ap2>[ap])\.?\s?m\b\.?"
    r"|(?P<mid>midnight|minuit|mitternacht|mezzanotte|medianoche)"
    r"|(?P<noon>noon|midday|midi|mittag))"
)
_TIME_AFTER = re.compile(
    r"\s*(?:,|\bat\b|\bà\b|\bum\b|\bby\b|\bbefore\b|\bup\s+to\b|-|–|\()?\s*"
    + _CLOCK
    + r"(?:\s*\(?\s*(?P<tz>"
    + _TZ
    + r")\b\)?)?",
    re.IGNORECASE,
)
_TIME_BEFORE = re.compile(
    _CLOCK + r"(?:\s*\(?\s*(?P<tz>" + _TZ + r")\b\)?)?\s*,?\s*(?:on|le|am|the|of)?\s*,?\s*$",
    re.IGNORECASE,
)
_WEEKDAY_SET = frozenset(_WEEKDAYS.split())
_CLOCK_HINTS = (
    "midnight",
    "noon",
    "midday",
    "minuit",
    "midi",
    "mitternacht",
    "mittag",
    "mezzanotte",
    "medianoche",
)
_ISO_FULL = re.compile(
    r"(?P<y>\d{4})[-/](?P<m>\d\d)[-/](?P<d>\d\d)"
    r"(?:[T ](?P<h>\d\d):(?P<mi>\d\d)(?::(?P<s>\d\d)(?:\.\d+)?)?\s*(?P<z>Z|[+-]\d\d:?\d\d)?)?"
)


# A month is any word, looked up in the month table afterwards: one dict lookup is far
# cheaper than a regex alternation of some 600 month names tried at every number.
_WORD = r"[^\W\d_]{3,}(?:\s+f[óo]mhair)?\.?(?!\w)"
_FORMS = (
    # 18 September 2025, 10–18 September 2025, 18. September 2025, 18 de septiembre de 2025,
    # 18 ta' Settembru 2025
    rf"(?<![\w.,/-])(?:(?P<d0>{_DAY}){_SUFFIX}\s*{_RANGE_WORD}\s*)?"
    rf"(?P<d>{_DAY}){_SUFFIX}\s*(?:de\s+|del\s+|of\s+|ta['’]\s*)?(?P<m>{_WORD})"
    rf"(?:,?\s*(?:de\s+|del\s+|of\s+)?(?P<y>{_YEAR})(?!\d))?",
    # 2025. szeptember 18. (hu), 2025 m. rugsėjo 18 d. (lt), 2025. gada 18. septembrī (lv)
    rf"(?<![\d./-])(?P<y3>{_YEAR})\.?\s+(?:m\.\s+|gada\s+)?"
    rf"(?:(?P<d4>{_DAY})\.\s+(?P<m4>{_WORD})|(?P<m3>{_WORD})\s+(?P<d5>{_DAY})(?!\d))",
    # 18/09/2025, 18.9.2025, 18. 9. 2025, 18-09-2025 (day first, as everywhere in the EU)
    rf"(?<![\d./-])(?P<nd>\d{{1,2}})(?:\.\s?(?P<nm1>\d{{1,2}})\.\s?|/(?P<nm2>\d{{1,2}})/"
    rf"|-(?P<nm3>\d{{1,2}})-)(?P<ny>{_YEAR})(?!\d)",
    # 2025-09-18, 2025/09/18 23:59:59, 2025-09-18T23:59:59+02:00
    rf"(?<![\d./-])(?P<iy>{_YEAR})(?P<isep>[-/])(?P<im>[01]?\d)(?P=isep)(?P<id>[0-3]?\d)"
    rf"(?![\d/])(?:[T\s](?P<ih>[0-2]\d):(?P<imi>[0-5]\d)(?::(?P<is>[0-5]\d)(?:\.\d+)?)?"
    rf"(?P<iz>Z|[+-][01]\d:?[0-5]\d)?)?",
)
_DIGIT_FIRST = re.compile("|".join(f"(?:{form})" for form in _FORMS), re.IGNORECASE)
# September 18, 2025; Sept. 18–19, 2025: English order, tried where a month name ends
# right before a number.
_MONTH_FIRST = re.compile(
    rf"(?P<m2>[^\W\d_]{{3,9}}\.?)\s+(?P<d2>{_DAY})(?:st|nd|rd|th)?(?!\d)"
    rf"(?:\s*[-–]\s*(?P<d3>{_DAY})(?:st|nd|rd|th)?(?!\d))?(?:,?\s*(?P<y2>{_YEAR})(?!\d))?"
)
_WORD_BEFORE = re.compile(r"(?<!\w)[^\W\d_]{3,9}\.?\s+$")


def _names(language: str) -> dict[str, int]:
    table = _MONTHS.get(language, ())
    # "_" joins the words of a two-word name (Irish "meán fómhair").
    return {
        name.replace("_", " "): number
        for number, names in enumerate(table, start=1)
        for name in names.split(" ")
        if name
    }


_ENGLISH_MONTHS = _names("en")


def is_month_name(word: str) -> bool:
    """Whether a (lower-case) word names a month in any official EU language."""
    return word in _month_table("en")


@functools.lru_cache(maxsize=32)
def _month_table(language: str) -> dict[str, int]:
    """Every language's month names; a name two languages read differently counts only in
    ``language`` (and in English, the language most EU pages mix in)."""
    merged: dict[str, int] = {}
    clashes: set[str] = set()
    for lang in _MONTHS:
        for name, number in _names(lang).items():
            if merged.setdefault(name, number) != number:
                clashes.add(name)
    for name in clashes:
        del merged[name]
    merged.update(_names("en"))
    merged.update(_names(language))
    return merged


_DIGITS = re.compile(r"\d+")
_EMPTY: dict[str, str | None] = dict.fromkeys(
    ("m", "m2", "y3", "nd", "iy", "d", "d0", "y", "d2", "d3", "y2", "d4", "d5", "m3", "m4")
)


def _scan(text: str, months: dict[str, int]) -> list[_Raw]:
    """Dates at each run of digits: one regex scan for the runs (fast in C), then anchored
    matches there only, so text without digits costs nothing more."""
    found: list[_Raw] = []
    done = 0
    for run in _DIGITS.finditer(text):
        position = run.start()
        if position < done:
            continue
        match = _month_first(text, position) or _DIGIT_FIRST.match(text, position)
        if match is None:
            continue
        raw = _read(match, months)
        if raw is not None:
            found.append(raw)
            done = match.end()
    return found


def _month_first(text: str, position: int) -> re.Match[str] | None:
    if position < 4 or not text[position - 1].isspace():
        return None
    before = _WORD_BEFORE.search(text, max(0, position - 12), position)
    if before is None or before.group().rstrip(". \t\n").lower() not in _ENGLISH_MONTHS:
        return None
    return _MONTH_FIRST.match(text, before.start())


# --- reading matches ------------------------------------------------------------------------


@dataclass(slots=True)
class _Raw:
    day: int
    month: int
    year: int | None
    first_day: int | None
    start: int
    end: int
    clock: time | None = None
    tz: tzinfo = BRUSSELS


def _read(m: re.Match[str], months: dict[str, int]) -> _Raw | None:
    """The date a match states, or None when it is no real date (31 February, "may 5")."""
    groups = {**_EMPTY, **m.groupdict()}
    try:
        if groups["m"] is not None:
            return _named(m, groups["d"], groups["m"], groups["y"], groups["d0"], months)
        if groups["m2"] is not None:
            raw = _named(
                m,
                groups["d3"] or groups["d2"],
                groups["m2"],
                groups["y2"],
                groups["d2"] if groups["d3"] else None,
                _ENGLISH_MONTHS,
            )
            return raw if raw is None or raw.year or groups["m2"][0].isupper() else None
        if groups["y3"] is not None:
            return _named(
                m,
                groups["d4"] or groups["d5"],
                groups["m4"] or groups["m3"],
                groups["y3"],
                None,
                months,
            )
        if groups["nd"] is not None:
            month = groups["nm1"] or groups["nm2"] or groups["nm3"]
            return _numeric(m, int(groups["nd"]), int(month or 0), int(groups["ny"] or 0))
        return _iso(m, groups)
    except (ValueError, OverflowError):
        return None


def _named(
    m: re.Match[str],
    day: str | None,
    month_text: str | None,
    year: str | None,
    first: str | None,
    months: dict[str, int],
) -> _Raw | None:
    if day is None or month_text is None:
        return None
    name = " ".join(month_text.rstrip(".").lower().split())
    number = months.get(name)
    if number is None:
        return None
    if year is None and name in _WORDLIKE and not month_text[0].isupper():
        return None
    raw = _Raw(
        day=int(day),
        month=number,
        year=int(year) if year else None,
        first_day=int(first) if first else None,
        start=m.start(),
        end=m.end(),
    )
    if raw.first_day is not None and raw.first_day >= raw.day:
        raw.first_day = None  # "5 to 5 June" or "30 and 1 June": no range
    if raw.year is not None:
        date(raw.year, raw.month, raw.day)  # raises ValueError for 31 June
    return raw


def _numeric(m: re.Match[str], day: int, month: int, year: int) -> _Raw | None:
    if month > 12 >= day:  # a US-style 09/18/2025 slipped in: the only reading that works
        day, month = month, day
    date(year, month, day)
    return _Raw(day=day, month=month, year=year, first_day=None, start=m.start(), end=m.end())


def _iso(m: re.Match[str], groups: dict[str, str | None]) -> _Raw | None:
    if groups["iy"] is None:
        return None
    year, month, day = int(groups["iy"] or 0), int(groups["im"] or 0), int(groups["id"] or 0)
    date(year, month, day)
    raw = _Raw(day=day, month=month, year=year, first_day=None, start=m.start(), end=m.end())
    if groups["ih"] is not None:
        hour = int(groups["ih"] or 0)
        clock = time(min(hour, 23), int(groups["imi"] or 0), int(groups["is"] or 0))
        raw.clock = END_OF_DAY if hour == 24 else clock
        raw.tz = _offset(groups["iz"]) if groups["iz"] else BRUSSELS
    return raw


def _offset(text: str | None) -> tzinfo:
    if not text or text.upper() == "Z":
        return UTC
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    return timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:4])))


def _fill_years(raws: list[_Raw], today: date | None) -> list[tuple[_Raw, date, bool]]:
    """Each raw date as a real date; a missing year comes from the next dated match, else
    the previous one, else ``today``."""
    out: list[tuple[_Raw, date, bool]] = []
    for index, raw in enumerate(raws):
        year = (
            raw.year
            or _nearby_year(raws, index)
            or (_nearest_year(raw.month, raw.day, today) if today else None)
        )
        if year is None:
            continue
        try:
            out.append((raw, date(year, raw.month, raw.day), raw.year is not None))
        except ValueError:
            continue
    return out


def _nearest_year(month: int, day: int, today: date) -> int:
    """The year that puts a day without one nearest ``today``: "closes on 12 January"
    read in December is next January, "opened on 20 December" read in January last year's."""

    def distance(year: int) -> int:
        try:
            return abs((date(year, month, day) - today).days)
        except ValueError:  # 29 February of a common year
            return 10_000

    return min((today.year - 1, today.year, today.year + 1), key=distance)


def _nearby_year(raws: list[_Raw], index: int) -> int | None:
    later = (raw.year for raw in raws[index + 1 :] if raw.year)
    earlier = (raw.year for raw in reversed(raws[:index]) if raw.year)
    return next(later, None) or next(earlier, None)


_BETWEEN_RANGE = re.compile(
    r"\s*(?:[-–—‒]|to|until|till|through|au|bis|al|tot|do|–|jusqu'au|jusqu’au|bis\s+zum)\s*$",
    re.IGNORECASE,
)


def _merge_ranges(
    text: str, dated: list[tuple[_Raw, date, bool]]
) -> list[tuple[_Raw, date, date, bool]]:
    """Join "13 November 2024 to 11 December 2024" into one range; read in-match ranges."""
    out: list[tuple[_Raw, date, date, bool]] = []
    for raw, day, year_given in dated:
        first = day
        if raw.first_day is not None:
            first = day.replace(day=raw.first_day)
        previous = out[-1] if out else None
        if (
            previous is not None
            and previous[2] < day
            and previous[0].clock is None
            and _BETWEEN_RANGE.match(text[previous[0].end : raw.start])
        ):
            merged = _Raw(
                day=raw.day,
                month=raw.month,
                year=raw.year,
                first_day=None,
                start=previous[0].start,
                end=raw.end,
                clock=raw.clock,
                tz=raw.tz,
            )
            out[-1] = (merged, previous[1], day, year_given)
            continue
        out.append((raw, first, day, year_given))
    return out


def _finish(text: str, merged: tuple[_Raw, date, date, bool]) -> FoundDate:
    raw, first, day, year_given = merged
    start, end, clock, tz = raw.start, raw.end, raw.clock, raw.tz
    start = _weekday_start(text, start)
    if clock is None:
        start, end, clock, tz = _with_time(text, start, end)
    return FoundDate(
        date=day,
        first=first,
        time=clock,
        tz=tz,
        start=start,
        end=end,
        text=text[start:end],
        sentence=sentence_at(text, start, end),
        year_given=year_given,
    )


def _weekday_start(text: str, start: int) -> int:
    """Where a weekday right before the date ("Thursday, 18 September") starts, else start."""
    window = text[max(0, start - 14) : start]
    words = window.replace(",", " ").split()
    if words and words[-1].rstrip(".").lower() in _WEEKDAY_SET:
        return start - len(window) + window.rfind(words[-1])
    return start


def _with_time(text: str, start: int, end: int) -> tuple[int, int, time | None, tzinfo]:
    after = _TIME_AFTER.match(text, end)
    if after is not None:
        clock, tz = _clock(after)
        if clock is not None:
            return start, after.end(), clock, tz
    low = max(0, start - 48)
    window = text[low:start]
    hinted = _HAS_DIGIT.search(window) or any(h in window.lower() for h in _CLOCK_HINTS)
    before = _TIME_BEFORE.search(text, low, start) if hinted else None
    if before is not None:
        clock, tz = _clock(before)
        if clock is not None:
            return before.start(), end, clock, tz
    return start, end, None, BRUSSELS


def _clock(m: re.Match[str]) -> tuple[time | None, tzinfo]:
    tz = _ZONES.get(" ".join((m.group("tz") or "cet").lower().split()), BRUSSELS)
    if m.group("mid"):
        return END_OF_DAY, tz
    if m.group("noon"):
        return time(12), tz
    hour_text = m.group("h") or m.group("h2")
    if hour_text is None:
        return None, tz
    hour, minute = int(hour_text), int(m.group("mi") or 0)
    meridiem = (m.group("ap") or m.group("ap2") or "").lower()
    if meridiem == "p" and hour < 12:
        hour += 12
    elif meridiem == "a" and hour == 12:
        hour = 0
    if hour >= 24 or (hour == 24 and minute == 0):
        return END_OF_DAY, tz
    return time(hour, minute, int(m.group("s") or 0)), tz


_STOPS = (". ", "! ", "? ", "; ", ".\n", "\n", " | ")


def sentence_at(text: str, start: int, end: int) -> str:
    """The sentence (or line, or table cell) holding ``text[start:end]``, on one line."""
    low = max(0, start - _MAX_SENTENCE)
    high = min(len(text), end + _MAX_SENTENCE)
    head = max(
        (
            text.rfind(stop, low, start) + len(stop)
            for stop in _STOPS
            if text.rfind(stop, low, start) >= 0
        ),
        default=low,
    )
    tails = [
        found + len(stop.rstrip()) for stop in _STOPS if (found := text.find(stop, end, high)) >= 0
    ]
    tail = min(tails, default=high)
    return " ".join(text[head:tail].split())


def _iso_value(text: str) -> date | datetime | None:
    """A whole-string ISO 8601 / Have Your Say value, or None when ``text`` is anything else."""
    m = _ISO_FULL.fullmatch(text)
    if m is None:
        return None
    try:
        day = date(int(m["y"]), int(m["m"]), int(m["d"]))
        if m["h"] is None:
            return day
        hour = int(m["h"])
        clock = END_OF_DAY if hour == 24 else time(hour, int(m["mi"]), int(m["s"] or 0))
        zone = _offset(m["z"]) if m["z"] else None
        return datetime.combine(day, clock, zone)
    except ValueError:
        return None

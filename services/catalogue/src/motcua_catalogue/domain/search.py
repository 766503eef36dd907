"""Search planning: from what a citizen typed to PostgreSQL full-text queries, in pure Python.

The plan is tried stage by stage, each only when the previous one found nothing:

1. `exact`   — every word (or a synonym of it) must occur in the name, keywords or field, or
               the words must occur in a row anywhere (documents, legal basis); the last
               word also matches as a prefix ("khai si" finds "khai sinh");
2. `relaxed` — the same without filler words ("thủ tục", "làm sao", "ở đâu", "xin" ...);
3. `typo`    — words unknown to the catalogue's vocabulary are replaced by the known words
               one edit away (deletion, insertion, substitution, transposition: "sihn" → "sinh");
4. `fuzzy`   — trigram word similarity on names and keywords (pg_trgm, indexed), for worse typos;
5. `any`     — at least one word matches, ranked by how much matches.

All text is folded (`domain.text.fold`) on both sides, so the index never sees diacritics.
Queries are rendered as `tsquery` text built only from folded `[a-z0-9]+` tokens, so no
user input reaches the tsquery parser unescaped.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from motcua_catalogue.domain.text import tokens

#: Relative weights of name (A), keywords/synonyms/field (B), documents/legal basis (C), unused (D).
RANK_WEIGHTS = "{0.05, 0.2, 0.5, 1.0}"

#: Conversational filler removed by the `relaxed` stage (folded, longest first).
FILLER_PHRASES: tuple[tuple[str, ...], ...] = tuple(
    sorted(
        (
            tuple(p.split())
            for p in (
                "thu tuc", "lam the nao", "nhu the nao", "the nao", "lam sao", "o dau", "can gi", "can nhung gi",
                "giay to gi", "bao lau", "mat bao lau", "bao nhieu", "bao nhieu tien", "huong dan", "cach", "xin",
                "lam", "muon", "toi", "em", "minh", "can", "gi", "o", "cho", "ve", "voi", "nhe", "a", "oi", "de",
                "phai", "nhung", "cac", "mot", "nao", "khong", "duoc", "the", "sao", "ai", "thi", "va",
            )
        ),
        key=len,
        reverse=True,
    )
)

_CODE_QUERY = re.compile(r"^\d(\.[0-9A-Za-z]*)*\.?$|^\d\.\d{1,6}$")
_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"


@dataclass(frozen=True)
class Term:
    """One typed word: any of `options` matches; as a prefix when `prefix`."""

    options: tuple[str, ...]
    prefix: bool

    def render(self, *, weight: str = "", allow_prefix: bool = True) -> str:
        star = ":*" if self.prefix and allow_prefix else (":" if weight else "")
        parts = [f"{opt}{star}{weight}" for opt in self.options]
        return parts[0] if len(parts) == 1 else "(" + " | ".join(parts) + ")"


@dataclass(frozen=True)
class Unit:
    """A run of typed words and, when they form a known synonym, the other phrases of its group."""

    terms: tuple[Term, ...]
    alternatives: tuple[tuple[str, ...], ...] = ()
    #: Conversational filler ("làm", "thủ tục", "ở đâu"): required to match, but no name bonus hangs on it.
    filler: bool = False

    def render(self, *, weight: str = "", allow_prefix: bool = True, alternatives_weight: str | None = None) -> str:
        typed = " & ".join(t.render(weight=weight, allow_prefix=allow_prefix) for t in self.terms)
        options = [typed if len(self.terms) == 1 else f"({typed})"]
        alternatives_weight = weight if alternatives_weight is None else alternatives_weight
        suffix = f":{alternatives_weight}" if alternatives_weight else ""
        for phrase in self.alternatives:
            rendered = " <-> ".join(f"{tok}{suffix}" for tok in phrase)
            options.append(rendered if len(phrase) == 1 else f"({rendered})")
        return options[0] if len(options) == 1 else "(" + " | ".join(options) + ")"


@dataclass(frozen=True)
class TsQueries:
    """The four tsquery texts the search statement takes: what matches, and three ranking bonuses."""

    match: str
    in_name: str
    name_phrase: str
    whole_words: str
    #: How many words were typed (for the share of the name they cover).
    words: int = 1


@dataclass(frozen=True)
class QueryPlan:
    units: tuple[Unit, ...]

    def queries(self, *, any_unit: bool = False) -> TsQueries:
        """Render the plan; `any_unit` ORs the units instead of requiring all of them."""
        joiner = " | " if any_unit else " & "

        def join(parts: Iterable[str]) -> str:
            return joiner.join(f"({p})" for p in parts)

        typed_all = [t for u in self.units for t in u.terms]
        if any_unit or len(typed_all) == 1:
            match = join(u.render() for u in self.units)
        else:
            # Every word in the name, keywords or field (A, B), or all of them in a row anywhere
            # (documents and legal basis included): words scattered through long document text
            # ("số" in every "Nghị định số ...") match nothing.
            in_fields = join(u.render(weight="AB", alternatives_weight="") for u in self.units)
            match = f"({in_fields}) | ({' <-> '.join(t.render() for t in typed_all)})"
        meaningful = [u for u in self.units if not u.filler] or list(self.units)
        in_name = join(u.render(weight="A") for u in meaningful)
        whole = join(u.render(allow_prefix=False) for u in self.units)
        typed_terms = [t for u in meaningful for t in u.terms]
        phrase = " <-> ".join(t.render(weight="A") for t in typed_terms) if len(typed_terms) > 1 else in_name
        return TsQueries(match=match, in_name=in_name, name_phrase=phrase, whole_words=whole, words=max(1, len(typed_terms)))


class SynonymGroups:
    """Global synonym groups: phrases that mean the same thing to a citizen (gas ↔ LPG ↔ khí dầu mỏ hóa lỏng)."""

    def __init__(self, groups: Iterable[Iterable[str]] = ()) -> None:
        self._groups: list[tuple[tuple[str, ...], ...]] = []
        self._index: dict[tuple[str, ...], int] = {}
        for group in groups:
            phrases = tuple(dict.fromkeys(p for p in (tuple(tokens(term)) for term in group) if p))
            if len(phrases) < 2:
                continue
            number = len(self._groups)
            self._groups.append(phrases)
            for phrase in phrases:
                self._index.setdefault(phrase, number)
        self._longest = max((len(p) for p in self._index), default=0)
        self.words = frozenset(tok for phrase in self._index for tok in phrase)

    @classmethod
    def from_rows(cls, rows: Iterable[tuple[str, str]]) -> SynonymGroups:
        """Build from (group key, term) rows, as stored in the `search_synonyms` table."""
        grouped: dict[str, list[str]] = {}
        for key, term in rows:
            grouped.setdefault(key, []).append(term)
        return cls(grouped.values())

    def __len__(self) -> int:
        return len(self._groups)

    def match_at(self, toks: Sequence[str], start: int) -> tuple[int, tuple[tuple[str, ...], ...]] | None:
        """The longest phrase starting at `start`: (its length, the other phrases of its group)."""
        for length in range(min(self._longest, len(toks) - start), 0, -1):
            phrase = tuple(toks[start : start + length])
            group = self._index.get(phrase)
            if group is not None:
                return length, tuple(p for p in self._groups[group] if p != phrase)
        return None


class Vocabulary:
    """Words the published catalogue contains, with how many procedures use each (for typo correction)."""

    def __init__(self, frequencies: Mapping[str, int]) -> None:
        self.frequencies = dict(frequencies)
        self._sorted = sorted(self.frequencies)

    def __contains__(self, word: str) -> bool:
        return word in self.frequencies

    def has_prefix(self, prefix: str) -> bool:
        i = bisect.bisect_left(self._sorted, prefix)
        return i < len(self._sorted) and self._sorted[i].startswith(prefix)

    def corrections(self, word: str, *, limit: int = 3) -> tuple[str, ...]:
        """Known words one edit from `word`, most frequent first.

        Two-letter words only get substitutions ("ki" → "ky"); single letters get nothing.
        """
        if len(word) < 2:
            return ()
        if len(word) == 2:
            found = {a + word[1] for a in _ALPHABET} | {word[0] + b for b in _ALPHABET}
            found = {w for w in found if w in self.frequencies and w != word}
            return tuple(sorted(found, key=lambda w: (_slip_cost(word, w), -self.frequencies[w], w))[:limit])
        # A doubled key ("laa", "thuooc") is the commonest slip: when undoing it gives a word, that is the fix.
        for i in range(len(word) - 1):
            if word[i] == word[i + 1] and (single := word[:i] + word[i + 1 :]) in self.frequencies:
                return (single,)
        found = {w for w in _edits1(word) if w in self.frequencies and w != word}
        return tuple(sorted(found, key=lambda w: (_slip_cost(word, w), -self.frequencies[w], w))[:limit])


_KEYBOARD_ROWS = ("1234567890", "qwertyuiop", "asdfghjkl", "zxcvbnm")
_KEY_POSITION = {key: (row, col) for row, keys in enumerate(_KEYBOARD_ROWS) for col, key in enumerate(keys)}


def _neighbours(a: str, b: str) -> bool:
    """Whether keys `a` and `b` touch on a QWERTY keyboard (the usual slip: "hom" for "hon")."""
    if a not in _KEY_POSITION or b not in _KEY_POSITION:
        return False
    (ra, ca), (rb, cb) = _KEY_POSITION[a], _KEY_POSITION[b]
    return abs(ra - rb) <= 1 and abs(ca - cb) <= 1


def _slip_cost(typed: str, candidate: str) -> float:
    """How likely `candidate` was meant when `typed` came out: lower is likelier."""
    if len(candidate) == len(typed):
        diff = [i for i, (a, b) in enumerate(zip(typed, candidate, strict=True)) if a != b]
        if len(diff) == 1:
            i = diff[0]
            return 0.5 if _neighbours(typed[i], candidate[i]) else 1.0
        return 0.6  # two letters swapped
    return 0.8 if len(candidate) < len(typed) else 0.9  # a letter too many / missing


def _edits1(word: str) -> set[str]:
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    deletes = [a + b[1:] for a, b in splits if b]
    transposes = [a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1]
    replaces = [a + c + b[1:] for a, b in splits if b for c in _ALPHABET]
    inserts = [a + c + b for a, b in splits for c in _ALPHABET]
    return set(deletes + transposes + replaces + inserts)


def looks_like_code(query: str) -> str | None:
    """The code prefix to look up when `query` is (the start of) a national procedure code, e.g. "1.000028"."""
    text = query.strip().upper()
    if len(text) >= 3 and "." in text and _CODE_QUERY.match(text):
        return text
    return None


def _typed_term(tok: str, *, last: bool, alone: bool) -> Term:
    # Only the word being typed is completed ("khai s" finds "khai sinh"); the words before it
    # are complete syllables, and as prefixes "so do" would match half the catalogue ("số",
    # "sở", "đổi", "đồ" ...). A lone letter is never a prefix.
    return Term((tok,), last and not (alone and len(tok) < 2))


def plan(toks: Sequence[str], synonyms: SynonymGroups) -> QueryPlan:
    """Group `toks` into units, attaching synonym alternatives (longest phrase first)."""
    units: list[Unit] = []
    i = 0
    while i < len(toks):
        found = synonyms.match_at(toks, i)
        filler = None if found else _filler_at(toks, i)
        length, alternatives = found if found else (filler or 1, ())
        terms = tuple(_typed_term(toks[j], last=j == len(toks) - 1, alone=len(toks) == 1) for j in range(i, i + length))
        units.append(Unit(terms, alternatives, filler=filler is not None))
        i += length
    return QueryPlan(tuple(units))


def _filler_at(toks: Sequence[str], start: int) -> int | None:
    """Length of the filler phrase starting at `start`, if any (longest first)."""
    for phrase in FILLER_PHRASES:
        if tuple(toks[start : start + len(phrase)]) == phrase:
            return len(phrase)
    return None


def without_filler(toks: Sequence[str]) -> list[str]:
    """`toks` without conversational filler; unchanged when nothing else would remain."""
    kept: list[str] = []
    i = 0
    while i < len(toks):
        for phrase in FILLER_PHRASES:
            if tuple(toks[i : i + len(phrase)]) == phrase:
                i += len(phrase)
                break
        else:
            kept.append(toks[i])
            i += 1
    return kept or list(toks)


def corrected(toks: Sequence[str], vocabulary: Vocabulary, synonyms: SynonymGroups) -> list[QueryPlan]:
    """Plans to try, in order, with one-edit corrections; empty when there is nothing to correct.

    Words unknown to the catalogue are replaced by their corrections, all in one plan, with
    synonyms looked up on the corrected words ("bang lia" → "bang lai" → giấy phép lái xe).
    When every word is known but together they matched nothing, a slip may have produced
    another real word ("ket hom": "hôm" is a word): then one plan per word, last word first,
    in which that word also accepts its one-edit neighbours (one slip, so one word at a time).
    """
    fixes: dict[int, tuple[str, ...]] = {}
    for i, tok in enumerate(toks):
        last = i == len(toks) - 1
        known = tok in vocabulary or tok in synonyms.words or (last and vocabulary.has_prefix(tok))
        if not known and (found := vocabulary.corrections(tok)):
            fixes[i] = found
    if fixes:
        return [_corrected_plan(toks, fixes, synonyms)]
    plans: list[QueryPlan] = []
    for i in reversed(range(len(toks))):
        if len(toks[i]) >= 3 and (found := vocabulary.corrections(toks[i])):
            plans.append(_corrected_plan(toks, {i: (toks[i], *found)}, synonyms))
    return plans


def _corrected_plan(toks: Sequence[str], fixes: dict[int, tuple[str, ...]], synonyms: SynonymGroups) -> QueryPlan:
    best = [fixes[i][0] if i in fixes else tok for i, tok in enumerate(toks)]
    for i, options in fixes.items():
        # Prefer a correction that completes a known synonym phrase ("bang lia" → "bang lai", not "bang la").
        for option in options:
            trial = [*best[:i], option, *best[i + 1 :]]
            if any(_covers(synonyms, trial, start, i) for start in range(max(0, i - 5), i + 1)):
                best[i] = option
                break
    units: list[Unit] = []
    position = 0
    for unit in plan(best, synonyms).units:
        terms: list[Term] = []
        for term in unit.terms:
            terms.append(Term(fixes[position], prefix=False) if position in fixes else term)
            position += 1
        units.append(Unit(tuple(terms), unit.alternatives, unit.filler))
    return QueryPlan(tuple(units))


def _covers(synonyms: SynonymGroups, toks: Sequence[str], start: int, position: int) -> bool:
    found = synonyms.match_at(toks, start)
    return found is not None and start <= position < start + found[0]

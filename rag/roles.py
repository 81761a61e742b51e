"""Who did what to whom: does a draft sentence relate its actors as the source does?

Word-level support cannot see a role swap: "The Norwegian delegation led by Brandt" has every
word in "A Canadian delegation led by Brandt sat down with a Norwegian team headed by
Vos". This module reads, in both texts, the actors (capitalised names, "the X
delegation/team/side", "X's delegation") and the relation word between two neighbouring
actors (led by, beat, lost to, told, flew to, won, acquired ...), in active or passive voice,
and who is quoted (X said, said X, according to X).

`conflict(source, sentence)` names a clear contradiction: the source puts the same two actors
the other way round, gives the same deed to someone else, has the leader lead another
group, or gives the words to another speaker. It is conservative on purpose: a relation it
cannot read (a verb it does not know, a clause between the actors, an apposition) is not a
contradiction, and it says nothing when the source states no such relation at all.
This is not a parser: no part-of-speech tagger, no model, only word lists of English news.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from index.text import STOPWORDS, fold

from .question import CALENDAR

# relation classes and the words that express them (active voice; "by" after the verb makes it passive)
_VERBS = {
    "led": "led lead leads leading headed heads heading chaired captained captains "
           "spearheaded helmed fronted",
    "beat": "beat beats beating beaten defeated defeats defeat defeating overcame edged thrashed routed crushed "
            "eliminated ousted knocked outplayed outscored overtook overtaken overtakes surpassed surpasses "
            "outsold outperformed outpolled unseated toppled trounced",
    "won": "won wins win clinched clinches captured lifted retained",
    "told": "told tells informed informs assured briefed urged warned",
    "went to": "went goes travelled traveled travels flew flies arrived arrives visited visits returned",
    "acquired": "acquired acquires bought buys purchased",
    "appointed": "appointed appoints nominated hired sacked fired dismissed",
    "replaced": "replaced replaces succeeded succeeds",
    "endorsed": "endorsed endorses backed",
    "accused": "accused accuses blamed criticised criticized sued",
    "thanked": "thanked thanks praised",
    "hosted": "hosted hosts invited",
}
_RELATION = {w: rel for rel, ws in _VERBS.items() for w in ws.split()}
_LOSE = frozenset("lost lose loses losing fell falls".split())          # "A lost to B" == "B beat A"
_LEADER_NOUNS = frozenset("leader chief chairman chairwoman captain".split())   # ", leader of X"
_GO_PREPS = frozenset("to in at for into toward towards".split())
_SAY = frozenset("said says say stated states added adds announced announces claimed claims confirmed confirms "
                 "declared declares insisted insists noted notes wrote writes tweeted argued argues explained "
                 "stressed emphasised emphasized acknowledged admitted denied denies remarked commented "
                 "told tells warned".split())
_GROUP = frozenset("delegation delegations team teams side sides negotiators delegates government camp squad club "
                   "forces troops army officials authorities party campaign leadership players lawmakers "
                   "ministry board".split())
_TITLES = frozenset("president presidential minister ministers prime foreign defense defence secretary chancellor "
                    "chief envoy special aide adviser advisor ambassador senator governor mayor coach manager "
                    "captain ceo chairman chairwoman spokesman spokeswoman spokesperson general king queen prince "
                    "pope leader head deputy vice mr mrs ms dr sir lord premier director commissioner judge "
                    "negotiator delegate striker midfielder defender goalkeeper top senior former "
                    "founder executive officer candidate incumbent challenger".split())
_NOT_NAME = STOPWORDS | CALENDAR | frozenset(_RELATION) | _SAY | _LOSE | frozenset(
    "the a an after before despite while although meanwhile however earlier later last this next "
    "yesterday today during since until following".split())
_DETERMINERS = frozenset("the a an its their his her this that these those".split())
_AUX = frozenset("who which was were is are has have had been being be will would also then later reportedly "
                 "eventually finally".split())
_BREAK = frozenset("and but while whereas although though after before when because since where if or that "
                   "than as until".split())
_COORD = ("and", ",", "&", "or", "as well as", "along with", "together with")
_TOKEN = re.compile(r"[^\W\d_]+(?:[-'\u2019][^\W\d_]+)*|\d+(?:[-.,:]\d+)*|[^\w\s]", re.UNICODE)
_HARD_STOP = frozenset(".!?;")


@dataclass(frozen=True)
class Actor:
    key: tuple[str, ...]      # folded name words, titles left out: ("ola", "brandt"); ("norwegian",)
    start: int                # token span in its segment
    end: int
    also: tuple[tuple[str, ...], ...] = ()    # whom it is named by as well: "Korvel's Mira Osei", "Norwegian ... Dahl"

    @property
    def name(self) -> str:
        return " ".join(w.capitalize() for w in self.key)


@dataclass(frozen=True)
class Relation:
    agents: tuple[Actor, ...]
    rel: str
    patients: tuple[Actor, ...]
    loose: bool = False       # the agent may be any actor before the verb: good for support, never a conflict


@dataclass(frozen=True)
class Reading:
    relations: tuple[Relation, ...]
    speakers: tuple[Actor, ...]
    actors: tuple[Actor, ...]


def _tokens(text: str) -> list[str]:
    out = []
    for tok in _TOKEN.findall(text.replace("\u2019", "'")):
        if len(tok) > 2 and tok[-2:].lower() == "'s":      # possessive: "Canada's" -> "Canada", "'s"
            out += [tok[:-2], "'s"]
        else:
            out.append(tok)
    return out


def _capital(tok: str) -> bool:
    return tok[:1].isupper() and fold(tok) not in _NOT_NAME


def _alike(x: str, y: str) -> bool:
    """The same name word, allowing a country for its adjective: Norway ~ Norwegian, Canada ~ Canadian."""
    if x == y:
        return True
    n = 0
    while n < min(len(x), len(y)) and x[n] == y[n]:
        n += 1
    return n >= max(4, min(len(x), len(y)) - 1)


def same(a: Actor, b: Actor) -> bool:
    """One actor named two ways: "Ola Brandt" ~ "Brandt", "Norway" ~ "the Norwegian team"; not North ~ South
    Korea. A name with "of" matches by either part ("Dov Reinholt of Hallam Research" ~ "Reinholt"): when in
    doubt, the same actor, which never makes a conflict."""
    return any(_same_key(x, y) for x in _parts(a.key) for y in _parts(b.key))


def _parts(key: tuple[str, ...]) -> list[tuple[str, ...]]:
    parts, part = [key], []
    for w in key + ("of",):
        if w in ("of", "the"):
            if part and tuple(part) != key:
                parts.append(tuple(part))
            part = []
        else:
            part.append(w)
    return parts


def _same_key(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    if not _alike(a[-1], b[-1]):
        return False
    short, long = sorted((a[:-1], b[:-1]), key=len)
    return all(any(_alike(w, x) for x in long) for w in short)


def _among(actors: tuple[Actor, ...], a: Actor) -> bool:
    return any(same(x, a) for x in actors)


def _near(actors: tuple[Actor, ...], a: Actor) -> bool:
    """`a` is one of `actors`, or speaks for one ("Korvel said" ~ "Korvel's Mira Osei said"): the lenient
    test, for the rules where a match means no conflict."""
    names = [x.key for x in actors] + [k for x in actors for k in x.also]
    return any(same(Actor(k, 0, 0), Actor(m, 0, 0)) for k in names for m in (a.key, *a.also))


def _run_key(run: list[str]) -> tuple[str, ...] | None:
    """The name words of a run of capitalised words: after its last title ("Norwegian President Ingrid
    Dahl" -> ingrid dahl); None when nothing but titles is left."""
    folded = [fold(t) for t in run]
    titles = [i for i, w in enumerate(folded) if w in _TITLES]
    rest = folded[titles[-1] + 1:] if titles else folded
    return tuple(rest) or None


def _affiliation(run: list[str]) -> tuple[tuple[str, ...], ...]:
    """The words before the first title of a run: "Norwegian President Ingrid Dahl" -> (("norwegian",),)."""
    folded = [fold(t) for t in run]
    first = next((i for i, w in enumerate(folded) if w in _TITLES), 0)
    return (tuple(folded[:first]),) if first else ()


def _run_end(toks: list[str], i: int) -> int:
    """End of the name that starts at i: capitalised words, going on over "of (the)" ("Album of the Year")."""
    j = i
    while j < len(toks) and _capital(toks[j]):
        j += 1
        for gap in (("of",), ("of", "the")):
            k = j + len(gap)
            if tuple(t.lower() for t in toks[j:k]) == gap and k < len(toks) and _capital(toks[k]):
                j = k
                break
    return j


def _actors(toks: list[str]) -> list[Actor]:
    """Actor mentions in one segment, in order."""
    out: list[Actor] = []
    i = 0
    while i < len(toks):
        if not _capital(toks[i]):
            if fold(toks[i]) in _GROUP and i + 2 < len(toks) and toks[i + 1].lower() in ("of", "from") \
                    and _capital(toks[i + 2]):      # "the delegation of Canada"
                j = i + 2
                while j < len(toks) and _capital(toks[j]):
                    j += 1
                key = _run_key(toks[i + 2:j])
                if key:
                    out.append(Actor(key, i, j))
                i = j
                continue
            i += 1
            continue
        j = _run_end(toks, i)
        key, end, also = _run_key(toks[i:j]), j, _affiliation(toks[i:j])
        k = j + 1 if j < len(toks) and toks[j] == "'s" else j
        # "Norwegian (negotiating) team", "Canada's delegation": the group, named by the run
        for gap in (0, 1):
            if k + gap < len(toks) and fold(toks[k + gap]) in _GROUP and all(
                    toks[x][:1].islower() and fold(toks[x]) not in _NOT_NAME for x in range(k, k + gap)):
                key = tuple(fold(t) for t in toks[i:j] if fold(t) not in _TITLES) or None
                end = k + gap + 1
                break
        else:
            if k > j:   # "Canada's (top negotiator) Brandt": the possessed one is the actor
                m = k
                while m < len(toks) and m - k < 3 and toks[m][:1].islower() and fold(toks[m]) in _TITLES:
                    m += 1
                if m < len(toks) and _capital(toks[m]):
                    n = m
                    while n < len(toks) and _capital(toks[n]):
                        n += 1
                    owner = _run_key(toks[i:j])
                    key, end = _run_key(toks[m:n]) or key, n
                    also = _affiliation(toks[m:n]) + ((owner,) if owner else ())
        if key:
            out.append(Actor(key, i, end, also))
        i = end
    return out


def _between(toks: list[str], a: Actor, b: Actor) -> list[str]:
    return [fold(t) for t in toks[a.end:b.start]]


def _is_coordination(link: list[str]) -> bool:
    text = " ".join(link).replace(" ,", ",")
    return text in _COORD or text in (", and", ", or")


def _filler(words: list[str], allowed: frozenset) -> bool:
    """Only words that cannot carry another relation: determiners, titles, numbers and scores, `allowed`."""
    return len(words) <= 3 and all(w in _DETERMINERS or w in _TITLES or w in allowed or w[:1].isdigit()
                                   or w.endswith("ly") or "-" in w
                                   for w in words)


def _relation(link: list[str]) -> tuple[str, bool, bool] | None:
    """(relation, reversed, loose) read from the words between two actors, or None when unclear."""
    if not link or any(w in _HARD_STOP or w in _BREAK for w in link if w != "who"):
        return None
    verbs = [i for i, w in enumerate(link) if w in _RELATION or w in _LOSE or
             (w in _LEADER_NOUNS and i + 1 < len(link) and link[i + 1] == "of")]
    if len(verbs) != 1:
        return None
    v = verbs[0]
    before, after, word = link[:v], link[v + 1:], link[v]
    pre = [w for w in before if w not in _AUX and w != "," and not w.endswith("ly")]
    if pre:
        return None
    comma_first = before[:1] == [","] and "who" not in before
    if word in _LOSE:                       # "lost (2-1) to B": B beat A
        if "to" in after or "against" in after:
            cut = after.index("to") if "to" in after else after.index("against")
            if _filler(after[:cut], frozenset()) and _filler(after[cut + 1:], frozenset()):
                return "beat", True, comma_first
        return None
    if word in _LEADER_NOUNS:               # ", leader of the X"
        return ("led", False, False) if _filler(after[1:], frozenset()) else None
    rel = _RELATION[word]
    if "by" in after:                       # passive: "led by", "were beaten 2-1 by"
        cut = after.index("by")
        if _filler(after[:cut], frozenset()) and not any(w in _DETERMINERS for w in after[:cut]) \
                and _filler(after[cut + 1:], frozenset()):
            return rel, True, False
        return None
    if rel == "led" and after[:1] and after[0] in _GO_PREPS:
        rel = "went to"                     # "headed to Bergen"
    if rel == "won" and after[:1] and after[0] in ("against", "over"):
        rel, after = "beat", after[1:]
    preps = _GO_PREPS if rel == "went to" else frozenset()
    if not _filler(after, preps):
        return None
    return rel, False, comma_first


def _coordinated(toks: list[str], actors: list[Actor]) -> list[int]:
    """Group number of each actor: actors joined by "and" (a list "A, B and C" included) share one."""
    groups, g = [0], 0
    links = [_between(toks, a, b) for a, b in zip(actors, actors[1:])]
    joined = [_is_coordination(link) for link in links]
    commas_only = [" ".join(link) == "," for link in links]
    for i, ok in enumerate(joined):
        # a bare comma joins only inside a list that ends in "and"/"or" ("A, B and C"), not an apposition
        if ok and commas_only[i]:
            rest = joined[i + 1:]
            end = next((k for k, j in enumerate(rest) if not j), len(rest))
            ok = any(not c for c in commas_only[i + 1:i + 1 + end])
        g += 0 if ok else 1
        groups.append(g)
    return groups


def read(text: str) -> Reading:
    """The relations between neighbouring actors, and the speakers quoted, in `text`."""
    toks_all = _tokens(text)
    relations: list[Relation] = []
    speakers: list[Actor] = []
    actors: list[Actor] = []
    segment: list[str] = []
    for tok in toks_all + ["."]:
        if tok not in _HARD_STOP:
            segment.append(tok)
            continue
        if segment:
            found = _actors(segment)
            actors += found
            r, s = _read_segment(segment, found)
            relations += r
            speakers += s
        segment = []
    return Reading(tuple(relations), tuple(speakers), tuple(actors))


def _read_segment(toks: list[str], actors: list[Actor]) -> tuple[list[Relation], list[Actor]]:
    groups = _coordinated(toks, actors)
    members = {g: tuple(a for a, h in zip(actors, groups) if h == g) for g in set(groups)}
    found_at: dict[int, tuple[str, bool, bool]] = {}
    for i, (a, b) in enumerate(zip(actors, actors[1:])):
        if groups[i] != groups[i + 1]:
            found = _relation(_between(toks, a, b))
            if found:
                found_at[i] = found
    # "A led B and C led D": is "B and C" the object of one verb or two clauses? Unclear, so loose.
    shared = {groups[i + 1] for i in found_at} & {groups[i] for i in found_at}
    shared = {g for g in shared if len(members[g]) > 1}
    relations = []
    for i, (rel, backwards, loose) in sorted(found_at.items()):
        subject = i
        # "A, who led B, told C": the verb after the relative clause is A's
        while loose and subject > 0 and _between(toks, actors[subject - 1], actors[subject])[:2] in (
                [",", "who"], [",", "which"]):
            subject -= 1
        if subject < i:
            loose = False
        loose = loose or groups[i] in shared or groups[i + 1] in shared
        left = tuple(actors[:i + 1]) if loose else members[groups[subject]]
        right = members[groups[i + 1]]
        agents, patients = (right, left) if backwards else (left, right)
        relations.append(Relation(agents, rel, patients, loose))
    return relations, _speakers(toks, actors)


def _speakers(toks: list[str], actors: list[Actor]) -> list[Actor]:
    """Who is quoted: the actors just before "said"/"told" (back to a comma, quote or clause word),
    or, right after a comma or quote, the actors after it ("..., said X"); and "according to X"."""
    out = []
    low = [fold(t) for t in toks]
    for i, w in enumerate(low):
        if w == "according" and i + 1 < len(low) and low[i + 1] == "to":
            stop = next((k for k in range(i + 2, len(low)) if low[k] in ",;:\"'" or low[k] in _BREAK), len(low))
            out += [a for a in actors if i + 2 <= a.start < stop]
        elif w in _SAY:
            start = i
            while start > 0 and low[start - 1] not in ",;:\"'()" and low[start - 1] not in _BREAK:
                start -= 1
            before = [a for a in actors if start <= a.start and a.end <= i]
            if before:
                out += before
            elif start == i and i > 0 and low[i - 1] == "," and any(low[a.end:a.end + 2] == [",", "who"]
                                                                    for a in actors if a.end < i):
                # "A, who led the talks, said": the speaker is A
                out.append([a for a in actors if a.end < i and low[a.end:a.end + 2] == [",", "who"]][-1])
            elif start == i and w not in ("told", "tells", "warned"):    # '"...," said Vos'
                stop = next((k for k in range(i + 1, len(low)) if low[k] in ",;:\"'" or low[k] in _BREAK), len(low))
                out += [a for a in actors if i < a.start < stop]
    return out


def conflict(source: str, sentence: str) -> str | None:
    """Why `sentence` relates its actors otherwise than `source` does, or None (agrees, or unclear)."""
    draft, src = read(sentence), read(source)
    for r in draft.relations:
        if r.loose:
            continue
        for a in r.agents:
            for b in r.patients:
                if not same(a, b):
                    why = _judge(a, r.rel, b, src.relations, src.actors)
                    if why:
                        return why
    said, says = draft.speakers, src.speakers
    if said and says and not any(_near(says, d) for d in said):
        return f"the cited source gives these words to {says[0].name}, not {said[0].name}"
    return None


def _judge(a: Actor, rel: str, b: Actor, relations: tuple[Relation, ...], actors: tuple[Actor, ...]) -> str | None:
    alike = [r for r in relations if r.rel == rel]
    if any(_among(r.agents, a) and _among(r.patients, b) for r in alike):
        return None
    for r in alike:
        if r.loose:
            continue
        if _among(r.agents, b) and _among(r.patients, a):
            return f"the cited source says {b.name} {rel} {a.name}, not the reverse"
        # another doer of the same deed; not "a led another group": "Oslo's" and "the Norwegian"
        # delegation may be one, and no word list knows it
        if _among(r.patients, b) and not _near(r.agents, a) and _among(actors, a):
            return f"the cited source says {r.agents[0].name} {rel} {b.name}, not {a.name}"
    return None

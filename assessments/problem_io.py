"""A problem with its test cases as one JSON or YAML file (``format: talentsync-problem/1``).

The format is described in ``docs/problems.md``. Importing a bad file must say exactly where it
is wrong, so both syntaxes are read into the same tree of values *with the line each value and
key starts on*:

- YAML through PyYAML's composer (``yaml.compose`` nodes carry their marks); anchors/aliases are
  refused (a "billion laughs" file would otherwise expand into gigabytes) and so are duplicate keys.
- JSON through the standard library (exact syntax errors with line and column, duplicate keys
  refused), then a small position scanner over the already-valid text maps each path to its
  line. PyYAML cannot be used for JSON: it rejects tab indentation, which JSON allows, and no
  kept library maps JSON paths to lines.

The schema check then reports every problem at once ("line 14: testCases[2].expectedOutput must
be a string"), and ``problem_import_file`` maps the service's field errors back to lines too.
Nothing is written unless the whole file is accepted (the service runs in one transaction).
"""

from __future__ import annotations

import bisect
import io
import json
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import yaml
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from accounts.models import Organization
from assessments.models import Problem
from assessments.services.problems import CASES, LANGUAGE_ALIASES, CaseSpec, problem_import, size_text
from interviews.stage_config import LANGUAGES

FORMAT = "talentsync-problem/1"
MAX_FILE_BYTES = 8 * 1024 * 1024

Path = tuple[str | int, ...]

#: file key → model field
FIELDS: dict[str, str] = {
    "title": "title",
    "slug": "slug",
    "difficulty": "difficulty",
    "statement": "statement",
    "starterCode": "starter_code",
    "cpuTimeLimitMs": "cpu_time_limit_ms",
    "memoryLimitMb": "memory_limit_mb",
    "checker": "checker",
    "floatTolerance": "float_tolerance",
}
CASE_KEYS: dict[str, str] = {"name": "name", "input": "input", "expectedOutput": "expected_output", "hidden": "hidden"}
TOP_KEYS = ("format", *FIELDS, "testCases")
_FIELD_TO_KEY = {v: k for k, v in FIELDS.items()}
_CASE_FIELD_TO_KEY = {v: k for k, v in CASE_KEYS.items()}


class ProblemFileError(Exception):
    """The file was refused; ``errors`` are people-readable lines, each starting with its line number."""

    def __init__(self, errors: list[str]):
        super().__init__("\n".join(errors))
        self.errors = errors


@dataclass
class Located:
    """A parsed file: its values, and the line (1-based) of each value and each key by path."""

    data: Any
    lines: dict[Path, int] = field(default_factory=dict)
    key_lines: dict[Path, int] = field(default_factory=dict)

    def line(self, path: Path) -> int:
        """The line of ``path``'s value, else of its nearest ancestor that has one."""
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get((), 1)


def path_text(path: Path) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text or _("the file")


# --- reading -----------------------------------------------------------------------------------
def _decode(content: bytes) -> str:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = content[: exc.start].count(b"\n") + 1
        raise ProblemFileError([_("line %(line)d: the file is not UTF-8 text.") % {"line": line}]) from None
    if "\x00" in text:
        raise ProblemFileError([_("line 1: the file is not text.")])
    return text


def looks_like_json(text: str, filename: str = "") -> bool:
    if filename.lower().endswith(".json"):
        return True
    if filename.lower().endswith((".yaml", ".yml")):
        return False
    return text.lstrip()[:1] in ("{", "[")


def read_json(text: str) -> Located:
    def no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        seen: dict[str, Any] = {}
        for key, value in pairs:
            if key in seen:
                raise _DuplicateKey(key)
            seen[key] = value
        return seen

    try:
        data = json.loads(text, object_pairs_hook=no_duplicates)
    except json.JSONDecodeError as exc:
        raise ProblemFileError(
            [_("line %(line)d, column %(col)d: %(msg)s.") % {"line": exc.lineno, "col": exc.colno, "msg": exc.msg}]
        ) from None
    except _DuplicateKey as exc:
        located = _JsonPositions(text)
        line = located.duplicate_line(exc.key)
        raise ProblemFileError(
            [_("line %(line)d: duplicate key “%(key)s”.") % {"line": line, "key": exc.key}]
        ) from None
    except RecursionError:
        raise ProblemFileError([_("line 1: the file is nested too deeply.")]) from None
    positions = _JsonPositions(text)
    positions.scan()
    return Located(data=data, lines=positions.lines, key_lines=positions.key_lines)


class _DuplicateKey(Exception):
    def __init__(self, key: str):
        self.key = key


_JSON_SCALAR = re.compile(r"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?|true|false|null")
_WS = re.compile(r"[ \t\n\r]*")


class _JsonPositions:
    """Walk valid JSON text and note the line of every value and key, by path."""

    def __init__(self, text: str):
        self.text = text
        self.newlines = [m.start() for m in re.finditer("\n", text)]
        self.lines: dict[Path, int] = {}
        self.key_lines: dict[Path, int] = {}
        self.duplicates: dict[str, int] = {}

    def line_at(self, pos: int) -> int:
        return bisect.bisect_left(self.newlines, pos) + 1

    def _ws(self, pos: int) -> int:
        match = _WS.match(self.text, pos)
        return match.end() if match else pos

    def scan(self) -> None:
        self._value(self._ws(0), ())

    def duplicate_line(self, key: str) -> int:
        try:
            self.scan()
        except (ValueError, IndexError):  # pragma: no cover - the text was parsed once already
            return 1
        return self.duplicates.get(key, 1)

    def _value(self, pos: int, path: Path) -> int:
        self.lines[path] = self.line_at(pos)
        char = self.text[pos]
        if char == "{":
            pos = self._ws(pos + 1)
            seen: set[str] = set()
            if self.text[pos] == "}":
                return pos + 1
            while True:
                key, end = json.decoder.scanstring(self.text, pos + 1)  # type: ignore[attr-defined]
                if key in seen:
                    self.duplicates.setdefault(key, self.line_at(pos))
                seen.add(key)
                self.key_lines[(*path, key)] = self.line_at(pos)
                pos = self._ws(self._ws(end) + 1)  # past ':'
                pos = self._ws(self._value(pos, (*path, key)))
                if self.text[pos] == "}":
                    return pos + 1
                pos = self._ws(pos + 1)  # past ','
        if char == "[":
            pos = self._ws(pos + 1)
            if self.text[pos] == "]":
                return pos + 1
            index = 0
            while True:
                pos = self._ws(self._value(pos, (*path, index)))
                index += 1
                if self.text[pos] == "]":
                    return pos + 1
                pos = self._ws(pos + 1)
        if char == '"':
            _text, end = json.decoder.scanstring(self.text, pos + 1)  # type: ignore[attr-defined]
            return int(end)
        match = _JSON_SCALAR.match(self.text, pos)
        if match is None:
            raise ValueError(pos)
        return match.end()


def read_yaml(text: str) -> Located:
    loader = yaml.SafeLoader(text)
    try:
        try:
            node = loader.get_single_node()
            located = Located(data=None)
            if node is not None:
                located.data = _yaml_value(loader, node, (), located, set())
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = (
            _("line %(line)d, column %(col)d") % {"line": mark.line + 1, "col": mark.column + 1}
            if mark
            else _("line 1")
        )
        raise ProblemFileError([f"{where}: {exc.problem or exc.context}"]) from None
    except yaml.YAMLError as exc:
        raise ProblemFileError([_("line 1: %(msg)s") % {"msg": exc}]) from None
    except RecursionError:
        raise ProblemFileError([_("line 1: the file is nested too deeply.")]) from None
    return located


class _YamlRefused(yaml.MarkedYAMLError):
    pass


_PLAIN_TAGS = {"tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"}


def _yaml_value(loader: yaml.SafeLoader, node: yaml.Node, path: Path, located: Located, seen: set[int]) -> Any:
    if id(node) in seen:
        raise _YamlRefused(problem=_("anchors and aliases are not supported"), problem_mark=node.start_mark)
    seen.add(id(node))
    located.lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode | yaml.SequenceNode) and node.tag not in _PLAIN_TAGS:
        # The composer leaves collection tags to the constructor, which is not used for them here.
        raise _YamlRefused(
            problem=_("the tag %(tag)s is not supported") % {"tag": node.tag}, problem_mark=node.start_mark
        )
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)  # "<<" merge keys
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = _yaml_value(loader, key_node, (*path, "\x00key"), located, seen)
            if not isinstance(key, str):
                key = str(key)
            if key in result:
                raise _YamlRefused(
                    problem=_("duplicate key “%(key)s”") % {"key": key}, problem_mark=key_node.start_mark
                )
            located.key_lines[(*path, key)] = key_node.start_mark.line + 1
            result[key] = _yaml_value(loader, value_node, (*path, key), located, seen)
        located.lines.pop((*path, "\x00key"), None)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_yaml_value(loader, item, (*path, i), located, seen) for i, item in enumerate(node.value)]
    return loader.construct_object(node, deep=True)


def read_file(content: bytes, filename: str = "") -> Located:
    """Parse an uploaded problem file (JSON or YAML, told apart by name or first character)."""
    if len(content) > MAX_FILE_BYTES:
        raise ProblemFileError([_("The file is over %(size)s.") % {"size": size_text(MAX_FILE_BYTES)}])
    text = _decode(content)
    if not text.strip():
        raise ProblemFileError([_("line 1: the file is empty.")])
    return read_json(text) if looks_like_json(text, filename) else read_yaml(text)


# --- the schema --------------------------------------------------------------------------------
_KINDS: dict[str, tuple[type | tuple[type, ...], str]] = {
    "string": (str, "a string"),
    "integer": (int, "a whole number"),
    "number": ((int, float), "a number"),
    "boolean": (bool, "true or false"),
    "object": (dict, "an object"),
    "array": (list, "a list"),
}


def _type_ok(value: Any, kind: str) -> bool:
    if isinstance(value, bool) and kind != "boolean":
        return False
    return isinstance(value, _KINDS[kind][0])


class _Checker:
    def __init__(self, located: Located):
        self.located = located
        self.errors: list[tuple[int, str]] = []

    def fail(self, path: Path, message: str, *, at_key: bool = False) -> None:
        line = self.located.key_lines.get(path) if at_key else None
        self.errors.append((line or self.located.line(path), f"{path_text(path)} {message}"))

    def typed(self, obj: dict[str, Any], path: Path, key: str, kind: str, *, required: bool = False) -> Any:
        if key not in obj:
            if required:
                self.fail(path, _("is missing “%(key)s”") % {"key": key})
            return None
        value = obj[key]
        if not _type_ok(value, kind):
            hint = _(" (put it in quotes)") if kind == "string" and value is not None else ""
            self.fail((*path, key), _("must be %(kind)s%(hint)s") % {"kind": _KINDS[kind][1], "hint": hint})
            return None
        return value

    def known_keys(self, obj: dict[str, Any], path: Path, known: Iterable[str]) -> None:
        allowed = set(known)
        for key in obj:
            if key not in allowed:
                self.fail((*path, key), _("is not a known key"), at_key=True)

    def messages(self) -> list[str]:
        return [
            _("line %(line)d: %(msg)s") % {"line": line, "msg": msg}
            for line, msg in sorted(self.errors, key=lambda e: e[0])
        ]


@dataclass
class ProblemDocument:
    """A checked file: model fields and case specs for the services, and where each came from."""

    fields: dict[str, Any]
    cases: list[CaseSpec]
    located: Located

    def line_of_error(self, key: str) -> int:
        """The line an error of the services (keyed by model field, or ``test_cases[i].field``) points at."""
        match = re.fullmatch(rf"{CASES}(?:\[(\d+)\](?:\.(\w+))?)?", key)
        if match:
            path: Path = ("testCases",)
            if match.group(1) is None:
                return self.located.key_lines.get(path) or self.located.line(path)
            if match.group(1) is not None:
                path = (*path, int(match.group(1)))
                if match.group(2):
                    path = (*path, _CASE_FIELD_TO_KEY.get(match.group(2), match.group(2)))
            return self.located.line(path)
        if key == "slug" and ("slug",) not in self.located.lines:
            key = "title"  # the slug was made from the title
        if key in _FIELD_TO_KEY:
            return self.located.key_lines.get((_FIELD_TO_KEY[key],)) or self.located.line((_FIELD_TO_KEY[key],))
        return 1

    def path_of_error(self, key: str) -> str:
        match = re.fullmatch(rf"{CASES}(?:\[(\d+)\](?:\.(\w+))?)?", key)
        if match:
            text = "testCases"
            if match.group(1) is not None:
                text += f"[{match.group(1)}]"
                if match.group(2):
                    text += "." + _CASE_FIELD_TO_KEY.get(match.group(2), match.group(2))
            return text
        return _FIELD_TO_KEY.get(key, key)


def check_document(located: Located) -> ProblemDocument:
    """Check a parsed file against the format; raise ``ProblemFileError`` with every problem found."""
    check = _Checker(located)
    data = located.data
    if not isinstance(data, dict):
        raise ProblemFileError(
            [_("line %(line)d: the file must hold one object (a mapping).") % {"line": located.line(())}]
        )
    check.known_keys(data, (), TOP_KEYS)
    marker = check.typed(data, (), "format", "string", required=True)
    if marker is not None and marker != FORMAT:
        check.fail(("format",), _("must be “%(format)s”") % {"format": FORMAT})
    fields: dict[str, Any] = {}
    for key, kind in (
        ("title", "string"),
        ("slug", "string"),
        ("difficulty", "string"),
        ("statement", "string"),
        ("starterCode", "object"),
        ("cpuTimeLimitMs", "integer"),
        ("memoryLimitMb", "integer"),
        ("checker", "string"),
        ("floatTolerance", "number"),
    ):
        value = check.typed(data, (), key, kind, required=key in ("title", "statement"))
        if value is not None:
            fields[FIELDS[key]] = value
    if fields.get("difficulty") is not None and fields["difficulty"] not in Problem.Difficulty.values:
        check.fail(("difficulty",), _("must be one of: %(v)s") % {"v": ", ".join(Problem.Difficulty.values)})
    if fields.get("checker") is not None and fields["checker"] not in Problem.Checker.values:
        check.fail(("checker",), _("must be one of: %(v)s") % {"v": ", ".join(Problem.Checker.values)})
    for language, code in (fields.get("starter_code") or {}).items():
        if LANGUAGE_ALIASES.get(language, language) not in LANGUAGES:
            check.fail(
                ("starterCode", language),
                _("is not a known language (known: %(known)s)") % {"known": ", ".join(LANGUAGES)},
                at_key=True,
            )
        elif not isinstance(code, str):
            check.fail(("starterCode", language), _("must be a string"))
    cases: list[CaseSpec] = []
    raw_cases = check.typed(data, (), "testCases", "array", required=True)
    for index, item in enumerate(raw_cases or []):
        path: Path = ("testCases", index)
        if not isinstance(item, dict):
            check.fail(path, _("must be an object with input and expectedOutput"))
            continue
        check.known_keys(item, path, CASE_KEYS)
        spec: CaseSpec = {"order": index}
        for key, kind in (("name", "string"), ("input", "string"), ("expectedOutput", "string"), ("hidden", "boolean")):
            value = check.typed(item, path, key, kind, required=key == "expectedOutput")
            if value is not None:
                spec[CASE_KEYS[key]] = value  # type: ignore[literal-required]
        cases.append(spec)
    if check.errors:
        raise ProblemFileError(check.messages())
    return ProblemDocument(fields=fields, cases=cases, located=located)


def parse_problem_file(content: bytes, filename: str = "") -> ProblemDocument:
    """Read and check a problem file; ``ProblemFileError`` lists what is wrong, line by line."""
    return check_document(read_file(content, filename))


def problem_import_file(
    *, organization: Organization, actor: Any, content: bytes, filename: str = "", replace: bool = False
) -> tuple[Problem, bool]:
    """Import one problem file (all or nothing); returns the problem and whether it is new."""
    document = parse_problem_file(content, filename)
    try:
        return problem_import(
            organization=organization, actor=actor, fields=document.fields, cases=document.cases, replace=replace
        )
    except ValidationError as exc:
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"": exc.messages}
        errors = sorted(
            (document.line_of_error(key), f"{document.path_of_error(key)}: {msg}" if key else msg)
            for key, messages in detail.items()
            for msg in messages
        )
        raise ProblemFileError(
            [_("line %(line)d: %(msg)s") % {"line": line, "msg": msg} for line, msg in errors]
        ) from None


# --- writing -----------------------------------------------------------------------------------
def problem_document(problem: Problem) -> dict[str, Any]:
    """The file's content for ``problem`` (its cases in order)."""
    doc: dict[str, Any] = {"format": FORMAT}
    for key, attr in FIELDS.items():
        value = getattr(problem, attr)
        doc[key] = str(value) if isinstance(value, str) else value  # choices enums → their plain value
    doc["starterCode"] = dict(problem.starter_code or {})
    doc["testCases"] = [
        {"name": c.name, "input": c.input, "expectedOutput": c.expected_output, "hidden": c.hidden}
        for c in sorted(problem.test_cases.all(), key=lambda c: (c.order, c.pk))
    ]
    return doc


class _BlockDumper(yaml.SafeDumper):
    """Multi-line strings (statements, code, test data) as ``|`` blocks, readable and diffable."""


def _str_block(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    # The emitter falls back to a quoted style by itself when a block cannot hold the text exactly.
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_BlockDumper.add_representer(str, _str_block)

FORMATS = {"json": "application/json", "yaml": "application/yaml"}


def dumps(problem: Problem, fmt: str) -> str:
    doc = problem_document(problem)
    if fmt == "json":
        return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
    if fmt == "yaml":
        return yaml.dump(doc, Dumper=_BlockDumper, sort_keys=False, allow_unicode=True, width=100)
    raise ValueError(f"unknown format {fmt!r}")


def export_filename(problem: Problem, fmt: str) -> str:
    return f"{problem.slug}.{fmt}"


def export_many(problems: Iterable[Problem], fmt: str) -> tuple[str, str, bytes]:
    """One file for one problem, a zip of files for several: (filename, content type, bytes)."""
    problems = list(problems)
    if len(problems) == 1:
        return export_filename(problems[0], fmt), FORMATS[fmt], dumps(problems[0], fmt).encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for problem in problems:
            archive.writestr(export_filename(problem, fmt), dumps(problem, fmt))
    return "problems.zip", "application/zip", buffer.getvalue()

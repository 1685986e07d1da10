"""Differential tests: every line of every `cases/*.txt` file is sent to the
reference redis-server and to the server under test, and the raw reply bytes
must be identical.  One pytest test per case file and protocol: each file runs
once on RESP2 connections and once on connections that said `HELLO 3` first,
so every reply's RESP3 shape (maps, sets, doubles, nulls, pushes) is checked
too.  See cases/README for the file format; the prefixes are implemented in
`parse_case_file()`.
"""

from __future__ import annotations

import ast
import time
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional, Tuple, Union

import pytest

from resp_client import (ConnectionClosed, QuoteError, ReplyTimeout, RespClient,
                         RespError, build_array, encode_command, parse_reply,
                         split_args)

CASES_DIR = Path(__file__).resolve().parent / "cases"
CASE_FILES = sorted(CASES_DIR.glob("*.txt"))
MAX_REPORTED_MISMATCHES = 25
MAX_SHOWN_REPLY = 600

# Comparison modes, selected by a line prefix.
EXACT, NOCOMPARE, TYPE, SORT, SORTSCAN, SORTPAIRS = (
    "exact", "nocompare", "type", "sort", "sortscan", "sortpairs")
# Longest prefixes first ("sortscan " before "sort ").  Case-sensitive.
MODE_PREFIXES = [
    ("sortpairs ", SORTPAIRS),
    ("sortscan ", SORTSCAN),
    ("sort ", SORT),
    ("?type ", TYPE),
    ("~ ", NOCOMPARE),
    ("= ", EXACT),
]


@dataclass
class Step:
    lineno: int
    text: str
    kind: str                 # "send" | "sleep" | "reconnect"
    mode: str = EXACT
    payload: bytes = b""
    nreplies: int = 1
    seconds: float = 0.0
    slow: bool = False        # send the payload one byte per write


class CaseFormatError(Exception):
    pass


class AbortCaseFile(Exception):
    """A server cannot be reached any more: stop running this file."""


def _eval_bytes(expr: str) -> bytes:
    """Evaluate a bytes expression: bytes literals combined with + and * int."""
    try:
        tree = ast.parse(expr.strip(), mode="eval")
    except SyntaxError as e:
        raise CaseFormatError(f"bad bytes expression {expr!r}: {e}") from None
    for node in ast.walk(tree):
        if not isinstance(node, (ast.Expression, ast.BinOp, ast.Add, ast.Mult,
                                 ast.Constant)):
            raise CaseFormatError(f"only bytes literals, + and * are allowed: {expr!r}")
    value = eval(compile(tree, "<raw>", "eval"), {"__builtins__": {}}, {})
    if not isinstance(value, bytes):
        raise CaseFormatError(f"!raw expression must evaluate to bytes, got {type(value).__name__}")
    return value


def parse_case_file(path: Path) -> List[Step]:
    steps: List[Step] = []
    with open(path, encoding="utf-8") as f:
        lines = f.read().splitlines()
    for lineno, line in enumerate(lines, 1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        try:
            steps.append(_parse_line(lineno, stripped))
        except (CaseFormatError, QuoteError, ValueError) as e:
            raise CaseFormatError(f"{path.name}:{lineno}: {e}\n    {line}") from None
    return steps


def _parse_line(lineno: int, text: str) -> Step:
    mode = EXACT
    rest = text
    for prefix, m in MODE_PREFIXES:
        if rest.startswith(prefix):
            mode, rest = m, rest[len(prefix):].lstrip()
            break
    if rest.startswith("!"):
        word, _, arg = rest.partition(" ")
        if word == "!raw":
            return Step(lineno, text, "send", mode, _eval_bytes(arg), 1)
        if word == "!rawslow":
            return Step(lineno, text, "send", mode, _eval_bytes(arg), 1, slow=True)
        if word == "!rawn":
            count, _, expr = arg.strip().partition(" ")
            if not count.isdigit():
                raise CaseFormatError("usage: !rawn <N> <bytes expression>")
            return Step(lineno, text, "send", mode, _eval_bytes(expr), int(count))
        if word == "!sleep":
            return Step(lineno, text, "sleep", seconds=float(arg))
        if word == "!reconnect":
            return Step(lineno, text, "reconnect")
        raise CaseFormatError(f"unknown directive {word!r}")
    args = split_args(rest)
    if not args:
        raise CaseFormatError("empty command")
    return Step(lineno, text, "send", mode, encode_command(args), 1)


# ---------------------------------------------------------------------------
# Reply normalisation per comparison mode
# ---------------------------------------------------------------------------


def normalise(raw: bytes, mode: str) -> bytes:
    if mode == TYPE:
        return raw[:1]
    if mode not in (SORT, SORTSCAN, SORTPAIRS):
        return raw
    try:
        reply = parse_reply(raw)
    except (RespError, ValueError, IndexError):
        return raw
    if reply.items is None:
        return raw
    items = reply.items
    type_byte = raw[:1]
    if mode == SORT:
        if type_byte == b"%":
            return normalise(raw, SORTPAIRS)
        # RESP3 nests WITHSCORES-style pairs: sort the pairs themselves.
        return build_array(sorted(items), type_byte)
    if mode == SORTSCAN:
        if len(items) == 2:
            inner = parse_reply(items[1])
            if inner.is_array:
                return build_array([items[0], build_array(sorted(inner.items))], type_byte)
        return raw
    # SORTPAIRS: a RESP2 [k, v, ...] array, a RESP3 map, or RESP3's [[k, v], ...]
    if type_byte == b"%":
        pairs = sorted(zip(items[0::2], items[1::2]))
        return b"%%%d\r\n" % len(pairs) + b"".join(x for pair in pairs for x in pair)
    if len(items) % 2:
        return raw
    pairs = sorted(zip(items[0::2], items[1::2]))
    return build_array([x for pair in pairs for x in pair], type_byte)


# ---------------------------------------------------------------------------
# Running a case file
# ---------------------------------------------------------------------------

Outcome = Union[List[bytes], str]   # list of raw replies, or "<error description>"


def _short(b: Union[bytes, str]) -> str:
    s = repr(b)
    if len(s) > MAX_SHOWN_REPLY:
        s = s[:MAX_SHOWN_REPLY] + f"... ({len(b)} bytes)"
    return s


class Side:
    def __init__(self, server, protocol: int = 2):
        self.server = server
        self.protocol = protocol
        self.client: Optional[RespClient] = None

    def connect(self) -> None:
        self.close()
        try:
            self.client = RespClient(self.server.host, self.server.port)
            if self.protocol == 3:
                hello = self.client.call("HELLO", "3")
                if not hello.startswith(b"%"):
                    raise AbortCaseFile(f"{self.server.name}: HELLO 3 replied {hello[:80]!r}")
        except OSError as e:
            proc = getattr(self.server, "proc", None)
            status = ""
            if proc is not None and proc.poll() is not None:
                status = f" (process exited with status {proc.returncode})"
            raise AbortCaseFile(f"cannot connect to {self.server.name} on port "
                                f"{self.server.port}{status}: {e}") from None

    def close(self) -> None:
        if self.client is not None:
            self.client.close()
            self.client = None

    def send(self, payload: bytes, slow: bool = False) -> Optional[str]:
        try:
            if slow:
                for i in range(len(payload)):
                    self.client.send(payload[i:i + 1])
                    time.sleep(0.001)
            else:
                self.client.send(payload)
            return None
        except OSError as e:
            return f"<send failed: {e}>"

    def read(self, n: int) -> Outcome:
        replies = []
        try:
            for _ in range(n):
                replies.append(self.client.read_reply())
        except ConnectionClosed as e:
            return f"<connection closed by server after {replies!r}; partial {e.partial!r}>"
        except ReplyTimeout as e:
            return f"<timeout after {replies!r}; partial {e.partial!r}>"
        except (RespError, ValueError) as e:
            return f"<malformed reply after {replies!r}: {e}>"
        except OSError as e:
            return f"<socket error after {replies!r}: {e}>"
        return replies


def _is_protocol_error(outcome: Outcome) -> bool:
    return isinstance(outcome, list) and any(r.startswith(b"-ERR Protocol error") for r in outcome)


def _compare(step: Step, where: str, ref_out: Outcome, sut_out: Outcome) -> Optional[str]:
    """Return a mismatch description, or None if the outcomes agree."""
    if step.mode == NOCOMPARE:
        if isinstance(sut_out, str) and not isinstance(ref_out, str):
            return (f"{where}: {step.text} [not compared]\n"
                    f"    redis     : {_short(b''.join(ref_out))}\n"
                    f"    swiftkeydb: {sut_out}")
        return None
    if isinstance(ref_out, str):
        return (f"{where}: {step.text}\n    reference failed: {ref_out}"
                f"\n    (the case line is probably wrong)")
    if isinstance(sut_out, str) or any(normalise(a, step.mode) != normalise(b, step.mode)
                                       for a, b in zip(ref_out, sut_out)):
        mode = "" if step.mode == EXACT else f" [compare mode: {step.mode}]"
        shown = sut_out if isinstance(sut_out, str) else b"".join(sut_out)
        return (f"{where}: {step.text}{mode}\n"
                f"    redis     : {_short(b''.join(ref_out))}\n"
                f"    swiftkeydb: {_short(shown)}")
    return None


def run_case_file(path: Path, ref_server, sut_server, protocol: int = 2) -> Tuple[int, List[str]]:
    """Run one case file; return (number of steps, list of mismatch reports)."""
    steps = parse_case_file(path)
    ref, sut = Side(ref_server, protocol), Side(sut_server, protocol)
    mismatches: List[str] = []

    def reconnect() -> None:
        ref.connect()
        sut.connect()

    try:
        reconnect()
        for side in (ref, sut):
            for cmd in (("FLUSHALL",), ("SELECT", "0")):
                try:
                    reply = side.client.call(*cmd)
                except (OSError, RespError) as e:
                    reply = repr(e)
                if reply != b"+OK\r\n":
                    raise AbortCaseFile(f"{side.server.name}: setup command "
                                        f"{' '.join(cmd)} replied {reply!r}")

        for step in steps:
            where = f"{path.name}:{step.lineno}"
            if step.kind == "sleep":
                time.sleep(step.seconds)
                continue
            if step.kind == "reconnect":
                reconnect()
                continue

            errors = [ref.send(step.payload, step.slow), sut.send(step.payload, step.slow)]
            ref_out: Outcome = errors[0] or ref.read(step.nreplies)
            sut_out: Outcome = errors[1] or sut.read(step.nreplies)

            problem = _compare(step, where, ref_out, sut_out)
            if problem:
                mismatches.append(problem)

            if _is_protocol_error(ref_out) or _is_protocol_error(sut_out):
                # Redis closes the connection after a protocol error: check
                # that both servers did, then start over on new connections.
                closed = [isinstance(ref_out, str) or ref.client.wait_closed(),
                          isinstance(sut_out, str) or sut.client.wait_closed()]
                if closed[0] != closed[1]:
                    mismatches.append(f"{where}: {step.text}\n    connection closed after the "
                                      f"protocol error: redis={closed[0]} swiftkeydb={closed[1]}")
                reconnect()
            elif isinstance(ref_out, str) or isinstance(sut_out, str):
                reconnect()  # state of the stream unknown
    except AbortCaseFile as e:
        mismatches.append(f"{path.name}: ABORTED: {e}")
    finally:
        ref.close()
        sut.close()
    return len(steps), mismatches


@pytest.mark.parametrize("protocol", [2, 3], ids=["resp2", "resp3"])
@pytest.mark.parametrize("case_file", CASE_FILES, ids=[p.stem for p in CASE_FILES])
def test_case_file(case_file: Path, protocol: int, redis_server, sut_server):
    redis_server.require()
    sut_server.require()
    try:
        nsteps, mismatches = run_case_file(case_file, redis_server, sut_server, protocol)
    except CaseFormatError as e:
        pytest.fail(f"malformed case file: {e}", pytrace=False)
    if mismatches:
        aborted = [m for m in mismatches if ": ABORTED: " in m]
        shown = mismatches[:MAX_REPORTED_MISMATCHES]
        more = len(mismatches) - len(shown)
        msg = ""
        if aborted:
            msg += aborted[0] + "\n\n"
        msg += (f"{len(mismatches)} of {nsteps} lines in {case_file.name} differ "
                f"(first one first; later ones may be consequences):\n\n" + "\n\n".join(shown))
        if more:
            msg += f"\n\n... and {more} more"
        proc = sut_server.proc
        if proc is not None and proc.poll() is not None:
            msg += (f"\n\n{sut_server.name} EXITED with status {proc.returncode}; "
                    f"log tail:\n{sut_server.log_tail()}")
        pytest.fail(msg, pytrace=False)


def test_case_files_present():
    assert CASE_FILES, f"no case files in {CASES_DIR}"
    for p in CASE_FILES:
        steps = parse_case_file(p)
        assert steps, f"{p.name} has no commands"

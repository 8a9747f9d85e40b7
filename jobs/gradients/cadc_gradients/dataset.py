"""Reads a CADC dataset (JSONL or a JSON array; LLaVA, ShareGPT, OpenAI parts, The Cauldron, Alpaca)
with the TypeScript reader's semantics (src/core/dataset/reader.ts, normalise.ts): same valid samples,
same 1-based start line, same record index, same sha256 and line count."""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any, List, Optional, Tuple

MAX_NESTING = 256


class DatasetError(Exception):
    """The file is not a dataset at all (empty, no usable record)."""


@dataclass
class Sample:
    index: int  # 0-based among valid samples
    record: int  # 0-based among all records (JSONL record number or JSON array index)
    line: int  # 1-based line where the record starts
    turns: List[Tuple[str, str]]  # (role, text), role in user|assistant|system
    images: List[str]


@dataclass
class Dataset:
    path: str
    sha256: str
    bytes: int
    lines: int
    records: int
    container: str
    samples: List[Sample] = field(default_factory=list)


def _role(raw: Any) -> Optional[str]:
    r = raw.lower() if isinstance(raw, str) else ""
    if r in ("human", "user"):
        return "user"
    if r in ("gpt", "assistant", "bot", "model"):
        return "assistant"
    if r == "system":
        return "system"
    return None


def _image_list(v: Any):
    if v is None:
        return []
    if isinstance(v, str):
        return [v]
    if isinstance(v, list):
        out = []
        for x in v:
            if isinstance(x, str):
                out.append(x)
            elif isinstance(x, dict) and isinstance(x.get("path"), str):
                out.append(x["path"])
            elif isinstance(x, dict) and isinstance(x.get("url"), str):
                out.append(x["url"])
            else:
                return None
        return out
    return None


def detect_format(rec: Any) -> Optional[str]:
    if not isinstance(rec, dict):
        return None
    if isinstance(rec.get("conversations"), list):
        return "llava"
    if isinstance(rec.get("messages"), list):
        return "openai" if any(isinstance(m, dict) and isinstance(m.get("content"), list) for m in rec["messages"]) else "sharegpt"
    if isinstance(rec.get("texts"), list):
        return "cauldron"
    if isinstance(rec.get("instruction"), str) and "output" in rec:
        return "alpaca"
    return None


def normalise(rec: Any) -> Optional[Tuple[List[Tuple[str, str]], List[str]]]:
    """(turns, images) of a record, or None when it does not fit its format (normalise.ts)."""
    fmt = detect_format(rec)
    if fmt is None:
        return None
    turns: List[Tuple[str, str]] = []
    if fmt == "llava":
        for t in rec["conversations"]:
            if not isinstance(t, dict):
                return None
            role = _role(t["from"] if t.get("from") is not None else t.get("role"))
            if role is None or not isinstance(t.get("value"), str):
                return None
            turns.append((role, t["value"]))
        images = _image_list(rec["image"] if rec.get("image") is not None else rec.get("images"))
    elif fmt in ("sharegpt", "openai"):
        part_images: List[str] = []
        for m in rec["messages"]:
            if not isinstance(m, dict):
                return None
            role = _role(m.get("role"))
            if role is None:
                return None
            c = m.get("content", ...)
            if isinstance(c, str):
                turns.append((role, c))
            elif isinstance(c, list):
                texts = []
                for p in c:
                    if not isinstance(p, dict):
                        return None
                    if p.get("type") == "text" and isinstance(p.get("text"), str):
                        texts.append(p["text"])
                    elif p.get("type") == "image_url":
                        iu = p.get("image_url")
                        url = iu.get("url") if isinstance(iu, dict) else iu
                        if not isinstance(url, str):
                            return None
                        part_images.append(url)
                        texts.append("<image>")
                    elif p.get("type") == "image" and isinstance(p.get("image"), str):
                        part_images.append(p["image"])
                        texts.append("<image>")
                    else:
                        return None
                turns.append((role, "\n".join(texts)))
            elif c is None and role == "assistant":
                turns.append((role, ""))
            else:
                return None
        listed = _image_list(rec["images"] if rec.get("images") is not None else rec.get("image"))
        images = None if listed is None else listed + part_images
    elif fmt == "cauldron":
        for t in rec["texts"]:
            if not isinstance(t, dict) or not isinstance(t.get("user"), str) or not isinstance(t.get("assistant"), str):
                return None
            turns += [("user", t["user"]), ("assistant", t["assistant"])]
        images = _image_list(rec.get("images"))
    else:  # alpaca
        if not isinstance(rec.get("output"), str):
            return None
        if isinstance(rec.get("system"), str) and rec["system"]:
            turns.append(("system", rec["system"]))
        inp = rec.get("input")
        extra = "\n" + inp if isinstance(inp, str) and inp.strip() else ""
        turns += [("user", rec["instruction"] + extra), ("assistant", rec["output"])]
        images = _image_list(rec["images"] if rec.get("images") is not None else rec.get("image"))
    if images is None:
        return None
    return turns, images


def _js_strip(s: str) -> str:
    # JavaScript's String.prototype.trim whitespace (close enough: Unicode White_Space + BOM).
    return s.strip(" \t\n\r\v\f\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff")


def _reject_constant(name: str):
    raise ValueError(f"not JSON: {name}")


def _depth(b: bytes) -> Tuple[int, bool]:
    """Nesting depth of a JSON text (strings skipped) and whether a BOM sits outside a string."""
    depth = best = 0
    bom = False
    for m in _TOKEN.finditer(b):
        t = m.group(0)
        if t[:1] == b'"':
            continue
        if t in (b"{", b"["):
            depth += 1
            best = max(best, depth)
            if best > MAX_NESTING:
                break
        elif t in (b"}", b"]"):
            depth -= 1
        elif t == b"\xef\xbb\xbf":
            bom = True
    return best, bom


_TOKEN = re.compile(rb'"(?:[^"\\]|\\.)*"?|[\[\]{}]|\xef\xbb\xbf', re.S)


def parse_record(b: bytes) -> Optional[Tuple[List[Tuple[str, str]], List[str]]]:
    """A valid sample's (turns, images) from one record's bytes, or None (skipped, as the TS reader does)."""
    try:
        text = b.decode("utf-8")
    except UnicodeDecodeError:
        return None
    depth, bom = _depth(b)
    if bom or depth > MAX_NESTING:
        return None
    try:
        value = json.loads(text, parse_constant=_reject_constant)
    except (ValueError, RecursionError):
        return None
    norm = normalise(value)
    if norm is None:
        return None
    turns, images = norm
    has_user = any(r == "user" and _js_strip(t) for r, t in turns)
    has_answer = any(r == "assistant" and _js_strip(t) for r, t in turns)
    return (turns, images) if has_user and has_answer else None


def _split_jsonl(data: bytes, base: int):
    line = 1
    pos = 0
    n = len(data)
    while pos < n:
        nl = data.find(b"\n", pos)
        end = n if nl < 0 else nl
        rec = data[pos:end]
        if rec.endswith(b"\r"):
            rec = rec[:-1]
        if rec.strip(b" \t"):
            yield line, rec
        line += 1
        pos = end + 1


_ARRAY_TOKEN = re.compile(rb'"(?:[^"\\]|\\.)*"?|[\[\]{},\n]', re.S)


def _split_array(data: bytes):
    """Top-level elements of a JSON array with their start lines (the TS RecordSplitter's scanner)."""
    depth = 0
    line = 1
    start = -1
    start_line = 1
    closed = False
    prev_end = 0
    for m in _ARRAY_TOKEN.finditer(data):
        t = m.group(0)
        gap, prev_end = data[prev_end : m.start()], m.end()
        if depth == 1 and start < 0 and not closed and gap.strip(b" \t\r"):
            # A scalar element (number, literal): a record of no format, but it counts as one.
            start, start_line = m.start() - len(gap), line
        if t[:1] == b'"':
            line += t.count(b"\n")
            if depth >= 1 and start < 0:
                start, start_line = m.start(), line - t.count(b"\n")
            continue
        if t == b"\n":
            line += 1
            continue
        if closed:
            break
        if depth == 0:
            if t == b"[":
                depth = 1
            continue
        if depth == 1 and start < 0:
            if t == b",":
                continue
            if t == b"]":
                closed = True
                continue
            start, start_line = m.start(), line
        if t in (b"{", b"["):
            depth += 1
        elif t in (b"}", b"]"):
            if depth == 1:
                yield start_line, data[start : m.start()].strip(b" \t\r\n")
                start = -1
                closed = True
                continue
            depth -= 1
        elif t == b"," and depth == 1:
            yield start_line, data[start : m.start()].strip(b" \t\r\n")
            start = -1
    if start >= 0 and not closed:
        pass  # truncated element: an invalid record, as in the TS reader


def read_dataset(path: str) -> Dataset:
    with open(path, "rb") as f:
        data = f.read()
    sha = hashlib.sha256(data).hexdigest()
    body = data[3:] if data[:3] == b"\xef\xbb\xbf" else data
    nl = data.count(b"\n")
    lines = 0 if not data else (nl if data.endswith(b"\n") else nl + 1)
    first = body.lstrip(b" \t\r\n")[:1]
    container = "json-array" if first == b"[" else "jsonl"
    ds = Dataset(path=path, sha256=sha, bytes=len(data), lines=lines, records=0, container=container)
    split = _split_array(body) if container == "json-array" else _split_jsonl(body, 0)
    for rec_index, (line, rec) in enumerate(split):
        ds.records = rec_index + 1
        parsed = parse_record(rec)
        if parsed is None:
            continue
        ds.samples.append(Sample(index=len(ds.samples), record=rec_index, line=line, turns=parsed[0], images=parsed[1]))
    if not ds.samples:
        raise DatasetError(f"{path}: no usable record (expected JSONL or a JSON array of LLaVA, ShareGPT, OpenAI, Cauldron or Alpaca records)")
    return ds

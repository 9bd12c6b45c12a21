"""codealign's reward for other RL stacks: an HTTP reward server and OpenRLHF's reward-function contract.

Everything here scores through `rewards.SafetyReward` (hence `scoring.judge`), so a TRL run, an OpenRLHF run
and a Ray cluster calling `codealign serve-reward` all apply the same rules and weights.

HTTP API (`codealign serve-reward`, stdlib `ThreadingHTTPServer`, JSON in and out):

* `GET /health` -> `{"status": "ok", "version": ..., "categories": [...], "reward_model": bool}`
* `POST /reward` (alias `/get_reward`, OpenRLHF's usual path), either shape:
  - codealign: `{"prompts": [...], "completions": [...], "category": [...]?, "lang": [...]?, "critique": bool?}`
    -> `{"rewards": [float], "components": [{component: float}], "critiques": [str]?}`.
    Prompts/completions are strings or chat message lists; `category`/`lang` a list or one string for all.
  - OpenRLHF remote RM: `{"query": [...], "prompts": [...]?, "labels": [...]?}`
    -> `{"rewards": [float], "scores": [float in 0..1], "extra_logs": {"codealign/<component>": [float]}}`.
* Errors are JSON `{"error": "..."}`: 400 malformed request, 404 unknown path, 413 body over the limit,
  500 an unexpected scoring failure (the server keeps serving).

OpenRLHF (`reward_func.py` at the repository root, and the server's OpenRLHF shape): a query is the chat-
templated prompt followed by the generated response; the response is the query minus its prompt prefix (else
the text after the last assistant header of a known chat template), cut at the first end-of-turn token. A
label is a category name, a JSON object `{"category": ..., "lang": ...}`, or empty (benign).
"""

from __future__ import annotations

import json
import math
import re
import signal
import sys
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import NamedTuple

from . import __version__
from .errors import CodealignError
from .rewards import CATEGORIES, SafetyReward

__all__ = [
    "JudgedReward",
    "RequestError",
    "RewardServer",
    "Split",
    "handle_request",
    "openrlhf_rewards",
    "parse_label",
    "serve",
    "split_query",
]

LANGS = ("en", "zh")
DEFAULT_MAX_BODY = 16 * 1024 * 1024  # bytes
DEFAULT_MAX_ITEMS = 4096  # samples per request
DRAIN_LIMIT = 64 * 1024 * 1024  # an oversized body is read and dropped up to this much, then the socket closes
SOCKET_TIMEOUT = 60.0  # seconds a client may take to send its request


# ----------------------------------------------------------------------------------------------- scoring
class JudgedReward(SafetyReward):
    """`SafetyReward` that also returns the judgements behind its rewards (the per-component breakdown,
    the learned preference included), so callers never re-score or re-mix anything themselves."""

    def judge_all(self, prompts, completions, category=None, lang=None):
        judgements = super().judge_all(prompts, completions, category, lang)
        self._judgements_local().last = judgements
        return judgements

    def _judgements_local(self) -> threading.local:
        local = self.__dict__.get("_local")
        if local is None:
            local = self.__dict__.setdefault("_local", threading.local())
        return local

    def __getstate__(self):
        state = dict(self.__dict__)
        state.pop("_local", None)
        return state

    def score(self, prompts, completions, category=None, lang=None):
        """(rewards, judgements) for the batch; rewards exactly as the TRL reward function returns them."""
        rewards = self(list(prompts), list(completions), category=category, lang=lang)
        judgements = self._judgements_local().last
        return rewards, judgements


def _finite(value) -> float:
    value = float(value)
    return value if math.isfinite(value) else 0.0


def _components(judgement) -> dict[str, float]:
    return {name: _finite(value) for name, value in judgement.components.items()}


# ----------------------------------------------------------------------------------------------- OpenRLHF
class Split(NamedTuple):
    prompt: str  # the last user message (what the judge reads as the prompt)
    response: str  # the generated answer, template tokens removed
    method: str  # "prefix", "contains", "marker" or "none" (no boundary found: the whole query)


# Generation prompts (assistant headers) of common chat templates, most specific first.
_ASSISTANT_MARKERS = (
    "<|im_start|>assistant\n",  # ChatML: Qwen, SmolLM, Yi, OpenHermes
    "<|im_start|>assistant",
    "<|start_header_id|>assistant<|end_header_id|>\n\n",  # Llama 3
    "<|start_header_id|>assistant<|end_header_id|>",
    "<start_of_turn>model\n",  # Gemma
    "<|assistant|>\n",  # Phi-3, Zephyr
    "<|assistant|>",
    "<｜Assistant｜>",  # DeepSeek
    "[/INST]",  # Llama 2, Mistral
)
# Tokens that end the answer: nothing after them is part of it (the model ran past its stop token).
_END_TOKENS = (
    "<|im_end|>", "<|eot_id|>", "<|end_of_text|>", "<|endoftext|>", "<|end|>", "<end_of_turn>",
    "<｜end▁of▁sentence｜>", "<|im_start|>", "<|start_header_id|>",
)
# Special tokens stripped from the ends of an answer and from a prompt with no recognizable user turn.
_SPECIAL = r"<\|[A-Za-z0-9_.\-]{1,40}\|>|<｜[^｜\s<>]{1,40}｜>|</?s>|<(?:eos|bos|pad|unk)>|\[PAD\]"
_EDGE_SPECIAL = re.compile(rf"^(?:\s*(?:{_SPECIAL}))+|(?:\s*(?:{_SPECIAL}))+\s*$")
_ANY_SPECIAL = re.compile(_SPECIAL)
_LEADING_SPECIAL = re.compile(rf"\s*(?:{_SPECIAL})")
_USER_TURNS = (
    re.compile(r"<\|im_start\|>user\n?(.*?)(?:<\|im_end\|>|<\|im_start\|>|$)", re.S),
    re.compile(r"<\|start_header_id\|>user<\|end_header_id\|>\n*(.*?)(?:<\|eot_id\|>|<\|start_header_id\|>|$)", re.S),
    re.compile(r"<start_of_turn>user\n?(.*?)(?:<end_of_turn>|<start_of_turn>|$)", re.S),
    re.compile(r"<\|user\|>\n?(.*?)(?:<\|end\|>|</s>|<\|assistant\|>|$)", re.S),
    re.compile(r"<｜User｜>(.*?)(?:<｜Assistant｜>|$)", re.S),
    re.compile(r"\[INST\](.*?)(?:\[/INST\]|$)", re.S),
)
_LLAMA2_SYSTEM = re.compile(r"<<SYS>>.*?<</SYS>>", re.S)


def _strip_special(text: str) -> str:
    return _EDGE_SPECIAL.sub("", text).strip()


def user_text(templated_prompt: str) -> str:
    """The last user message of a chat-templated prompt (the whole text, special tokens removed, otherwise)."""
    for pattern in _USER_TURNS:
        turns = pattern.findall(templated_prompt)
        if turns:
            return _strip_special(_LLAMA2_SYSTEM.sub("", turns[-1]))
    return _ANY_SPECIAL.sub("", templated_prompt).strip()


def _clean_response(text: str) -> str:
    head = text.lstrip()
    for marker in _ASSISTANT_MARKERS:  # a prompt without generation prompt: the answer opens with the header
        if head.startswith(marker):
            text = head[len(marker):]
            break
    cut = len(text)
    for token in _END_TOKENS:
        at = text.find(token)
        if 0 <= at < cut:
            cut = at
    return _strip_special(text[:cut])


def split_query(query: str, prompt: str | None = None) -> Split:
    """Split OpenRLHF's `query` (templated prompt + response, as decoded by the actor) into the user's
    message and the response, robust to special tokens the decode added or dropped around the prompt."""
    query = "" if query is None else str(query)
    prompt = "" if prompt is None else str(prompt)
    if prompt and query.startswith(prompt):
        return Split(user_text(prompt), _clean_response(query[len(prompt):]), "prefix")
    if prompt.strip():
        core = _strip_special(prompt)
        at = query.find(core) if core else -1
        if at >= 0:  # a BOS or other token added/dropped around the prompt
            rest = query[at + len(core):]
            return Split(user_text(prompt), _clean_response(_strip_generation_prompt(rest)), "contains")
    best = -1
    best_marker = ""
    for marker in _ASSISTANT_MARKERS:
        at = query.rfind(marker)
        if at > best:
            best, best_marker = at, marker
    if best >= 0:
        head = query[:best]
        return Split(user_text(prompt or head), _clean_response(query[best + len(best_marker):]), "marker")
    return Split(user_text(prompt), _clean_response(query), "none")


def _strip_generation_prompt(rest: str) -> str:
    """What follows a prompt found without its trailing template tokens: drop them and the assistant header."""
    while True:
        stripped = rest.lstrip()
        for marker in _ASSISTANT_MARKERS:
            if stripped.startswith(marker):
                return stripped[len(marker):]
        match = _LEADING_SPECIAL.match(rest)
        if match is None:
            return rest
        rest = rest[match.end():]


def parse_label(label) -> tuple[str, str | None]:
    """(category, lang) of an OpenRLHF label: a category name, a JSON object / dict with `category` and
    optionally `lang`, or empty/None (benign). Anything else raises ValueError, so a wrong `--label_key`
    fails on the first batch instead of silently scoring every prompt as benign."""
    if label is None:
        return "benign", None
    if isinstance(label, str):
        text = label.strip()
        if not text:
            return "benign", None
        if text.lower() in CATEGORIES:
            return text.lower(), None
        if text.startswith("{"):
            try:
                label = json.loads(text)
            except ValueError:
                raise ValueError(f"label is not valid JSON: {text[:80]!r}") from None
        else:
            raise ValueError(f"label must be one of {', '.join(CATEGORIES)} (or a JSON object), got {text[:80]!r}")
    if isinstance(label, dict):
        category = label.get("category") or "benign"
        lang = label.get("lang") or None
        if not isinstance(category, str) or category.lower() not in CATEGORIES:
            raise ValueError(f"label category must be one of {', '.join(CATEGORIES)}, got {category!r}")
        if lang is not None and lang not in LANGS:
            raise ValueError(f"label lang must be one of {', '.join(LANGS)}, got {lang!r}")
        return category.lower(), lang
    raise ValueError(f"label must be a string or an object, got {type(label).__name__}")


def openrlhf_rewards(reward: JudgedReward, queries, prompts=None, labels=None) -> dict:
    """OpenRLHF's reward dict, as plain lists: `rewards` (the codealign reward, for advantages), `scores`
    (the reward rescaled from the reward bounds to 0..1, for dynamic filtering) and `extra_logs`
    (each reward component per sample, plus `codealign/split_fallback`: 1 where the query did not start
    with its prompt). Raises ValueError on mismatched lengths or bad labels."""
    queries = list(queries)
    count = len(queries)
    prompts = [None] * count if prompts is None else list(prompts)
    labels = [None] * count if labels is None else list(labels)
    if len(prompts) != count or len(labels) != count:
        raise ValueError(f"queries, prompts and labels differ in length ({count}, {len(prompts)}, {len(labels)})")
    parsed = [parse_label(label) for label in labels]
    splits = [split_query(q, p) for q, p in zip(queries, prompts)]
    rewards, judgements = reward.score([s.prompt for s in splits], [s.response for s in splits],
                                       category=[c for c, _ in parsed], lang=[lang for _, lang in parsed])
    rewards = [_finite(r) for r in rewards]
    scores = []
    for value, judgement in zip(rewards, judgements):
        low, high = judgement.config.bounds
        scores.append(min(1.0, max(0.0, (value - low) / (high - low))))
    components = [_components(j) for j in judgements]
    names = sorted({name for c in components for name in c})
    extra_logs = {f"codealign/{name}": [c.get(name, 0.0) for c in components] for name in names}
    extra_logs["codealign/split_fallback"] = [0.0 if s.method == "prefix" else 1.0 for s in splits]
    return {"rewards": rewards, "scores": scores, "extra_logs": extra_logs}


# ----------------------------------------------------------------------------------------------- requests
class RequestError(ValueError):
    """A malformed request: the server answers 400 with this message."""


def _texts(body: dict, key: str, count: int | None) -> list:
    values = body.get(key)
    if not isinstance(values, list):
        raise RequestError(f"'{key}' must be a list" if key in body else f"missing '{key}'")
    if count is not None and len(values) != count:
        raise RequestError(f"'{key}' has {len(values)} items, expected {count}")
    for index, value in enumerate(values):
        if not isinstance(value, (str, list, dict)):
            raise RequestError(f"'{key}'[{index}] must be a string or chat messages, got {type(value).__name__}")
        if isinstance(value, list) and not all(isinstance(m, dict) for m in value):
            raise RequestError(f"'{key}'[{index}] must be a list of {{role, content}} messages")
    return values


def _per_sample(body: dict, key: str, count: int, allowed: tuple[str, ...]) -> list | None:
    value = body.get(key)
    if value is None:
        return None
    values = [value] * count if isinstance(value, str) else value
    if not isinstance(values, list) or len(values) != count:
        raise RequestError(f"'{key}' must be one string or a list of {count} items")
    for index, item in enumerate(values):
        if item is not None and item not in allowed:
            raise RequestError(f"'{key}'[{index}] must be one of {', '.join(allowed)}, got {item!r}")
    return values


def handle_request(reward: JudgedReward, body, max_items: int = DEFAULT_MAX_ITEMS) -> dict:
    """The response object for a decoded JSON request body (either shape); RequestError when malformed."""
    if not isinstance(body, dict):
        raise RequestError("the request body must be a JSON object")
    if "query" in body:  # OpenRLHF remote reward model
        queries = body["query"]
        if not isinstance(queries, list) or not all(isinstance(q, str) for q in queries):
            raise RequestError("'query' must be a list of strings")
        if len(queries) > max_items:
            raise RequestError(f"at most {max_items} samples per request, got {len(queries)}")
        for key in ("prompts", "labels"):
            value = body.get(key)
            if value is not None and (not isinstance(value, list) or len(value) != len(queries)):
                raise RequestError(f"'{key}' must be a list of {len(queries)} items")
        if body.get("prompts") is not None and not all(isinstance(p, str) or p is None for p in body["prompts"]):
            raise RequestError("'prompts' must be a list of strings")
        try:
            return openrlhf_rewards(reward, queries, body.get("prompts"), body.get("labels"))
        except RequestError:
            raise
        except ValueError as exc:
            raise RequestError(str(exc)) from None
    if "completions" not in body and "prompts" not in body:
        raise RequestError("expected {'prompts', 'completions', 'category'?, 'lang'?} "
                           "or OpenRLHF's {'query', 'prompts', 'labels'}")
    completions = _texts(body, "completions", None)
    if len(completions) > max_items:
        raise RequestError(f"at most {max_items} samples per request, got {len(completions)}")
    prompts = _texts(body, "prompts", len(completions))
    category = _per_sample(body, "category", len(completions), CATEGORIES)
    lang = _per_sample(body, "lang", len(completions), LANGS)
    want_critique = body.get("critique", False)
    if not isinstance(want_critique, bool):
        raise RequestError("'critique' must be true or false")
    rewards, judgements = reward.score(prompts, completions, category=category, lang=lang)
    result = {"rewards": [_finite(r) for r in rewards], "components": [_components(j) for j in judgements]}
    if want_critique:
        result["critiques"] = [j.critique((lang or [None] * len(judgements))[i])
                               for i, j in enumerate(judgements)]
    return result


# ----------------------------------------------------------------------------------------------- server
class RewardHandler(BaseHTTPRequestHandler):
    server_version = f"codealign-reward/{__version__}"
    # HTTP/1.1 for `Expect: 100-continue`; every response says `Connection: close`, so one request per
    # connection and no idle keep-alive threads hold up a shutdown.
    protocol_version = "HTTP/1.1"
    timeout = SOCKET_TIMEOUT
    server: "RewardServer"

    def log_message(self, format, *args):  # noqa: A002 - the base class's signature
        if not self.server.quiet:
            super().log_message(format, *args)

    def _send(self, status: int, payload: dict) -> None:
        data = json.dumps(payload, ensure_ascii=False, allow_nan=False).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Connection", "close")
        self.end_headers()
        try:
            self.wfile.write(data)
        except OSError:  # the client went away
            self.close_connection = True

    def _error(self, status: int, message: str) -> None:
        self._send(status, {"error": message})

    def send_error(self, code, message=None, explain=None):
        """The base class's errors (bad request line, unsupported method, ...) as JSON too."""
        self.close_connection = True
        if getattr(self, "request_version", "HTTP/0.9") == "HTTP/0.9":  # garbage request line: answer HTTP/1.x
            self.request_version = "HTTP/1.0"
        short = self.responses.get(code, ("error",))[0]
        self._send(code, {"error": message or short})

    def handle_expect_100(self):
        length = self._content_length()
        if length is not None and length > self.server.max_body:
            self._too_large(length)
            return False
        return super().handle_expect_100()

    def _content_length(self) -> int | None:
        try:
            return int(self.headers.get("Content-Length"))
        except (TypeError, ValueError):
            return None

    def _too_large(self, length: int) -> None:
        self._error(HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                    f"request body of {length} bytes exceeds the limit of {self.server.max_body} bytes")

    def do_GET(self):  # noqa: N802 - http.server's naming
        if self.path.split("?", 1)[0] in ("/health", "/healthz"):
            self._send(HTTPStatus.OK, {
                "status": "ok", "version": __version__, "categories": list(CATEGORIES),
                "reward_model": self.server.reward.preference is not None,
            })
        else:
            self._error(HTTPStatus.NOT_FOUND, f"no such endpoint {self.path!r}: GET /health, POST /reward")

    def do_POST(self):  # noqa: N802
        if self.path.split("?", 1)[0] not in ("/reward", "/get_reward"):
            self._error(HTTPStatus.NOT_FOUND, f"no such endpoint {self.path!r}: POST /reward")
            return
        body = self._read_body()
        if body is None:
            return
        try:
            request = json.loads(body)
        except (ValueError, RecursionError) as exc:
            self._error(HTTPStatus.BAD_REQUEST, f"invalid JSON: {exc}")
            return
        try:
            with self.server.lock:
                result = handle_request(self.server.reward, request, self.server.max_items)
        except RequestError as exc:
            self._error(HTTPStatus.BAD_REQUEST, str(exc))
            return
        except Exception as exc:  # noqa: BLE001 - a scoring bug must not take the server down
            self.log_error("scoring failed: %r", exc)
            self._error(HTTPStatus.INTERNAL_SERVER_ERROR, f"scoring failed: {type(exc).__name__}: {exc}")
            return
        self._send(HTTPStatus.OK, result)

    def _read_body(self) -> bytes | None:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            self._error(HTTPStatus.BAD_REQUEST, "chunked bodies are not supported: send Content-Length")
            return None
        length = self._content_length()
        if length is None:
            self._error(HTTPStatus.BAD_REQUEST, "a numeric Content-Length header is required")
            return None
        if length < 0:
            self._error(HTTPStatus.BAD_REQUEST, "negative Content-Length")
            return None
        if length > self.server.max_body:
            self._too_large(length)
            self._discard(min(length, DRAIN_LIMIT))  # let the client read the answer instead of a reset
            return None
        body = self.rfile.read(length)
        if len(body) != length:
            self._error(HTTPStatus.BAD_REQUEST, f"truncated body: {len(body)} of {length} bytes")
            return None
        return body

    def _discard(self, length: int) -> None:
        try:
            while length > 0:
                chunk = self.rfile.read(min(length, 1 << 16))
                if not chunk:
                    break
                length -= len(chunk)
        except OSError:
            pass


class RewardServer(ThreadingHTTPServer):
    """The reward HTTP server. `start()` serves from a background thread; `stop()` shuts it down and waits
    for requests in flight."""

    daemon_threads = False  # server_close() waits for requests in flight
    block_on_close = True
    allow_reuse_address = True

    def __init__(self, reward: JudgedReward, host: str = "127.0.0.1", port: int = 8000, *,
                 max_body: int = DEFAULT_MAX_BODY, max_items: int = DEFAULT_MAX_ITEMS, quiet: bool = False):
        import socket  # noqa: PLC0415

        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.reward = reward
        self.max_body = int(max_body)
        self.max_items = int(max_items)
        self.quiet = quiet
        self.lock = threading.Lock()  # one scoring batch at a time: the preference model is not thread-safe
        self._thread: threading.Thread | None = None
        super().__init__((host, port), RewardHandler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind resolves the host's FQDN, which can stall on a machine without DNS.
        import socketserver  # noqa: PLC0415

        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = str(self.server_address[0]), int(self.server_address[1])

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"

    def start(self) -> "RewardServer":
        self._thread = threading.Thread(target=self.serve_forever, name="codealign-reward", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self.shutdown()
            self._thread.join()
            self._thread = None
        self.server_close()


def build_reward(weights: str | None = None, reward_model: str | None = None,
                 reward_model_weight: float = 0.5) -> JudgedReward:
    """The served reward; checks its files and warms it up (analyzers, learned model) before serving."""
    if weights is not None:
        if not Path(weights).is_file():
            raise CodealignError(f"--weights {weights}: no such file")
        from .scoring import load_weights  # noqa: PLC0415

        load_weights(weights)  # a bad file fails here (RulePackError), not on the first request
    if reward_model is not None and not (Path(reward_model) / "config.json").is_file():
        raise CodealignError(f"--reward-model {reward_model}: not a model folder (no config.json); "
                             "train one with `codealign train reward`")
    if not math.isfinite(reward_model_weight):
        raise CodealignError("--reward-model-weight must be a finite number")
    reward = JudgedReward(weights=weights, preference_model=reward_model, preference_weight=reward_model_weight)
    try:
        reward.score(["Write a Python function that adds two numbers."],
                     ["```python\ndef add(a, b):\n    return a + b\n```\nIt returns the sum."], category=["benign"])
    except (OSError, ValueError, ImportError) as exc:
        raise CodealignError(f"cannot load the reward: {exc}") from None
    return reward


def serve(reward: JudgedReward, host: str = "127.0.0.1", port: int = 8000, *, max_body: int = DEFAULT_MAX_BODY,
          max_items: int = DEFAULT_MAX_ITEMS, quiet: bool = False) -> int:
    """Serve until SIGINT/SIGTERM, then stop accepting, finish the requests in flight and return 0."""
    try:
        server = RewardServer(reward, host, port, max_body=max_body, max_items=max_items, quiet=quiet)
    except OSError as exc:
        raise CodealignError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    stop = threading.Event()
    previous = {}
    for signum in (signal.SIGINT, signal.SIGTERM):
        previous[signum] = signal.signal(signum, lambda *_: stop.set())
    try:
        server.start()
        print(f"codealign serve-reward: listening on {server.url} (POST /reward, GET /health)", flush=True)
        while not stop.wait(0.5):
            pass
        print("codealign serve-reward: shutting down", file=sys.stderr, flush=True)
    finally:
        server.stop()
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return 0


def add_parsers(subparsers) -> None:
    parser = subparsers.add_parser(
        "serve-reward", help="serve the reward over HTTP (Ray clusters, OpenRLHF --remote_rm_url)",
        description="HTTP reward server: POST /reward {prompts, completions, category?, lang?} -> "
                    "{rewards, components}; OpenRLHF's {query, prompts, labels} -> {rewards, scores, "
                    "extra_logs}; GET /health.")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (0.0.0.0 for a cluster; default %(default)s)")
    parser.add_argument("--port", type=int, default=8000, help="port (0 picks a free one and prints it; default %(default)s)")
    parser.add_argument("--weights", default=None, metavar="FILE", help="reward weights TOML (default rules/rewards.toml)")
    parser.add_argument("--reward-model", default=None, metavar="DIR",
                        help="learned preference model (`codealign train reward` output, <stage>/model)")
    parser.add_argument("--reward-model-weight", type=float, default=0.5, metavar="W",
                        help="weight of the squashed preference score (default %(default)s)")
    parser.add_argument("--max-body-bytes", type=int, default=DEFAULT_MAX_BODY, metavar="N",
                        help="larger request bodies get 413 (default %(default)s)")
    parser.add_argument("--max-batch", type=int, default=DEFAULT_MAX_ITEMS, metavar="N",
                        help="most samples per request (default %(default)s)")
    parser.add_argument("--quiet", action="store_true", help="no per-request access log on stderr")
    parser.set_defaults(handler=_run_serve)


def _run_serve(args) -> int:
    if not 0 <= args.port <= 65535:
        raise CodealignError(f"--port must be 0..65535, got {args.port}")
    if args.max_body_bytes < 1 or args.max_batch < 1:
        raise CodealignError("--max-body-bytes and --max-batch must be positive")
    reward = build_reward(args.weights, args.reward_model, args.reward_model_weight)
    return serve(reward, args.host, args.port, max_body=args.max_body_bytes, max_items=args.max_batch,
                 quiet=args.quiet)

"""Data Integrity proofs with the eddsa-rdfc-2022 cryptosuite (W3C vc-di-eddsa), offline.

Signing: canonicalize the proof options (with the document's @context) and the document without
its proof with RDFC-1.0 (pyld's URDNA2015, the same output), hash each with SHA-256, sign
`hash(options) || hash(document)` with Ed25519, put the signature in `proofValue` as multibase
base58btc ("z…").

Every JSON-LD context is served from credentials/contexts/ by `document_loader`; a context that
is not vendored there is refused (never fetched: a context's host could change what a signature
means, and a verifier must not make requests chosen by its input). The vendored contexts never
change, so what pyld makes of them (their resolution and processed term definitions) is kept
for the process in this module's own bounded cache, which only `document_loader` fills: without
it half of every canonicalization was reading and processing the same contexts again.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
import uuid
from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from pyld import jsonld  # type: ignore[import-untyped]
from pyld.canon import URDNA2015  # type: ignore[import-untyped]
from pyld.context_resolver import ContextResolver  # type: ignore[import-untyped]

CONTEXTS_DIR = Path(__file__).resolve().parent.parent / "contexts"
VC_V2 = "https://www.w3.org/ns/credentials/v2"
OB_V3 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
CLR_V2 = "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json"
CRYPTOSUITE = "eddsa-rdfc-2022"

# URL → vendored file.
CONTEXT_FILES = {
    VC_V2: "credentials-v2.json",
    "https://www.w3.org/ns/credentials/examples/v2": "credentials-examples-v2.json",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.1.json": "ob-v3p0-context-3.0.1.json",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.2.json": "ob-v3p0-context-3.0.2.json",
    OB_V3: "ob-v3p0-context-3.0.3.json",
    "https://purl.imsglobal.org/spec/ob/v3p0/context.json": "ob-v3p0-context-3.0.3.json",
    "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json": "ob-v3p0-extensions.json",
    CLR_V2: "clr-v2p0-context-2.0.1.json",
    "https://w3id.org/security/data-integrity/v2": "security-data-integrity-v2.json",
    "https://w3id.org/security/multikey/v1": "security-multikey-v1.json",
}


# Resolved contexts kept across calls (pyld's ContextResolver "shared cache"), ours rather than
# pyld's module-wide one so nothing but our loader's answers is ever in it. Bounded: inline
# contexts of documents given to the verifier are kept here too.
class _Bounded(dict[str, Any]):
    """A dict that forgets its oldest entry past `limit` entries."""

    limit = 100

    def __setitem__(self, key: str, value: Any) -> None:
        if key not in self and len(self) >= self.limit:
            del self[next(iter(self))]
        super().__setitem__(key, value)


_resolved_contexts = _Bounded()


class _Processor(jsonld.JsonLdProcessor):  # type: ignore[misc]
    """pyld's processor, remembering what processing a context gives.

    pyld keeps a processed context per (resolved context, active context) in its own cache, but
    a type-scoped context (the OB 3.0 context has one per type: Achievement, AchievementSubject,
    Profile…) is processed against a fresh copy of the active context every time, so the cache
    never hits and every document's expansion processes them again (most of its cost). Processing
    is a function of the active context and the local context (and the flags and base), and pyld
    never changes a processed context once made (it reuses them itself), so the result is kept
    here under the active context's identity (its `_uuid`, which pyld gives each context once)
    and the local context's JSON. Only this module's calls use it; bounded like the resolved
    contexts (inline contexts of documents given to the verifier end up here too)."""

    limit = 2000
    _memo: dict[tuple[Any, ...], Any] = {}

    def _process_context(
        self,
        active_ctx: Any,
        local_ctx: Any,
        options: Any,
        override_protected: bool = False,
        propagate: bool = True,
        validate_scoped: bool = True,
        cycles: Any = None,
    ) -> Any:
        local: str | None = None
        try:
            if "_uuid" not in active_ctx:
                active_ctx["_uuid"] = str(uuid.uuid4())
            local = json.dumps(local_ctx, sort_keys=True)
        except (TypeError, ValueError):  # a frozen context without an id, a context not JSON
            local = None
        key = (
            active_ctx.get("_uuid"),
            local,
            override_protected,
            propagate,
            validate_scoped,
            options.get("base", ""),
            options.get("processingMode"),
        )
        if local is not None and key in self._memo:
            return self._memo[key]
        processed = super()._process_context(
            active_ctx, local_ctx, options, override_protected, propagate, validate_scoped, cycles
        )
        if local is not None:
            if len(self._memo) >= self.limit:
                self._memo.clear()
            self._memo[key] = processed
        return processed


class ProofError(Exception):
    """The document cannot be canonicalized or its proof is malformed (message for people)."""


@cache
def _context(url: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((CONTEXTS_DIR / CONTEXT_FILES[url]).read_text())
    return document


def document_loader(url: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
    """pyld's loader: vendored contexts only."""
    if url not in CONTEXT_FILES:
        raise jsonld.JsonLdError(
            f"Context {url} is not one this verifier knows (contexts are never fetched).",
            "jsonld.LoadDocumentError",
            code="loading document failed",
        )
    # "static": pyld may keep its resolution of it (in _resolved_contexts) for later calls.
    return {"contextUrl": None, "documentUrl": url, "document": copy.deepcopy(_context(url)), "tag": "static"}


# --- multibase / multicodec -------------------------------------------------------------------

_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
ED25519_PUB = b"\xed\x01"
ED25519_PRIV = b"\x80\x26"


def base58_encode(data: bytes) -> str:
    number = int.from_bytes(data, "big")
    out = ""
    while number:
        number, rest = divmod(number, 58)
        out = _B58[rest] + out
    return "1" * (len(data) - len(data.lstrip(b"\0"))) + out


def base58_decode(text: str) -> bytes:
    number = 0
    for char in text:
        index = _B58.find(char)
        if index < 0:
            raise ValueError("not base58btc")
        number = number * 58 + index
    body = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
    return b"\0" * (len(text) - len(text.lstrip("1"))) + body


def multikey_encode(public_key: Ed25519PublicKey) -> str:
    """The Multikey `publicKeyMultibase` ("z6Mk…") of an Ed25519 public key."""
    return "z" + base58_encode(ED25519_PUB + public_key.public_bytes_raw())


def multikey_decode(value: str) -> Ed25519PublicKey:
    """ValueError unless `value` is a base58btc multibase Ed25519 public key."""
    if not isinstance(value, str) or not value.startswith("z"):
        raise ValueError("not a base58btc multibase value")
    raw = base58_decode(value[1:])
    if not raw.startswith(ED25519_PUB) or len(raw) != 34:
        raise ValueError("not an Ed25519 public key")
    return Ed25519PublicKey.from_public_bytes(raw[2:])


def multikey_private_decode(value: str) -> Ed25519PrivateKey:
    raw = base58_decode(value[1:]) if value.startswith("z") else b""
    if not raw.startswith(ED25519_PRIV) or len(raw) != 34:
        raise ValueError("not an Ed25519 secret key")
    return Ed25519PrivateKey.from_private_bytes(raw[2:])


# --- canonicalization, signing, verifying -----------------------------------------------------


def _jsonld_options() -> dict[str, Any]:
    return {
        "documentLoader": document_loader,
        "contextResolver": ContextResolver(_resolved_contexts, document_loader),
        "safe": True,
    }


def canonicalize(document: dict[str, Any]) -> str:
    try:
        nquads: str = _Processor().normalize(
            document, {"algorithm": "URDNA2015", "format": "application/n-quads", **_jsonld_options()}
        )
    except jsonld.JsonLdError as exc:
        raise ProofError(_jsonld_message(exc)) from exc
    except (TypeError, ValueError, KeyError, AttributeError, RecursionError) as exc:
        raise ProofError(f"The document is not valid JSON-LD ({exc.__class__.__name__}).") from exc
    return nquads


class Template:
    """The canonical form of many documents that differ from one template only in some values.

    Canonicalizing is mostly JSON-LD expansion (the contexts' scoped term definitions, processed
    again for every document); the RDF dataset of documents built alike differs only in those
    values. So the template, a document with unique placeholder `tokens` where the values go
    (whole literals, or parts of IRIs such as a status entry's `#index`), is turned into its RDF
    dataset once, and `nquads(values)` puts each document's values in place of the tokens
    in that dataset and runs only RDFC-1.0 (URDNA2015) on it: the same N-Quads as
    `canonicalize(document)` of the document built with those values, at about a fifth of the
    cost. Values go into the dataset, never into N-Quads text, so nothing needs escaping.

    The caller checks one document per template against `canonicalize` (batch issuing does), so
    a template whose values do not land where the document's do is never used to sign.
    """

    def __init__(self, document: dict[str, Any], tokens: Sequence[str]) -> None:
        if not tokens:
            raise ValueError("a template needs at least one token")
        self.tokens = tuple(tokens)
        self._pattern = re.compile("|".join(re.escape(t) for t in sorted(self.tokens, key=len, reverse=True)))
        try:
            dataset = _Processor().to_rdf(document, {**_jsonld_options(), "produceGeneralizedRdf": False})
        except jsonld.JsonLdError as exc:
            raise ProofError(_jsonld_message(exc)) from exc
        if set(dataset) - {"@default"}:
            raise ProofError("A template with named graphs is not supported.")
        self._quads: list[dict[str, dict[str, str]]] = dataset.get("@default", [])
        # Which (quad, position) carries a token; every token must be somewhere.
        self._slots: dict[int, tuple[str, ...]] = {}
        found: set[str] = set()
        for i, quad in enumerate(self._quads):
            positions = []
            for position, component in quad.items():
                hits = self._pattern.findall(component.get("value", ""))
                if hits:
                    positions.append(position)
                    found.update(hits)
            if positions:
                self._slots[i] = tuple(positions)
        missing = set(self.tokens) - found
        if missing:
            raise ValueError(f"tokens not in the template's dataset: {sorted(missing)}")

    def nquads(self, values: Mapping[str, str]) -> str:
        """The canonical N-Quads of the document with `values` (token → value) in place."""

        def put(match: re.Match[str]) -> str:
            return values[match.group(0)]

        quads = []
        for i, quad in enumerate(self._quads):
            positions = self._slots.get(i)
            if positions is None:
                quads.append({k: dict(v) for k, v in quad.items()})
                continue
            copied = {k: dict(v) for k, v in quad.items()}
            for position in positions:
                copied[position]["value"] = self._pattern.sub(put, copied[position]["value"])
            quads.append(copied)
        nquads: str = URDNA2015().main({"@default": quads}, {"format": "application/n-quads"})
        return nquads


def _jsonld_message(exc: Exception) -> str:
    cause: Any = exc
    while getattr(cause, "cause", None) is not None:
        cause = cause.cause
    text = str(getattr(cause, "message", None) or cause).splitlines()[0]
    return f"The document is not valid JSON-LD for these contexts: {text}"


def _hash_data(unsecured: dict[str, Any], options: dict[str, Any]) -> bytes:
    options = {**options, "@context": unsecured.get("@context")}
    return (
        hashlib.sha256(canonicalize(options).encode()).digest()
        + hashlib.sha256(canonicalize(unsecured).encode()).digest()
    )


def proof_options(*, verification_method: str, created: str) -> dict[str, Any]:
    return {
        "type": "DataIntegrityProof",
        "cryptosuite": CRYPTOSUITE,
        "created": created,
        "verificationMethod": verification_method,
        "proofPurpose": "assertionMethod",
    }


def sign(
    document: dict[str, Any], *, private_key: Ed25519PrivateKey, verification_method: str, created: str
) -> dict[str, Any]:
    """A copy of `document` with an eddsa-rdfc-2022 proof."""
    unsecured = {k: v for k, v in document.items() if k != "proof"}
    options = proof_options(verification_method=verification_method, created=created)
    signature = private_key.sign(_hash_data(unsecured, options))
    return {**copy.deepcopy(unsecured), "proof": {**options, "proofValue": "z" + base58_encode(signature)}}


def options_digest(*, context: object, verification_method: str, created: str) -> bytes:
    """SHA-256 of the canonical proof options (with the document's @context): the first half
    of what eddsa-rdfc-2022 signs, the same for every document signed alike."""
    options = {
        **proof_options(verification_method=verification_method, created=created),
        "@context": context,
    }
    return hashlib.sha256(canonicalize(options).encode()).digest()


def sign_canonical(
    document: dict[str, Any],
    *,
    canonical: str,
    options_hash: bytes,
    private_key: Ed25519PrivateKey,
    verification_method: str,
    created: str,
) -> dict[str, Any]:
    """`sign`, given the document's canonical N-Quads (`canonicalize(document)` or a Template's)
    and `options_digest` of the same context, method and time. The document is not copied."""
    options = proof_options(verification_method=verification_method, created=created)
    signature = private_key.sign(options_hash + hashlib.sha256(canonical.encode()).digest())
    return {**document, "proof": {**options, "proofValue": "z" + base58_encode(signature)}}


def the_proof(document: dict[str, Any]) -> dict[str, Any]:
    """The document's one eddsa-rdfc-2022 proof, or ProofError saying what is wrong."""
    proof = document.get("proof")
    if isinstance(proof, list):
        ours = [p for p in proof if isinstance(p, dict) and p.get("cryptosuite") == CRYPTOSUITE]
        if len(ours) != 1:
            raise ProofError("The credential has no single eddsa-rdfc-2022 proof.")
        proof = ours[0]
    if not isinstance(proof, dict):
        raise ProofError("The credential has no embedded proof.")
    if proof.get("type") != "DataIntegrityProof" or proof.get("cryptosuite") != CRYPTOSUITE:
        raise ProofError(
            f"The proof is {proof.get('type')!s} / {proof.get('cryptosuite')!s}; "
            "this verifier checks DataIntegrityProof with eddsa-rdfc-2022."
        )
    if proof.get("proofPurpose") != "assertionMethod":
        raise ProofError("The proof's purpose is not assertionMethod.")
    if not isinstance(proof.get("verificationMethod"), str) or not isinstance(proof.get("proofValue"), str):
        raise ProofError("The proof names no verification method or carries no proof value.")
    return proof


def verify(document: dict[str, Any], *, public_key: Ed25519PublicKey) -> bool:
    """Whether the document's eddsa-rdfc-2022 proof is the key's signature of it; ProofError
    when the proof or the document cannot be checked at all."""
    proof = the_proof(document)
    value: str = proof["proofValue"]
    try:
        signature = base58_decode(value[1:]) if value.startswith("z") else b""
    except ValueError:
        signature = b""
    if len(signature) != 64:
        raise ProofError("The proof value is not a base58btc Ed25519 signature.")
    unsecured = {k: v for k, v in document.items() if k != "proof"}
    options = {k: v for k, v in proof.items() if k != "proofValue"}
    try:
        public_key.verify(signature, _hash_data(unsecured, options))
    except InvalidSignature:
        return False
    return True

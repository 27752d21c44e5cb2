"""Random ids, secrets and join codes.

Secrets (login tokens, seat tokens, rejoin keys) come from the OS's CSPRNG and are stored only
as their SHA-256, so that the database alone lets nobody in. Join codes are short on purpose —
read off a projector, typed on a laptop — so they are guarded by a rate limit on wrong guesses,
not by length.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import unicodedata

# No look-alikes: no 0/O/Q/D, 1/I/L, 2/Z, 5/S, 8/B, U/V.
CODE_ALPHABET = "3469ACEFGHJKMNPRTWXY"
CODE_LENGTH = 6
KEY_LENGTH = 8  # a seat's rejoin key, from the same alphabet
MAX_NAME_LENGTH = 40


def new_id() -> str:
    """An opaque id for a row (96 bits, URL-safe)."""
    return secrets.token_urlsafe(12)


def new_token() -> str:
    """A secret a browser or a script holds (256 bits, URL-safe)."""
    return secrets.token_urlsafe(32)


def digest(secret: str) -> str:
    """What the store keeps of a secret: its SHA-256 in hex."""
    return hashlib.sha256(secret.encode()).hexdigest()


def new_code(length: int = CODE_LENGTH) -> str:
    """A join code (or rejoin key): ``length`` characters of ``CODE_ALPHABET``."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))


def normalise_code(text: str) -> str:
    """What a student typed → the code as stored: upper case, spaces and dashes dropped."""
    return re.sub(r"[\s\-]", "", text).upper()[:32]


def clean_name(name: str) -> str:
    """A display name as shown: Unicode-normalised, control characters dropped, inner runs of
    space collapsed. (Escaping is the templates' and the page's job.)"""
    name = " ".join(unicodedata.normalize("NFKC", name).split())  # tabs and newlines too
    return "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")


def name_key(name: str) -> str:
    """Two names are the same name when their keys are equal ("Ada  L" = "ada l")."""
    return clean_name(name).casefold()

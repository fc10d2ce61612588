"""Ed25519 signing keys and the verifier's list of trusted keys.

A signer's private key lives in the user's configuration folder, never in a record or a store:
``$LIFECYCLE_WIDGETS_KEYS``, else ``$XDG_CONFIG_HOME/lifecycle_widgets/keys``, else
``~/.config/lifecycle_widgets/keys``; one ``NAME.key`` file (PKCS#8 PEM, mode 0600) per key, with
its public line in ``NAME.pub``. What is signed is a canonical form: JSON with sorted keys and no
spaces, in UTF-8 (:func:`canonical_json`). A signature names its key by fingerprint
(``SHA256:`` and the unpadded base64 of the SHA-256 of the raw public key, as OpenSSH prints it)
and by the name the signer gave it; only the fingerprint counts.

Trust belongs to the verifier. A trusted-keys file works like git's allowed-signers file: one
``NAME ED25519-PUBLIC-KEY-BASE64`` per line (what ``lifecycle-widgets keys export NAME`` prints),
blank lines and ``#`` comments allowed. The verifier's name for a key is the one that file gives.

Examples
--------
>>> from lifecycle_widgets.store.keys import TrustedKeys, new_key
>>> import tempfile
>>> folder = tempfile.mkdtemp()
>>> alice = new_key("alice", folder=folder)
>>> block = alice.sign_json({"x": 1})
>>> trusted = TrustedKeys.parse(alice.public_line())
>>> trusted.check(block, {"x": 1}) is None
True
>>> trusted.check(block, {"x": 2})
'signature does not match the content'
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lifecycle_widgets.exceptions import MissingDependencyError, ParameterError

KEYS_ENV = "LIFECYCLE_WIDGETS_KEYS"
SIGNER_ENV = "LIFECYCLE_WIDGETS_SIGNER"
TRUSTED_KEYS_ENV = "LIFECYCLE_WIDGETS_TRUSTED_KEYS"
ALGORITHM = "ed25519"
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.@+-]{0,63}")


def _crypto() -> Any:
    try:
        from cryptography.hazmat.primitives.asymmetric import ed25519
    except ImportError as err:
        raise MissingDependencyError("cryptography", "audit", "Signing and verifying records") from err
    return ed25519


def canonical_json(value: Any) -> bytes:
    """The bytes that are signed and hashed: sorted keys, no spaces, UTF-8, finite numbers only.

    Examples
    --------
    >>> canonical_json({"b": [1, 2.5], "a": "é"})
    b'{"a":"\\xc3\\xa9","b":[1,2.5]}'
    """
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def fingerprint(public_raw: bytes) -> str:
    """``SHA256:`` and the unpadded base64 of the SHA-256 of a raw 32-byte public key.

    Examples
    --------
    >>> fingerprint(bytes(32))
    'SHA256:Zmh6rfhivXdsj8GLjp+OIAiXFIVu4jOzkCpZHQ1fKSU'
    """
    digest = hashlib.sha256(public_raw).digest()
    return "SHA256:" + base64.b64encode(digest).decode("ascii").rstrip("=")


def config_dir() -> Path:
    """``$XDG_CONFIG_HOME/lifecycle_widgets``, else ``~/.config/lifecycle_widgets``."""
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(base) / "lifecycle_widgets"


def keys_dir() -> Path:
    """Where private keys live: ``$LIFECYCLE_WIDGETS_KEYS``, else ``config_dir() / "keys"``."""
    return Path(os.environ.get(KEYS_ENV) or config_dir() / "keys")


def check_key_name(name: object) -> str:
    """``name`` if it can name a key (letters, digits, ``_.@+-``, not starting with a dot)."""
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise ParameterError.bad_value(
            "name", "the key commands", "1-64 letters, digits or _.@+- not starting with a dot or dash", name
        )
    return name


@dataclass(frozen=True)
class Signer:
    """A private key that signs: its name, fingerprint, and (when it came from a file) its path."""

    name: str
    private_key: Any
    path: Path | None = None

    @property
    def public_raw(self) -> bytes:
        from cryptography.hazmat.primitives import serialization

        return self.private_key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.public_raw)

    def public_line(self) -> str:
        """The line for a trusted-keys (allowed-signers) file: ``NAME BASE64``."""
        return f"{self.name} {base64.b64encode(self.public_raw).decode('ascii')}"

    def sign(self, message: bytes) -> dict[str, str]:
        """A signature block over ``message``: algorithm, key fingerprint, signer name, value."""
        value = base64.b64encode(self.private_key.sign(message)).decode("ascii")
        return {"algorithm": ALGORITHM, "key": self.fingerprint, "signer": self.name, "value": value}

    def sign_json(self, value: Any) -> dict[str, str]:
        """A signature block over the canonical JSON of ``value``."""
        return self.sign(canonical_json(value))

    def __repr__(self) -> str:  # never print key material
        return f"<Signer {self.name!r} {self.fingerprint}>"


def _key_path(name: str, folder: str | os.PathLike[str] | None) -> Path:
    return Path(folder if folder is not None else keys_dir()) / f"{check_key_name(name)}.key"


def new_key(name: str, *, folder: str | os.PathLike[str] | None = None) -> Signer:
    """Make a new Ed25519 key ``name``; its private half is written with mode 0600 to ``folder``
    (default :func:`keys_dir`), created 0700 if needed. An existing key is never replaced.

    Examples
    --------
    >>> import tempfile
    >>> from lifecycle_widgets.store.keys import new_key
    >>> signer = new_key("ci", folder=tempfile.mkdtemp())
    >>> oct(signer.path.stat().st_mode & 0o777), signer.fingerprint.startswith("SHA256:")
    ('0o600', True)
    """
    ed25519 = _crypto()
    from cryptography.hazmat.primitives import serialization

    target = _key_path(name, folder)
    if target.exists():
        raise ParameterError(f"A key named {name!r} already exists at {str(target)!r}; choose another name.")
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    key = ed25519.Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(pem)
            fh.flush()
            os.fsync(fh.fileno())
        os.link(tmp, target)  # unlike a rename, fails if another process made the key meanwhile
    except FileExistsError as err:
        raise ParameterError(
            f"A key named {name!r} already exists at {str(target)!r}; choose another name."
        ) from err
    finally:
        tmp.unlink(missing_ok=True)
    signer = Signer(name, key, target)
    pub = target.with_suffix(".pub")
    pub_tmp = pub.with_name(f".{pub.name}.{os.getpid()}.tmp")
    pub_tmp.write_text(signer.public_line() + "\n", encoding="utf-8")
    os.replace(pub_tmp, pub)
    return signer


def load_key(name: str, *, folder: str | os.PathLike[str] | None = None) -> Signer:
    """The private key ``name`` from ``folder`` (default :func:`keys_dir`); refused when its file
    can be read by anyone but its owner.

    Examples
    --------
    >>> import tempfile
    >>> folder = tempfile.mkdtemp()
    >>> made = new_key("ci", folder=folder)
    >>> load_key("ci", folder=folder).fingerprint == made.fingerprint
    True
    """
    _crypto()
    from cryptography.hazmat.primitives import serialization

    path = _key_path(name, folder)
    if not path.is_file():
        known = [k.name for k in list_keys(folder=folder)]
        raise ParameterError(
            f"No key named {name!r} in {str(path.parent)!r}; "
            + (
                f"the keys there are {', '.join(known)}."
                if known
                else "make one with: lifecycle-widgets keys new NAME"
            )
        )
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ParameterError(
            f"The key file {str(path)!r} can be read by others (mode {oct(mode & 0o777)}); "
            f"run: chmod 600 {path}"
        )
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (ValueError, TypeError) as err:
        raise ParameterError(f"The key file {str(path)!r} is not a readable private key: {err}") from err
    if not isinstance(key, _crypto().Ed25519PrivateKey):
        raise ParameterError(f"The key file {str(path)!r} does not hold an Ed25519 key.")
    return Signer(name, key, path)


def list_keys(*, folder: str | os.PathLike[str] | None = None) -> list[Signer]:
    """Every key in ``folder`` (default :func:`keys_dir`), by name.

    Examples
    --------
    >>> import tempfile
    >>> folder = tempfile.mkdtemp()
    >>> _ = new_key("b", folder=folder), new_key("a", folder=folder)
    >>> [k.name for k in list_keys(folder=folder)]
    ['a', 'b']
    """
    root = Path(folder if folder is not None else keys_dir())
    if not root.is_dir():
        return []
    return [load_key(p.stem, folder=root) for p in sorted(root.glob("*.key")) if _NAME.fullmatch(p.stem)]


def default_signer(name: str | None = None) -> Signer | None:
    """The key that signs in this process: ``name``, else ``$LIFECYCLE_WIDGETS_SIGNER``, else the
    only key in :func:`keys_dir`; None when there is no key at all (writes are then unsigned,
    and verification reports them as such).

    Examples
    --------
    >>> import os, tempfile
    >>> saved = dict(os.environ)
    >>> os.environ.update(LIFECYCLE_WIDGETS_KEYS=tempfile.mkdtemp(), LIFECYCLE_WIDGETS_SIGNER="")
    >>> default_signer() is None
    True
    >>> _ = new_key("only")
    >>> default_signer().name
    'only'
    >>> os.environ.clear(); os.environ.update(saved)
    """
    chosen = name or os.environ.get(SIGNER_ENV)
    if chosen:
        return load_key(chosen)
    found = list_keys()
    if len(found) > 1:
        raise ParameterError(
            f"{len(found)} keys in {str(keys_dir())!r} ({', '.join(k.name for k in found)}): say which "
            f"one signs with ${SIGNER_ENV}=NAME or signer=NAME."
        )
    return found[0] if found else None


def require_signer(signer: Signer | str | None) -> Signer:
    """``signer`` as a :class:`Signer` (a name is loaded), else :func:`default_signer`; an error
    when there is none, since a record nobody signed proves nothing."""
    if isinstance(signer, Signer):
        return signer
    found = default_signer(signer)
    if found is None:
        raise ParameterError(
            f"Audit records are signed, and there is no signing key in {str(keys_dir())!r}. Make one with: "
            "lifecycle-widgets keys new NAME (or point $LIFECYCLE_WIDGETS_KEYS at a folder of keys)."
        )
    return found


@dataclass(frozen=True)
class TrustedKeys:
    """The public keys a verifier trusts, by fingerprint, with the verifier's name for each."""

    keys: dict[str, tuple[str, bytes]]
    source: str = "<text>"

    @classmethod
    def parse(cls, text: str, source: str = "<text>") -> TrustedKeys:
        """Read allowed-signers lines: ``NAME BASE64``; blank lines and ``# comments`` are skipped.

        Examples
        --------
        >>> TrustedKeys.parse("# team\\nbob " + "A" * 43 + "=\\n").names()
        ['bob']
        """
        found: dict[str, tuple[str, bytes]] = {}
        for number, raw in enumerate(text.splitlines(), 1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            parts = line.split()
            if len(parts) != 2:
                raise ParameterError(
                    f"{source} line {number}: expected 'NAME ED25519-PUBLIC-KEY-BASE64' "
                    f"(as `lifecycle-widgets keys export NAME` prints); got {raw!r}."
                )
            name, b64 = parts
            try:
                raw_key = base64.b64decode(b64, validate=True)
            except (binascii.Error, ValueError):
                raw_key = b""
            if len(raw_key) != 32:
                raise ParameterError(
                    f"{source} line {number}: {b64!r} is not a base64 Ed25519 public key (32 bytes)."
                )
            found[fingerprint(raw_key)] = (name, raw_key)
        return cls(found, source)

    @classmethod
    def from_file(cls, path: str | os.PathLike[str]) -> TrustedKeys:
        """Read a trusted-keys file."""
        target = Path(path)
        if target.is_dir():
            raise ParameterError(
                f"The trusted-keys path {str(target)!r} is a folder; give the file of public keys."
            )
        try:
            text = target.read_text(encoding="utf-8")
        except FileNotFoundError as err:
            raise ParameterError(f"No trusted-keys file at {str(target)!r}.") from err
        except (OSError, UnicodeDecodeError) as err:
            raise ParameterError(f"The trusted-keys file {str(target)!r} cannot be read: {err}") from err
        return cls.parse(text, str(target))

    def names(self) -> list[str]:
        """The verifier's names for its keys."""
        return sorted({name for name, _ in self.keys.values()})

    def name_of(self, key: str) -> str | None:
        """The verifier's name for fingerprint ``key``, or None when it is not trusted."""
        entry = self.keys.get(key)
        return entry[0] if entry else None

    def check(self, block: Any, content: Any = None, *, message: bytes | None = None) -> str | None:
        """None when ``block`` is a valid signature by a trusted key over ``message`` (or the
        canonical JSON of ``content``); otherwise what is wrong, in words.

        Examples
        --------
        >>> import tempfile
        >>> mine, theirs = (new_key(n, folder=tempfile.mkdtemp()) for n in ("me", "them"))
        >>> TrustedKeys.parse(mine.public_line()).check(theirs.sign_json([1]), [1])[:32]
        'signed by a key you do not trust'
        """
        if not block:
            return "not signed"
        if not isinstance(block, dict) or block.get("algorithm") != ALGORITHM:
            return "signature block is not an Ed25519 signature"
        key, claimed = block.get("key"), block.get("signer")
        entry = self.keys.get(str(key))
        if entry is None:
            return f"signed by a key you do not trust ({key}, calling itself {claimed!r})"
        ed25519 = _crypto()
        from cryptography.exceptions import InvalidSignature

        try:
            value = base64.b64decode(str(block.get("value")), validate=True)
            ed25519.Ed25519PublicKey.from_public_bytes(entry[1]).verify(
                value, message if message is not None else canonical_json(content)
            )
        except (InvalidSignature, binascii.Error, ValueError):
            return "signature does not match the content"
        return None


def trusted_keys_from(value: TrustedKeys | str | os.PathLike[str] | None, *, caller: str) -> TrustedKeys:
    """The verifier's trusted keys: ``value`` (keys or a file), else ``$LIFECYCLE_WIDGETS_TRUSTED_KEYS``,
    else ``config_dir() / "allowed_signers"`` when it exists. Never anything a record names."""
    if isinstance(value, TrustedKeys):
        return value
    if value is not None:
        return TrustedKeys.from_file(value)
    env = os.environ.get(TRUSTED_KEYS_ENV)
    if env:
        return TrustedKeys.from_file(env)
    default = config_dir() / "allowed_signers"
    if default.is_file():
        return TrustedKeys.from_file(default)
    raise ParameterError(
        f"{caller} needs the keys you trust: --trusted-keys FILE (trusted_keys= in Python), "
        f"${TRUSTED_KEYS_ENV}, or {default}. Each line: NAME PUBLIC-KEY, as "
        "`lifecycle-widgets keys export NAME` prints it."
    )

"""Access to the lake's objects, on S3 or a local folder, with errors a person can act on."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import sys
import threading
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import fsspec

from lakebook.common.lake import LakePaths
from lakebook.common.settings import Settings

if TYPE_CHECKING:
    # aiobotocore (with aiohttp and botocore, ~0.35 s to import) loads with the first S3 store:
    # a kernel that only reads local files, or a lake in a local folder, never needs it.
    from aiobotocore.session import AioSession


class LakeError(RuntimeError):
    """The lake could not be read or written; the message says what to check."""


class LakeAccessError(LakeError):
    """Credentials were refused, or they lack permission for what was asked."""


class LakeNotFoundError(LakeError):
    """The bucket, dataset or run does not exist."""


@dataclass(frozen=True)
class LakeStore:
    """One lake root plus the clients that reach it: fsspec for objects, Polars options for data."""

    paths: LakePaths
    fs: fsspec.AbstractFileSystem
    polars_options: dict[str, str] = field(default_factory=dict)
    endpoint: str = "local folder"

    @classmethod
    def from_settings(cls, settings: Settings) -> LakeStore:
        paths = LakePaths(settings.s3.lake_root)
        if paths.root.startswith("file://"):
            return cls(paths=paths, fs=fsspec.filesystem("file", auto_mkdir=True))
        key = settings.require_secret("s3_access_key_id")
        secret = settings.require_secret("s3_secret_access_key")
        timeout = settings.outbound_timeout_seconds
        fs = fsspec.filesystem(
            "s3",
            session=s3_session(),
            key=key,
            secret=secret,
            # Listings must be fresh: another process may have just published a run.
            use_listings_cache=False,
            skip_instance_cache=True,
            client_kwargs={
                "endpoint_url": settings.s3.url,
                "region_name": settings.s3.region,
                **plain_http_client_options(settings.s3.url),
            },
            config_kwargs={
                "connect_timeout": timeout,
                "read_timeout": max(timeout, 30.0),
                "retries": {"max_attempts": 3, "mode": "standard"},
            },
        )
        polars_options = {
            "aws_access_key_id": key,
            "aws_secret_access_key": secret,
            "aws_endpoint_url": settings.s3.url,
            "aws_region": settings.s3.region,
            "aws_allow_http": str(settings.s3.url.startswith("http://")).lower(),
        }
        return cls(paths=paths, fs=fs, polars_options=polars_options, endpoint=settings.s3.url)

    @classmethod
    def shared(cls, settings: Settings) -> LakeStore:
        """This process's store for the lake the settings name, made on first use: a new S3
        client costs 0.15-0.4 s before its first call (botocore loads the S3 service model),
        more than the lake calls of a whole task. Keyed by process id too, since an S3 client
        does not survive a fork (runs fork from the runner's forkserver)."""
        key = (os.getpid(), *_connection_key(settings))
        with _shared_lock:
            store = _shared_stores.get(key)
            if store is None:
                store = _shared_stores[key] = cls.from_settings(settings)
            return store

    @property
    def is_local(self) -> bool:
        return self.paths.root.startswith("file://")

    def fs_path(self, key: str) -> str:
        """The path fsspec expects for a key: `bucket/key` on S3, an absolute path locally."""
        return str(self.fs._strip_protocol(self.paths.uri(key)))

    def data_target(self, key: str) -> str:
        """Where Polars reads or writes a key: an s3:// URI, or a plain local path."""
        return self.fs_path(key) if self.is_local else self.paths.uri(key)

    @contextlib.contextmanager
    def translate_errors(self, action: str, key: str) -> Iterator[None]:
        """Turns storage exceptions into LakeErrors that name the object, endpoint and fix."""
        where = f"{self.paths.uri(key)} ({self.endpoint})"
        try:
            yield
        except PermissionError as error:
            raise LakeAccessError(_access_problem(action, where, str(error))) from error
        except FileNotFoundError as error:
            raise LakeNotFoundError(f"cannot {action} {where}: {error}") from error
        except OSError as error:
            raise LakeError(f"cannot {action} {where}: {error}") from error
        except Exception as error:
            if _endpoint_unreachable(error):
                raise LakeError(
                    f"cannot {action} {where}: the lake's S3 endpoint does not answer (down or "
                    f"restarting; try again shortly): {error}"
                ) from error
            raise

    def write_bytes(self, key: str, data: bytes) -> None:
        with self.translate_errors("write", key):
            self.fs.pipe_file(self.fs_path(key), data)

    def write_stream(self, key: str, chunks: Iterable[bytes]) -> int:
        """Streams chunks into one object; if anything fails, no object is left behind."""
        with self.translate_errors("write", key):
            out = self.fs.open(self.fs_path(key), "wb")
            written = 0
            try:
                for chunk in chunks:
                    out.write(chunk)
                    written += len(chunk)
            except BaseException:
                if hasattr(out, "discard") and not self.is_local:
                    out.discard()  # aborts the multipart upload: S3 never shows the object
                else:
                    out.close()
                    self.fs.rm_file(self.fs_path(key))
                raise
            out.close()
            return written

    def write_many(self, objects: Mapping[str, bytes]) -> None:
        """Writes several small objects; on S3 side by side, in about the time of one."""
        first = next(iter(objects), "")
        with self.translate_errors("write", first):
            self.fs.pipe({self.fs_path(key): data for key, data in objects.items()})

    def read_bytes(self, key: str) -> bytes:
        with self.translate_errors("read", key):
            data: bytes = self.fs.cat_file(self.fs_path(key))
            return data

    def remove(self, key: str) -> None:
        """Deletes a key; a missing key is fine (retries delete what may not exist)."""
        # S3: one DeleteObject, which succeeds for a missing key but still checks permission
        # and the bucket (fsspec's rm sends a DeleteObjects batch, slower on SeaweedFS).
        missing_is_fine = (FileNotFoundError,) if self.is_local else ()
        with self.translate_errors("delete", key), contextlib.suppress(*missing_is_fine):
            self.fs.rm_file(self.fs_path(key))

    def remove_prefix(self, prefix: str) -> None:
        """Deletes every object under a prefix; an empty or missing prefix is fine."""
        with self.translate_errors("delete", prefix):
            path = self.fs_path(prefix)
            if self.fs.exists(path):
                self.fs.rm(path, recursive=True)

    def details(self, key: str) -> dict[str, Any] | None:
        """fsspec's details of one object (S3: a HEAD), or None if there is no such object."""
        with self.translate_errors("stat", key):
            try:
                info: dict[str, Any] = self.fs.info(self.fs_path(key))
            except FileNotFoundError:
                return None
        return info if info.get("type") != "directory" else None

    def size(self, key: str) -> int:
        with self.translate_errors("stat", key):
            return int(self.fs.size(self.fs_path(key)))

    def find(self, prefix: str) -> dict[str, dict[str, Any]]:
        """Every object under a prefix, keyed relative to the lake root, with fsspec's details."""
        with self.translate_errors("list", prefix):
            base = self.fs_path("")
            if self.is_local and not self.fs.isdir(base):
                raise FileNotFoundError(f"folder {base} does not exist")
            found: dict[str, dict[str, Any]] = self.fs.find(
                self.fs_path(prefix), detail=True, withdirs=False
            )
        root = base.rstrip("/") + "/"
        return {name.removeprefix(root): info for name, info in found.items()}

    def first_keys(self, prefix: str, count: int) -> list[str]:
        """The first `count` keys under a prefix in byte order, relative to the lake root: on S3
        one LIST of at most `count` keys, however many the prefix holds."""
        if self.is_local:
            return sorted(self.find(prefix))[:count]
        root = self.fs_path("").rstrip("/") + "/"
        bucket, _, key_prefix = self.fs_path(prefix).partition("/")
        with self.translate_errors("list", prefix):
            listing = self.fs.call_s3(
                "list_objects_v2", Bucket=bucket, Prefix=key_prefix, MaxKeys=count
            )
        keys = (f"{bucket}/{entry['Key']}" for entry in listing.get("Contents", []))
        return [key.removeprefix(root) for key in keys if key.startswith(root)]

    def presigned_url(self, key: str, expires_seconds: int) -> str | None:
        """A time-limited GET URL for one object (None for a local-folder lake)."""
        if self.is_local:
            return None
        with self.translate_errors("sign", key):
            return str(self.fs.url(self.fs_path(key), expires=expires_seconds))

    def check_bucket(self) -> None:
        """Raises a LakeError unless the bucket (or folder) exists and these credentials can list
        it; a lake root below the bucket that holds nothing yet is an empty lake, not an error."""
        with self.translate_errors("list", ""):
            base = self.fs_path("")
            if self.is_local:
                if not self.fs.isdir(base):
                    raise FileNotFoundError(f"folder {base} does not exist")
                return
            bucket = base.strip("/").split("/", 1)[0]
            self.fs.ls(bucket, refresh=True)


def _endpoint_unreachable(error: Exception) -> bool:
    """botocore's "could not connect" and timeouts, which s3fs passes on as they are (not as
    OSError). botocore is looked up, not imported: a local lake never loads the S3 stack."""
    botocore_errors = sys.modules.get("botocore.exceptions")
    if botocore_errors is None:
        return False
    return isinstance(error, (botocore_errors.ConnectionError, botocore_errors.HTTPClientError))


_shared_stores: dict[tuple[object, ...], LakeStore] = {}
_shared_lock = threading.Lock()
_s3_session: AioSession | None = None
# Its own lock: `LakeStore.shared` makes stores (and so asks for the session) under _shared_lock.
_s3_session_lock = threading.Lock()


def s3_session() -> AioSession:
    """This process's botocore session, under every S3 client a store makes. A new session loads
    and parses the S3 service model (~0.2 s) for its first client; one session loads it once,
    and a process forked after `warm_s3_session()` (a flow run, forked from the runner's warm
    process) inherits it loaded. A session holds no connections or event loop, so it survives
    a fork; the clients made from it are per store, and per process."""
    global _s3_session
    with _s3_session_lock:
        if _s3_session is None:
            from aiobotocore.session import AioSession

            _s3_session = AioSession()
        return _s3_session


def plain_http_client_options(endpoint_url: str) -> dict[str, bool]:
    """An http:// endpoint has no certificate to verify: its client need not load the CA bundle
    (an SSL context with certifi's 150 certificates, ~20 ms for each new client, so in every
    flow run). An https:// endpoint is verified as usual."""
    return {"verify": False} if endpoint_url.startswith("http://") else {}


def warm_s3_session() -> None:
    """Loads what an S3 client is made from (service model, endpoint rules) into `s3_session()`,
    making and closing a client that never connects."""

    async def make_client() -> None:
        async with s3_session().create_client(
            "s3",
            endpoint_url="http://127.0.0.1:9",
            region_name="us-east-1",
            aws_access_key_id="warm-up",
            aws_secret_access_key="warm-up",
        ):
            pass

    asyncio.run(make_client())


def _connection_key(settings: Settings) -> tuple[object, ...]:
    """What `from_settings` builds a store from: other settings do not change the store."""
    secrets = (settings.s3.access_key_id, settings.s3.secret_access_key)
    return (
        settings.s3.lake_root,
        settings.s3.url,
        settings.s3.region,
        *(secret.get_secret_value() if secret else None for secret in secrets),
        settings.outbound_timeout_seconds,
    )


def describe_write_failure(store: LakeStore, key: str, error: Exception) -> LakeError:
    """A LakeError for a failed Polars write: Polars reports S3 refusals as long XML texts."""
    text = str(error)
    code, message = _xml_field(text, "Code"), _xml_field(text, "Message")
    detail = f"{code}: {message}" if code else text.splitlines()[0][:300]
    where = f"{store.paths.uri(key)} ({store.endpoint})"
    if code in {"AccessDenied", "SignatureDoesNotMatch", "InvalidAccessKeyId"}:
        return LakeAccessError(_access_problem("write", where, detail))
    if code == "NoSuchBucket":
        return LakeNotFoundError(f"cannot write {where}: {detail}")
    return LakeError(f"cannot write {where}: {detail}")


def _xml_field(text: str, tag: str) -> str | None:
    match = re.search(f"<{tag}>([^<]*)</{tag}>", text)
    return match.group(1) if match else None


def _access_problem(action: str, where: str, detail: str) -> str:
    """Says which setting to check: S3 explains a bad signature, but a HEAD only says Forbidden."""
    keys = "LAKEBOOK_S3_ACCESS_KEY_ID and LAKEBOOK_S3_SECRET_ACCESS_KEY"
    lowered = detail.lower()
    if "signature" in lowered or "access key" in lowered:
        return (
            f"S3 refused the credentials while trying to {action} {where}: {detail} — check {keys}"
        )
    if "access denied" in lowered:
        return (
            f"access denied while trying to {action} {where}: {detail} "
            "— the access key lacks permission on this bucket"
        )
    return (
        f"S3 refused to {action} {where}: {detail} — check {keys} "
        "and that the access key may use this bucket"
    )

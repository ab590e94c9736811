"""Which datasets' latest run may have changed: one LIST of the lake's change markers.

The publisher rewrites `processed/changes/{dataset}` after every change to which run is a
dataset's latest (`LakePublisher.publish`, `prepare_run`), so the marker's ETag changes with it.
A reader that remembers the tag it saw before its last lookup of a dataset need not look again
while the tag is the same: one LIST answers for every dataset of a query, however many runs
they have.

That LIST is sent as one signed GET (botocore's signer, ~0.06 ms) over a kept-alive
`http.client` connection rather than through s3fs: botocore's request pipeline and s3fs's
event-loop hop cost ~2 ms a call here, httpx ~0.4 ms more than `http.client`, and the round trip
to a local SeaweedFS ~0.8 ms; the point of the markers is a check that costs next to nothing
when nothing changed. (No proxy is used: where the store is reachable only through one, the
listing fails and every dataset is looked up through s3fs, as before markers.)
"""

from __future__ import annotations

import http.client
import threading
import xml.etree.ElementTree as ElementTree
from collections.abc import Mapping
from typing import Final
from urllib.parse import SplitResult, quote, urlencode, urlsplit

from lakebook.lake.store import LakeError, LakeStore

_S3_NAMESPACE: Final = "{http://s3.amazonaws.com/doc/2006-03-01/}"
# A listing holds 1,000 keys a page; a lake with more datasets takes several pages.
_MAX_PAGES: Final = 100


class ChangeMarkers:
    """Reads the tags (ETag and modification time) of every dataset's change marker."""

    def __init__(self, store: LakeStore, timeout_seconds: float = 10.0) -> None:
        self.store = store
        self.timeout_seconds = timeout_seconds
        self._connection: http.client.HTTPConnection | None = None
        # One request at a time on the one kept-alive connection.
        self._lock = threading.Lock()

    @property
    def available(self) -> bool:
        """Only an S3 lake has tags to compare; a local folder is looked up every time."""
        return not self.store.is_local and bool(self.store.polars_options)

    def tags(self) -> dict[str, str]:
        """Each dataset's marker tag, by dataset name; a dataset with no marker (published only
        before markers existed) is absent. Raises LakeError if the listing fails."""
        prefix = self.store.paths.changes_prefix()
        bucket, _, key_prefix = self.store.fs_path(prefix).partition("/")
        key_prefix = key_prefix.rstrip("/") + "/"  # fsspec paths drop a trailing slash
        tags: dict[str, str] = {}
        token: str | None = None
        for _ in range(_MAX_PAGES):
            page = self._list_page(bucket, key_prefix, token)
            for contents in page.iter(f"{_S3_NAMESPACE}Contents"):
                key = contents.findtext(f"{_S3_NAMESPACE}Key") or ""
                etag = contents.findtext(f"{_S3_NAMESPACE}ETag") or ""
                modified = contents.findtext(f"{_S3_NAMESPACE}LastModified") or ""
                name = key.removeprefix(key_prefix)
                if name and "/" not in name:
                    tags[name] = f"{etag}|{modified}"
            token = page.findtext(f"{_S3_NAMESPACE}NextContinuationToken")
            if page.findtext(f"{_S3_NAMESPACE}IsTruncated") != "true" or not token:
                return tags
        raise LakeError(f"the change markers under {prefix} span over {_MAX_PAGES} pages")

    def close(self) -> None:
        with self._lock:
            if self._connection is not None:
                self._connection.close()
            self._connection = None

    def _list_page(self, bucket: str, key_prefix: str, token: str | None) -> ElementTree.Element:
        params = {"list-type": "2", "prefix": key_prefix}
        if token:
            params["continuation-token"] = token
        options = self.store.polars_options
        endpoint = options["aws_endpoint_url"].rstrip("/")
        query = urlencode(sorted(params.items()), quote_via=quote, safe="-_.~")
        url = f"{endpoint}/{quote(bucket)}?{query}"
        status, body = self._get(url, _signed_headers(url, options))
        if status != 200:
            text = body[:200].decode(errors="replace")
            raise LakeError(
                f"cannot list the change markers in {self.store.endpoint}/{bucket}: HTTP "
                f"{status} {text}"
            )
        try:
            return ElementTree.fromstring(body)
        except ElementTree.ParseError as error:
            raise LakeError(f"the store's listing is not XML: {error}") from error

    def _get(self, url: str, headers: Mapping[str, str]) -> tuple[int, bytes]:
        """One GET on the kept-alive connection; once more on a new one if a kept connection
        failed (the store may have closed it while idle; a GET changes nothing, so it is safe to
        repeat). A new connection that fails is not tried again."""
        parts = urlsplit(url)
        with self._lock:
            if self._connection is not None:
                try:
                    return self._request(parts, headers)
                except (OSError, http.client.HTTPException):
                    pass  # `_request` closed it: once more, on a new connection
            try:
                return self._request(parts, headers)
            except (OSError, http.client.HTTPException) as error:
                raise LakeError(f"cannot list {self.store.endpoint}: {error}") from error

    def _request(self, parts: SplitResult, headers: Mapping[str, str]) -> tuple[int, bytes]:
        connection = self._connection or self._connect(parts.scheme, parts.netloc)
        self._connection = None  # kept again only once this request has succeeded
        try:
            connection.request("GET", f"{parts.path}?{parts.query}", headers=dict(headers))
            response = connection.getresponse()
            body = response.read()
        except BaseException:
            connection.close()
            raise
        self._connection = connection
        return response.status, body

    def _connect(self, scheme: str, netloc: str) -> http.client.HTTPConnection:
        if scheme == "https":  # verified as any client of an https:// endpoint
            return http.client.HTTPSConnection(netloc, timeout=self.timeout_seconds)
        return http.client.HTTPConnection(netloc, timeout=self.timeout_seconds)


def _signed_headers(url: str, options: Mapping[str, str]) -> dict[str, str]:
    """Signature V4 headers for a GET of `url`, by botocore's own signer (no request sent)."""
    from botocore.auth import S3SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    credentials = Credentials(options["aws_access_key_id"], options["aws_secret_access_key"])
    request = AWSRequest(method="GET", url=url)
    S3SigV4Auth(credentials, "s3", options["aws_region"]).add_auth(request)
    return dict(request.headers.items())

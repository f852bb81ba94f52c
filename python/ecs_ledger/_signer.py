"""Requests signed like aliyun-python-sdk-core signs them (signature v1,
HMAC-SHA1), with the standard library only: what the server object needs
for ``AdvanceClock`` without depending on an SDK."""
import base64
import datetime
import hashlib
import hmac
import urllib.parse
import uuid

API_VERSION = "2014-05-26"


def _encode(value):
    return urllib.parse.quote(str(value), safe="-_.~")


def signed_query(method, params, access_key_id, secret):
    """The query string of a v1-signed ECS RPC request with ``params``."""
    now = datetime.datetime.now(datetime.timezone.utc)
    signed = {
        "Format": "JSON",
        "Version": API_VERSION,
        "AccessKeyId": access_key_id,
        "SignatureMethod": "HMAC-SHA1",
        "SignatureVersion": "1.0",
        "SignatureNonce": uuid.uuid4().hex,
        "Timestamp": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    signed.update({k: str(v) for k, v in params.items()})
    canonical = "&".join(f"{_encode(k)}={_encode(v)}" for k, v in sorted(signed.items()))
    to_sign = f"{method}&%2F&{_encode(canonical)}"
    digest = hmac.new(f"{secret}&".encode(), to_sign.encode(), hashlib.sha1).digest()
    return f"{canonical}&Signature={_encode(base64.b64encode(digest).decode())}"

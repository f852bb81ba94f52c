"""One ``ecs-ledger serve`` process for tests: started on a free loopback
port in a temporary directory with generated access keys, waited on until
ready, stopped with SIGTERM."""
import datetime
import json
import os
import queue
import secrets
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass

from . import _signer
from ._binary import binary as _find_binary

READY = "listening on http://"


@dataclass(frozen=True)
class AccessKey:
    """An access key the server knows: what an SDK client is built with."""

    id: str
    secret: str
    account: str
    admin: bool = False

    def as_json(self):
        return {"AccessKeyId": self.id, "AccessKeySecret": self.secret,
                "Account": self.account, "Admin": self.admin}


class ServerError(RuntimeError):
    """The server did not start, or did not stop cleanly."""


class ApiError(Exception):
    """An ECS error answer to a request made by :meth:`EcsLedgerServer.call`."""

    def __init__(self, status, code, message, request_id):
        super().__init__(f"{status} {code}: {message} (RequestId {request_id})")
        self.status, self.code, self.message, self.request_id = status, code, message, request_id


class EcsLedgerServer:
    """``ecs-ledger serve --clock manual --listen 127.0.0.1:0`` with two
    generated access keys of one account: :attr:`key` (a tester's) and
    :attr:`admin_key` (for platform actions and the clock).

    Use it as a context manager, or :meth:`start` and :meth:`close`::

        with EcsLedgerServer() as server:
            client = Client(server.tea_config())
            ...
            server.advance(10)

    ``durations`` is (creation, start, stop) in seconds (default 5, 3, 3);
    ``seed`` makes ids deterministic; ``extra_args`` go to ``serve``.
    """

    def __init__(self, *, account="tester", region="cn-hangzhou", clock="manual",
                 durations=None, seed=None, extra_args=(), binary=None, directory=None,
                 startup_timeout=30.0, stop_timeout=30.0):
        self.account = account
        self.region = region
        self.clock = clock
        self.durations = durations
        self.seed = seed
        self.extra_args = list(extra_args)
        self.binary = binary
        self.startup_timeout = startup_timeout
        self.stop_timeout = stop_timeout
        self._given_directory = directory
        self.directory = None
        self.key = AccessKey(f"{account}-key-{secrets.token_hex(4)}", secrets.token_urlsafe(24), account)
        self.admin_key = AccessKey(f"{account}-admin-{secrets.token_hex(4)}", secrets.token_urlsafe(24),
                                   account, admin=True)
        self.endpoint = None
        self.process = None
        self.returncode = None

    # ------------------------------------------------------------ lifecycle

    def start(self):
        """Starts the server and waits until ``/health`` answers; returns self."""
        if self.process is not None:
            raise ServerError("already started")
        executable = self.binary or _find_binary()
        self.directory = self._given_directory or tempfile.mkdtemp(prefix="ecs-ledger-")
        os.makedirs(self.directory, exist_ok=True)
        keys = os.path.join(self.directory, "keys.json")
        with open(os.open(keys, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as f:
            json.dump([self.key.as_json(), self.admin_key.as_json()], f)
        command = [executable, "--data", self.data_dir, "serve",
                   "--listen", "127.0.0.1:0", "--access-keys", keys, "--clock", self.clock]
        if self.durations is not None:
            command += ["--durations", ",".join(str(int(d)) for d in self.durations)]
        if self.seed is not None:
            command += ["--seed", str(int(self.seed))]
        command += self.extra_args
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=log,
                                            stdin=subprocess.DEVNULL, text=True)
        try:
            self.endpoint = self._wait_listening()
            self._wait_healthy()
        except BaseException:
            self._kill()
            raise
        return self

    def stop(self):
        """SIGTERM, then waits for the server to finish its requests, flush
        and exit. Returns its exit code (0 for a clean stop); raises
        ServerError if it does not exit within ``stop_timeout``."""
        if self.process is None:
            return self.returncode
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(self.stop_timeout)
            except subprocess.TimeoutExpired:
                self._kill()
                raise ServerError(f"the server did not stop within {self.stop_timeout} s of SIGTERM; "
                                  f"its log: {self.log_path}") from None
        self.returncode = self.process.returncode
        self.process = None
        return self.returncode

    def close(self):
        """Stops the server and removes the temporary directory (kept when
        the server did not exit 0, or when it was given). Returns the exit
        code."""
        code = self.stop()
        if code == 0 and self._given_directory is None and self.directory:
            shutil.rmtree(self.directory, ignore_errors=True)
        return code

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.close()
        return False

    # ------------------------------------------------------------ where it is

    @property
    def url(self):
        """``http://127.0.0.1:PORT``."""
        return f"http://{self.endpoint}"

    @property
    def port(self):
        return int(self.endpoint.rsplit(":", 1)[1])

    @property
    def data_dir(self):
        return os.path.join(self.directory, "data")

    @property
    def log_path(self):
        """The server's stderr (its log: warnings and errors by default)."""
        return os.path.join(self.directory, "server.log")

    # ------------------------------------------------------------ the clock

    def advance(self, seconds):
        """Moves the ledger clock forward by ``seconds`` (an int >= 0),
        applying every transition due by then; returns the ledger time."""
        if int(seconds) != seconds or seconds < 0:
            raise ValueError(f"seconds must be a whole number >= 0, not {seconds!r}")
        return self.call("AdvanceClock", key=self.admin_key, Seconds=int(seconds))["Time"]

    def advance_to(self, when):
        """Moves the ledger clock to ``when`` (RFC 3339 text, or a datetime;
        a naive one is taken as UTC); returns the ledger time."""
        if isinstance(when, datetime.datetime):
            if when.tzinfo is None:
                when = when.replace(tzinfo=datetime.timezone.utc)
            when = when.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        return self.call("AdvanceClock", key=self.admin_key, To=when)["Time"]

    # ------------------------------------------------------------ requests

    def call(self, action, key=None, **params):
        """Any ECS action, v1-signed with ``key`` (default :attr:`key`);
        returns the JSON answer, raises ApiError for an error answer."""
        key = key or self.key
        query = _signer.signed_query("GET", {"Action": action, **params}, key.id, key.secret)
        status, body = self._get(f"/?{query}")
        answer = json.loads(body)
        if status != 200:
            raise ApiError(status, answer.get("Code"), answer.get("Message"), answer.get("RequestId"))
        return answer

    def health(self):
        """``GET /health``: ``{"Status": "ok", "HeadSeq": N}`` when ready."""
        return json.loads(self._get("/health")[1])

    def metrics(self):
        """``GET /metrics``: the Prometheus text."""
        return self._get("/metrics")[1]

    def tea_config(self, key=None, **overrides):
        """An ``alibabacloud_tea_openapi.models.Config`` for this server, for
        ``alibabacloud_ecs20140526.client.Client`` (v3 signatures; pass
        ``signature_algorithm="v2"`` for the RPC one)."""
        from alibabacloud_tea_openapi.models import Config

        key = key or self.key
        config = Config(access_key_id=key.id, access_key_secret=key.secret, endpoint=self.endpoint,
                        protocol="http", region_id=self.region)
        for name, value in overrides.items():
            setattr(config, name, value)
        return config

    def acs_client(self, key=None):
        """An ``aliyunsdkcore.client.AcsClient`` for this server's keys and
        region. Requests to it need ``request.set_endpoint(server.endpoint)``
        and ``request.set_protocol_type("http")``, or go through
        :meth:`acs_request`."""
        from aliyunsdkcore.client import AcsClient

        key = key or self.key
        return AcsClient(key.id, key.secret, self.region)

    def acs_request(self, request):
        """Points an aliyun-python-sdk-core request at this server (plain
        HTTP); returns it."""
        request.set_endpoint(self.endpoint)
        request.set_protocol_type("http")
        return request

    # ------------------------------------------------------------ internals

    def _get(self, path):
        try:
            with urllib.request.urlopen(f"{self.url}{path}", timeout=30) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()

    def _wait_listening(self):
        lines = queue.Queue()

        def drain(stdout):
            for line in stdout:
                lines.put(line)
            lines.put(None)

        threading.Thread(target=drain, args=(self.process.stdout,), daemon=True).start()
        try:
            line = lines.get(timeout=self.startup_timeout)
        except queue.Empty:
            raise ServerError(f"the server did not start within {self.startup_timeout} s") from None
        if not line or not line.startswith(READY):
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                pass
            raise ServerError(f"the server did not start (exit {self.process.returncode}): "
                              f"{line!r}\n{self._log_tail()}")
        return line.strip()[len(READY):]

    def _wait_healthy(self):
        deadline = time.monotonic() + self.startup_timeout
        while True:
            try:
                if self.health().get("Status") == "ok":
                    return
            except (OSError, ValueError):
                pass
            if time.monotonic() > deadline:
                raise ServerError(f"/health did not answer ok within {self.startup_timeout} s\n"
                                  f"{self._log_tail()}")
            time.sleep(0.05)

    def _kill(self):
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.returncode = self.process.returncode
            self.process = None

    def _log_tail(self, lines=20):
        try:
            with open(self.log_path, errors="replace") as f:
                return "".join(f.readlines()[-lines:])
        except OSError:
            return ""

    def __repr__(self):
        state = f"on {self.endpoint}" if self.process is not None else "stopped"
        return f"<EcsLedgerServer {state}>"

"""Hostile peers for the client's tests: a gRPC server on 127.0.0.1 and a proxy that goes silent."""
import contextlib
import socket
import threading
from concurrent import futures

import grpc


@contextlib.contextmanager
def serving(add_servicer, servicer):
    """A gRPC server of ``servicer`` on an ephemeral loopback port; yields its address."""
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    add_servicer(servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        yield f"127.0.0.1:{port}"
    finally:
        server.stop(0)


class SilentProxy:
    """Relays TCP to ``upstream`` until ``go_silent()``; then holds every connection open and relays
    nothing, as a crashed host or a dropped route looks to the client: no FIN, no RST, no answer."""

    def __init__(self, upstream: str):
        host, port = upstream.rsplit(":", 1)
        self._upstream = (host, int(port))
        self._silent = threading.Event()
        self._closed = threading.Event()
        self._sockets = []
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.address = f"127.0.0.1:{self._listener.getsockname()[1]}"
        threading.Thread(target=self._accept, daemon=True).start()

    def go_silent(self):
        self._silent.set()

    def close(self):
        self._closed.set()
        for sock in [self._listener, *self._sockets]:
            sock.close()

    def _accept(self):
        while not self._closed.is_set():
            try:
                client, _ = self._listener.accept()
                server = socket.create_connection(self._upstream)
            except OSError:
                return
            self._sockets += [client, server]
            threading.Thread(target=self._relay, args=(client, server), daemon=True).start()
            threading.Thread(target=self._relay, args=(server, client), daemon=True).start()

    def _relay(self, source, sink):
        try:
            while chunk := source.recv(65536):
                if self._silent.is_set():
                    self._closed.wait()
                    return
                sink.sendall(chunk)
        except OSError:
            return

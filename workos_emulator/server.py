"""Run the emulator in a background thread (tests, the run script) or in the foreground (CLI)."""

import threading

from werkzeug.serving import WSGIRequestHandler, make_server

from workos_emulator.app import EmulatorApp


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args, **kwargs):
        pass


class EmulatorServer:
    def __init__(self, host="127.0.0.1", port=0, app=None, quiet=False, state_file=None):
        self.app = app or EmulatorApp(state_file=state_file)
        handler = _QuietHandler if quiet else WSGIRequestHandler
        self._server = make_server(host, port, self.app, threaded=True, request_handler=handler)
        self.port = self._server.server_port
        self.url = f"http://{host}:{self.port}"
        self.app.public_url = self.url
        self._thread = None

    @property
    def store(self):
        return self.app.store

    def start(self):
        self._thread = threading.Thread(target=self._server.serve_forever, name="workos-emulator", daemon=True)
        self._thread.start()
        return self

    def serve_forever(self):
        self._server.serve_forever()

    def stop(self):
        self._server.shutdown()
        self._server.server_close()
        if self._thread:
            self._thread.join(5)

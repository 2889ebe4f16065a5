"""Start the Python HIS example (examples/his-python) against an embedded
wxface sandbox, for the Node kiosk example's tests.

Prints one JSON line with the URLs and ids a kiosk needs (among them
``deviceCredential``, a credential the HIS issued for the kiosk's device id),
then serves until its standard input closes.
"""

import json
import pathlib
import sys
import tempfile
import threading

from werkzeug.serving import make_server

import wxface
from wxface_sandbox import Sandbox

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2] / "his-python"))

import his_service  # noqa: E402

#: The Node kiosk's default ``--device-id``.
DEVICE_ID = "KIOSK-01"


def main() -> None:
    with Sandbox() as sandbox, tempfile.TemporaryDirectory() as tmp:
        creds = sandbox.credentials
        decryptor = wxface.Decryptor(creds.merchant_key_pem, creds.padding)
        app = his_service.create_app(sandbox.client(), decryptor, str(pathlib.Path(tmp) / "patients.sqlite3"))
        credential = app.extensions["devices"].issue(DEVICE_ID, label="kiosk-node test")
        server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        print(json.dumps({
            "merchantUrl": f"http://127.0.0.1:{server.server_port}",
            "sandboxUrl": sandbox.url,
            "appid": creds.appid,
            "mchId": creds.mch_id,
            "storeId": "SBX-STORE-01",
            "deviceId": DEVICE_ID,
            "deviceCredential": credential.expose(),
        }), flush=True)
        sys.stdin.read()
        server.shutdown()


if __name__ == "__main__":
    main()

"""A fake OpenAI-compatible fine-tuning server on 127.0.0.1 (http.server in a thread):
POST /v1/files, POST /v1/fine_tuning/jobs, GET /v1/fine_tuning/jobs/<id>, POST
/v1/fine_tuning/jobs/<id>/cancel. `statuses` scripts what successive GETs of a job answer (the
last one repeats); every request is kept with its Authorization header."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

TUNED = "ft:gpt-4o-mini:tunesmith::abc123"


class FakeFineTuning:
    def __init__(self, statuses: list[str], error: str | None = None) -> None:
        self.statuses, self.error = list(statuses), error
        self.requests: list[dict[str, Any]] = []
        self.files: dict[str, bytes] = {}
        self.jobs: dict[str, dict[str, Any]] = {}
        self.polls = 0
        handler = type("Handler", (_Handler,), {"fake": self})
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def __enter__(self) -> FakeFineTuning:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()

    def job(self, job_id: str, status: str) -> dict[str, Any]:
        job = self.jobs[job_id]
        job["status"] = status
        job["fine_tuned_model"] = TUNED if status == "succeeded" else None
        job["error"] = ({"code": "invalid_training_file", "message": self.error, "param": None}
                        if status == "failed" else None)  # fmt: skip
        return job


class _Handler(BaseHTTPRequestHandler):
    fake: FakeFineTuning

    def log_message(self, *args: Any) -> None:  # quiet
        pass

    def _reply(self, body: dict[str, Any], code: int = 200) -> None:
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _record(self, body: bytes) -> None:
        self.fake.requests.append({"method": self.command, "path": self.path, "body": body,
                                   "auth": self.headers.get("Authorization")})  # fmt: skip

    def do_POST(self) -> None:  # noqa: N802
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self._record(body)
        fake = self.fake
        if self.path == "/v1/files":
            file_id = f"file-{len(fake.files) + 1}"
            fake.files[file_id] = body
            self._reply({"id": file_id, "object": "file", "bytes": len(body), "created_at": 1,
                         "filename": "rows.jsonl", "purpose": "fine-tune",
                         "status": "processed"})  # fmt: skip
        elif self.path == "/v1/fine_tuning/jobs":
            request = json.loads(body)
            job_id = f"ftjob-{len(fake.jobs) + 1}"
            fake.jobs[job_id] = {
                "id": job_id, "object": "fine_tuning.job", "created_at": 1, "finished_at": None,
                "model": request["model"], "organization_id": "org-1", "result_files": [],
                "hyperparameters": request.get("hyperparameters") or {}, "seed": 0,
                "training_file": request["training_file"], "validation_file": None,
                "trained_tokens": None, "status": "queued", "fine_tuned_model": None,
                "error": None,
            }  # fmt: skip
            self._reply(fake.jobs[job_id])
        elif self.path.endswith("/cancel"):
            job_id = self.path.split("/")[-2]
            self._reply(fake.job(job_id, "cancelled"))
        else:
            self._reply({"error": {"message": f"no route {self.path}"}}, 404)

    def do_GET(self) -> None:  # noqa: N802
        self._record(b"")
        fake = self.fake
        job_id = self.path.rsplit("/", 1)[-1]
        if job_id not in fake.jobs:
            self._reply({"error": {"message": f"no job {job_id}"}}, 404)
            return
        if fake.jobs[job_id]["status"] == "cancelled":
            self._reply(fake.jobs[job_id])
            return
        status = fake.statuses[min(fake.polls, len(fake.statuses) - 1)]
        fake.polls += 1
        self._reply(fake.job(job_id, status))

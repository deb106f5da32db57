"""A RunPod serverless worker that speaks the worker protocol as runpod-python does, with the stdlib only.

It mirrors runpod/serverless/modules: rp_job.py (get_job: the take URL with `$ID` replaced and
`&job_in_progress=0|1` appended; 204/400 mean no job, 429 backs off; run_job turns a raised error
into RunPod's JSON error string and a returned dict with `error` into `{output, error}`; a
generator's yields go to the stream URL, its end with `isStream=true`), rp_http.py (_transmit: the
JSON text under `application/x-www-form-urlencoded`, 3 attempts with Fibonacci backoff on transport
errors, 429 and 5xx; `$RUNPOD_POD_ID` and `$ID` substituted), rp_progress.py (progress updates to the
done URL as `{status: "IN_PROGRESS", output}`) and rp_ping.py (a heartbeat thread: GET the ping URL
with `job_id` and `runpod_version` every RUNPOD_PING_INTERVAL ms). Like older SDKs it never polls
job-stop: the platform ends cancelled and timed-out jobs itself and ignores the late result.

The handler is the test's echo: it returns `{"echo": input}`, after `sleep_ms` and `progress`
updates; `fail` raises; `bad_output` returns what no echo contract accepts; `hang_on_worker` hangs
the worker of that id (to be killed mid-job). A job with `stream` runs as a generator handler would:
each item is a stream post, and the done post (`isStream=true`) carries `[]`, or the items when
RETURN_AGGREGATE_STREAM is set (the SDK's `return_aggregate_stream`).
"""

import json
import os
import socket
import threading
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request
import uuid

RUNPOD_VERSION = "1.7.0"
API_KEY = os.environ["RUNPOD_AI_API_KEY"]
WORKER_ID = os.environ.get("RUNPOD_POD_ID") or str(uuid.uuid4())
JOB_GET_URL = os.environ["RUNPOD_WEBHOOK_GET_JOB"].replace("$ID", WORKER_ID)
JOB_DONE_URL = os.environ["RUNPOD_WEBHOOK_POST_OUTPUT"].replace("$RUNPOD_POD_ID", WORKER_ID)
JOB_STREAM_URL = os.environ["RUNPOD_WEBHOOK_POST_STREAM"].replace("$RUNPOD_POD_ID", WORKER_ID)
PING_URL = os.environ["RUNPOD_WEBHOOK_PING"].replace("$RUNPOD_POD_ID", WORKER_ID)
PING_INTERVAL_S = int(os.environ.get("RUNPOD_PING_INTERVAL", "10000")) / 1000
RETURN_AGGREGATE_STREAM = bool(os.environ.get("RETURN_AGGREGATE_STREAM"))
# The SDK's waits, scaled down for tests.
BACKOFF_SCALE = float(os.environ.get("TEST_BACKOFF_SCALE", "1"))

jobs_in_progress = set()
jobs_lock = threading.Lock()


def with_query(url, parameters):
    return url + ("&" if "?" in url else "?") + urllib.parse.urlencode(parameters)


def call(method, url, body=None, timeout=90):
    """One HTTP call with the raw key in Authorization (runpod/http_client.py); answers (status, text)."""
    headers = {"Authorization": API_KEY}
    data = None
    if body is not None:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        data = json.dumps(body).encode("utf-8")
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read().decode("utf-8")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8")


def get_job():
    """rp_job.get_job: a job, or None."""
    with jobs_lock:
        in_progress = "1" if jobs_in_progress else "0"
    try:
        status, text = call("GET", with_query(JOB_GET_URL, {"job_in_progress": in_progress}))
    except OSError:
        time.sleep(1 * BACKOFF_SCALE)
        return None
    if status in (204, 400):
        return None
    if status == 429:
        time.sleep(5 * BACKOFF_SCALE)
        return None
    if status != 200 or not text:
        time.sleep(1 * BACKOFF_SCALE)
        return None
    job = json.loads(text)
    if "id" not in job or "input" not in job:
        return None
    return job


def transmit(url, body):
    """rp_http._transmit: 3 attempts, Fibonacci backoff, on transport errors, 429 and 5xx; then dropped."""
    delays = [1, 1]
    for attempt in range(3):
        try:
            status, _ = call("POST", url, body, timeout=30)
            if status < 500 and status != 429:
                return status
        except OSError:
            pass
        if attempt < len(delays):
            time.sleep(delays[attempt] * BACKOFF_SCALE)
    return None


def send_result(job_id, result, is_stream=False):
    transmit(with_query(JOB_DONE_URL.replace("$ID", job_id), {"isStream": "true" if is_stream else "false"}), result)


def stream_result(job_id, chunk):
    transmit(with_query(JOB_STREAM_URL.replace("$ID", job_id), {"isStream": "false"}), {"output": chunk})


def progress_update(job_id, progress):
    transmit(with_query(JOB_DONE_URL.replace("$ID", job_id), {"isStream": "false"}), {"status": "IN_PROGRESS", "output": progress})


def heartbeat():
    """rp_ping.Heartbeat: its own thread, so a busy handler never starves it."""
    while True:
        with jobs_lock:
            job_ids = ",".join(sorted(jobs_in_progress))
        parameters = {"job_id": job_ids, "runpod_version": RUNPOD_VERSION} if job_ids else {"runpod_version": RUNPOD_VERSION}
        try:
            call("GET", with_query(PING_URL, parameters), timeout=PING_INTERVAL_S * 2)
        except OSError:
            pass
        time.sleep(PING_INTERVAL_S)


def handler(job):
    job_input = job["input"]
    if job_input.get("hang_on_worker") == WORKER_ID:
        while True:
            time.sleep(60)
    for progress in job_input.get("progress", []):
        progress_update(job["id"], progress)
    time.sleep(job_input.get("sleep_ms", 0) / 1000)
    if "fail" in job_input:
        raise ValueError(job_input["fail"])
    if job_input.get("bad_output"):
        return "not an echo"
    return {"echo": job_input}


def streaming_handler(job):
    for chunk in job["input"]["stream"]:
        yield chunk


def error_string(error):
    return json.dumps(
        {
            "error_type": str(type(error)),
            "error_message": str(error),
            "error_traceback": traceback.format_exc(),
            "hostname": socket.gethostname(),
            "worker_id": WORKER_ID,
            "runpod_version": RUNPOD_VERSION,
        }
    )


def run_job(job):
    """rp_job.run_job, then send_result."""
    try:
        output = handler(job)
        if isinstance(output, dict) and "error" in output:
            error = output.pop("error")
            result = {"output": output, "error": error}
        else:
            result = {"output": output}
    except Exception as error:  # noqa: BLE001 - the SDK reports every handler error
        result = {"error": error_string(error)}
    send_result(job["id"], result)


def run_job_generator(job):
    """worker.handle_job for a generator handler: each yield streamed, then the aggregate (or []) with isStream=true."""
    result = {"output": []}
    try:
        for chunk in streaming_handler(job):
            if RETURN_AGGREGATE_STREAM:
                result["output"].append(chunk)
            stream_result(job["id"], chunk)
    except Exception as error:  # noqa: BLE001
        result = {"error": error_string(error)}
    send_result(job["id"], result, is_stream=True)


def main():
    threading.Thread(target=heartbeat, daemon=True).start()
    print(f"worker {WORKER_ID} ready", flush=True)
    while True:
        job = get_job()
        if job is None:
            continue
        with jobs_lock:
            jobs_in_progress.add(job["id"])
        try:
            if "stream" in job["input"]:
                run_job_generator(job)
            else:
                run_job(job)
        finally:
            with jobs_lock:
                jobs_in_progress.discard(job["id"])


if __name__ == "__main__":
    main()

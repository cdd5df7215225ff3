"""Load on `POST /v1/embeddings` through `switchboard serve` and the embedding service.

Usage: embeddings_load.py BASE_URL API_KEY CALLS IN_FLIGHT INPUTS_PER_CALL
Sends CALLS calls (base64 vectors, short questions as inputs) with IN_FLIGHT at a time from
threads and prints calls/s, texts/s and the latency p50/p99 as the caller sees it. The load
generator runs on the same machine: quote its figures with that in mind.
"""
import json
import sys
import threading
import time
import urllib.request

base_url, key, calls, in_flight, inputs = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
latencies, lock, taken = [], threading.Lock(), [0]


def worker():
    while True:
        with lock:
            index = taken[0]
            taken[0] += 1
        if index >= calls:
            return
        texts = [f"Question number {index}.{j}: how do I read a file in Python?" for j in range(inputs)]
        body = json.dumps({"model": "minilm", "input": texts, "encoding_format": "base64"}).encode()
        request = urllib.request.Request(base_url + "/v1/embeddings", data=body,
                                         headers={"authorization": "Bearer " + key, "content-type": "application/json"})
        start = time.perf_counter()
        with urllib.request.urlopen(request, timeout=60) as response:
            assert response.status == 200, response.status
            answer = json.loads(response.read())
            assert len(answer["data"]) == inputs, answer
        with lock:
            latencies.append((time.perf_counter() - start) * 1000)


start = time.perf_counter()
threads = [threading.Thread(target=worker) for _ in range(in_flight)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
seconds = time.perf_counter() - start
latencies.sort()
print(f"{calls} calls x {inputs} inputs, {in_flight} in flight: {calls / seconds:.0f} calls/s, {calls * inputs / seconds:.0f} texts/s; "
      f"p50 {latencies[len(latencies) // 2]:.1f} ms, p99 {latencies[max(0, int(len(latencies) * 0.99) - 1)]:.1f} ms")

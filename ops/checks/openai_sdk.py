"""The official OpenAI Python SDK against `switchboard serve`.

Usage: openai_sdk.py BASE_URL API_KEY
Checks a chat completion, a streamed one (with usage), embeddings (the SDK's default base64
form and plain numbers), a 401 with a bad key, the model list, and a 429 (with Retry-After)
once the key's tenant is over its per-minute limit (5 calls). Exits non-zero on the first failure.
"""
import sys

import openai

base_url, key = sys.argv[1], sys.argv[2]
client = openai.OpenAI(base_url=base_url + "/v1", api_key=key, max_retries=0, timeout=30)
messages = [{"role": "user", "content": "Hello from the OpenAI SDK"}]

reply = client.chat.completions.create(model="small", messages=messages, max_tokens=16)
assert reply.object == "chat.completion", reply
assert reply.choices[0].message.role == "assistant", reply
assert reply.choices[0].message.content, reply
assert reply.usage.prompt_tokens > 0 and reply.usage.completion_tokens > 0, reply
print("completion ok:", reply.model, repr(reply.choices[0].message.content[:40]))

stream = client.chat.completions.create(model="small", messages=messages, max_tokens=16, stream=True,
                                       stream_options={"include_usage": True})
pieces, usage, finish = [], None, None
for chunk in stream:
    assert chunk.object == "chat.completion.chunk", chunk
    if chunk.choices:
        if chunk.choices[0].delta.content:
            pieces.append(chunk.choices[0].delta.content)
        finish = chunk.choices[0].finish_reason or finish
    if chunk.usage:
        usage = chunk.usage
assert len(pieces) > 1, pieces
assert finish in ("stop", "length"), finish
assert usage and usage.completion_tokens > 0, usage
print("stream ok:", len(pieces), "chunks,", repr("".join(pieces)[:40]), "usage", usage.prompt_tokens, usage.completion_tokens)

texts = ["The quick brown fox jumps over the lazy dog.", "How do I read a file line by line in Python?"]
vectors = client.embeddings.create(model="minilm", input=texts)  # the SDK asks for base64 and decodes it
assert [item.index for item in vectors.data] == [0, 1], vectors.data
assert all(len(item.embedding) == 384 for item in vectors.data), [len(item.embedding) for item in vectors.data]
assert abs(sum(x * x for x in vectors.data[0].embedding) - 1) < 1e-3, "MiniLM's vectors are normalised"
assert vectors.usage.prompt_tokens > 0, vectors.usage
plain = client.embeddings.create(model="minilm", input=texts[0], encoding_format="float")
assert max(abs(a - b) for a, b in zip(plain.data[0].embedding, vectors.data[0].embedding)) < 1e-6
print("embeddings ok:", len(vectors.data), "vectors of", len(vectors.data[0].embedding), "usage", vectors.usage.prompt_tokens)

models = [m.id for m in client.models.list()]
assert "sim-small" in models and "minilm" in models, models
print("models ok:", models)

wrong = openai.OpenAI(base_url=base_url + "/v1", api_key="sk-sb-not-a-key", max_retries=0, timeout=30)
try:
    wrong.chat.completions.create(model="small", messages=messages)
    sys.exit("a bad key was accepted")
except openai.AuthenticationError as error:
    assert error.status_code == 401, error
    print("bad key ok: 401", error.body)

for attempt in range(20):
    try:
        client.chat.completions.create(model="small", messages=messages, max_tokens=8)
    except openai.RateLimitError as error:
        assert error.status_code == 429, error
        retry_after = error.response.headers.get("retry-after")
        assert retry_after and int(retry_after) >= 1, error.response.headers
        print("over the limit ok: 429, Retry-After", retry_after, error.body)
        break
else:
    sys.exit("no 429 after 20 requests over the limit")
print("all ok")

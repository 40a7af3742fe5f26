"""Benchmarks against the alternatives, side by side (issue 5): `python -m bench` or `make bench`.

Every measurement runs its contenders in interleaved rounds (A B C D, A B C D, ...) on the same bytes,
takes the ratio round by round, and reports the median ratio, so the drift of a shared machine hits
every contender alike. One module per benchmark:

- `bench.decode`: stream decode cost per event, through an injected httpx transport (client CPU only)
- `bench.blocking`: sequential blocking calls over loopback against the emulator
- `bench.concurrency`: hundreds of concurrent async streams over loopback on one client
- `bench.memory`: peak RSS growth while consuming a very long stream (fresh subprocess)
- `bench.imports`: `import fastgpt_oapi` plus building a client (fresh interpreters)

The peers (httpx-sse, openai) are the optional `bench` Poetry group; a contender whose package is not
installed is reported as skipped.
"""

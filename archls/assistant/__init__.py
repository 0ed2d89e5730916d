"""The assistant: describe a system and get an architecture; suggestions, fixes and explanations.

One interface (:class:`archls.assistant.backend.Backend`), two backends: the deterministic offline
backend (the default; pattern knowledge and the spec library) and Anthropic's models through the
``anthropic`` SDK (opt-in with a key). :func:`archls.assistant.generate.generate` runs the pipeline;
the server and the CLI only translate.
"""

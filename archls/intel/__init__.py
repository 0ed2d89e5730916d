"""Editor intelligence that is not LSP plumbing: pure functions from an analysis (and the text
around a position) to completion items, hover text, occurrences, symbols, lenses and hints.

Positions here are the model's (0-based lines, columns in code points, :class:`archls.findings.Range`);
the server converts them to and from the client's encoding and to LSP types.
"""

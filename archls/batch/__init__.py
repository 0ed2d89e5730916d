"""Auditing many files at once, as ``archls check`` does.

Files are found under the paths given (``discover``), put in the groups the engine audits together
(a Terraform module, a folder of manifests, a compose project; any other file alone), and each group
is audited once, in a worker process when there are several (``run``). Each reported file gets its
findings from exactly one audit; a baseline (``baseline``) hides the findings a project has accepted.
"""

"""Loader codes of the compose, Terraform and Kubernetes formats."""

from archls.findings import Severity
from archls.rules.registry import loader_code

loader_code(
    "ARCH020",
    "Template, not audited",
    severity=Severity.INFO,
    what="The file is a template (a Helm chart's `templates/` file with `{{ ... }}` placeholders), not a manifest.",
    why="Its structure and values are only known once the template is rendered, so any audit of the raw text "
    "would be guesswork.",
    example="apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}-web",
    fix="Render it (`helm template . > rendered.yaml`) and audit the rendered manifests.",
)

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

loader_code(
    "ARCH021",
    "Module not followed",
    severity=Severity.INFO,
    what="A Terraform `module` block whose `source` is not a local folder (the Terraform Registry, git, a URL "
    "or an archive), or a source archls cannot work out.",
    why="archls reads only the files on disk and never downloads anything, so the resources such a module "
    "creates are neither modelled nor audited. Without this note a module made entirely of remote modules "
    "would look clean.",
    example='module "vpc" {\n  source  = "terraform-aws-modules/vpc/aws"\n  version = "5.8.1"\n}',
    fix="Audit the module where its code is kept (its repository, or the copy `terraform init` puts under "
    "`.terraform/modules/`), or vendor it into a local folder and point `source` at it.",
)

loader_code(
    "ARCH022",
    "Custom resource, not audited",
    severity=Severity.INFO,
    what="A Kubernetes object whose `apiVersion` names an API group outside Kubernetes itself (an operator's "
    "custom resource, such as `cert-manager.io/v1` Certificate or `kyverno.io/v1` ClusterPolicy).",
    why="What such an object does is defined by the operator that reads it, not by Kubernetes, so archls "
    "cannot tell whether it is safe. Without this note a folder of custom resources would look clean.",
    example="apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata:\n  name: web",
    fix="Audit it with the operator's own tooling; the workloads, Services and Ingresses around it are "
    "audited as usual.",
)

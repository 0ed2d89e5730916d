"""Where each part lives in a scaffolded repository; the CI targets refer to these paths."""

SERVICES = "services"
TERRAFORM = "infra/terraform"
KUBERNETES = "deploy/kubernetes"
COMPOSE = "compose.yaml"
NGINX = "deploy/nginx"
PRISMA = "prisma"
REGISTRY = "ghcr.io"

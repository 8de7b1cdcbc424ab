# syntax=docker/dockerfile:1
#
# One recipe for every service image; the service is chosen at build time:
#
#   docker buildx build --platform linux/amd64 --build-arg SERVICE=image-worker \
#     -t <registry>/event-platform/image-worker:<version> .
#
# SERVICE is the folder name under services/ (image-worker, invite-api, sms-sender).
# Node 24 runs the TypeScript sources directly (type stripping), so an image is the sources plus the
# production dependencies of one workspace: there is no compile step and no build output to copy.
# docs/deploy.md explains the build, the digest pin and the push.

# Pinned base: Debian 12 (glibc 2.36) because the prebuilt binaries of @napi-rs/canvas
# (linux-x64-gnu / linux-arm64-gnu) and sharp (@img/sharp-linux-*) are glibc builds; Alpine (musl)
# would need the -musl packages and a different libvips. Release builds pin the digest as well:
#   --build-arg NODE_IMAGE=node:24.21.0-bookworm-slim@sha256:<digest>
ARG NODE_IMAGE=node:24.21.0-bookworm-slim

# ---------------------------------------------------------------------------------------------------
# manifests: only the lock file and every workspace's package.json. The dependency layer below
# depends on nothing else, so editing a source file does not reinstall node_modules.
FROM ${NODE_IMAGE} AS manifests
WORKDIR /src
COPY package.json package-lock.json ./
COPY libs/ ./libs/
COPY services/ ./services/
RUN mkdir -p /manifests \
 && cp package.json package-lock.json /manifests/ \
 && for manifest in libs/*/package.json services/*/package.json; do \
      mkdir -p "/manifests/$(dirname "$manifest")" && cp "$manifest" "/manifests/$manifest"; \
    done

# ---------------------------------------------------------------------------------------------------
# sources: the service's own folder and only the workspace libs it depends on at run time (the
# closure of its "dependencies"; the test kit and @platform/dev-process are dev dependencies and stay
# out). docker/service-sources.mjs computes that list from the manifests, so it cannot drift.
FROM ${NODE_IMAGE} AS sources
ARG SERVICE
WORKDIR /src
COPY libs/ ./libs/
COPY services/ ./services/
COPY docker/service-sources.mjs ./docker/service-sources.mjs
RUN test -n "${SERVICE}" && node docker/service-sources.mjs "${SERVICE}" /sources

# ---------------------------------------------------------------------------------------------------
# deps: the production dependency closure of ONE service, installed by npm inside this stage, i.e. on
# the platform being built. npm picks the optional platform packages from the lock file
# (@napi-rs/canvas-linux-x64-gnu, @img/sharp-linux-x64 + libvips, or the arm64 builds under
# --platform linux/arm64); nothing is ever copied from a developer's node_modules (.dockerignore).
FROM ${NODE_IMAGE} AS deps
ARG SERVICE
WORKDIR /app
COPY --from=manifests /manifests/ ./
# --ignore-scripts: no dependency needs an install script (the native modules ship prebuilt
# binaries in registry packages), and not running them keeps third-party code out of the build.
RUN --mount=type=cache,target=/root/.npm,sharing=locked \
    test -n "${SERVICE}" \
 && test -f "services/${SERVICE}/package.json" \
 && npm ci --omit=dev --workspace "services/${SERVICE}" --include-workspace-root \
      --ignore-scripts --no-audit --no-fund
# Fail the build here, not at the first job in production, if a dependency or a native binary is
# missing for this platform.
COPY docker/verify-install.mjs /app/docker/verify-install.mjs
RUN node /app/docker/verify-install.mjs "${SERVICE}"

# ---------------------------------------------------------------------------------------------------
# runtime: node, tini, the dependency tree from `deps` and the sources from `sources`. No compiler, no npm, and
# nothing at run time needs a shell: ENTRYPOINT, CMD and HEALTHCHECK are all exec form.
FROM ${NODE_IMAGE} AS runtime
ARG SERVICE
ARG VERSION=0.0.0-dev
LABEL org.opencontainers.image.title="event-platform/${SERVICE}" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.description="Event platform service ${SERVICE} (Node 24, TypeScript sources run by type stripping)"
# tini is PID 1: it forwards SIGTERM/SIGINT to node and reaps zombies. Node as PID 1 would also
# receive SIGTERM (the services install their own handlers for the graceful drain), but the kernel
# gives PID 1 no default signal actions, so any signal without a handler (SIGINT, SIGHUP, SIGQUIT)
# would be silently ignored; tini keeps the ordinary semantics.
# npm, npx, corepack and yarn are removed: nothing runs them at run time and they are most of the
# image's CVE surface besides node itself.
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/* \
 && rm -rf /usr/local/lib/node_modules/npm /usr/local/lib/node_modules/corepack \
      /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack /usr/local/bin/yarn /usr/local/bin/yarnpkg /opt/yarn-* \
 && groupadd --gid 10001 app \
 && useradd --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin app
WORKDIR /app
# Owned by root and not writable by the app user: the container runs with a read-only root
# filesystem anyway, and /tmp is an emptyDir in Kubernetes.
COPY --from=deps /app/ ./
COPY --from=sources /sources/ ./
COPY docker/healthcheck.mjs ./docker/healthcheck.mjs
# The service's name and release on every span, metric and log line (Kubernetes sets the name
# again; the version stays the one this image was built as).
ENV NODE_ENV=production \
    OTEL_SERVICE_NAME=${SERVICE} \
    SERVICE_VERSION=${VERSION} \
    HOME=/tmp
# Started from the service folder so `--import @platform/service-runtime/register` and src/main.ts
# resolve exactly as in `node --import @platform/service-runtime/register services/<name>/src/main.ts`.
# That preload installs the SIGTERM handlers first (a pod deleted while starting exits 0), then
# loads @platform/telemetry/register.
WORKDIR /app/services/${SERVICE}
# Numeric so Kubernetes can verify runAsNonRoot without reading /etc/passwd.
USER 10001:10001
# Docker and docker compose use this; Kubernetes ignores it and probes /healthz and /readyz itself
# (k8s/*/deployment.yaml). Workers serve health on HEALTH_PORT, invite-api on PORT.
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "/app/docker/healthcheck.mjs"]
ENTRYPOINT ["/usr/bin/tini", "--", "node", "--import", "@platform/service-runtime/register"]
CMD ["src/main.ts"]
